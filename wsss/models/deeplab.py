"""DeepLab segmentation nets: LargeFOV (VGG16), v2 (ResNet-101 + ASPP), MobileNetV2 (CPU demo)."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from wsss.models.backbones import BackboneNet, build_backbone
from wsss.segmenters.deeplab import ARCHS


class ASPPSum(nn.Module):
    """DeepLab-v2 ASPP: parallel 3x3 atrous convs straight to class scores, summed."""

    def __init__(self, in_ch, n_classes, rates):
        super().__init__()
        self.branches = nn.ModuleList(nn.Conv2d(in_ch, n_classes, 3, padding=r, dilation=r) for r in rates)
        for b in self.branches:
            nn.init.normal_(b.weight, std=0.01)
            nn.init.zeros_(b.bias)

    def forward(self, x):
        return sum(b(x) for b in self.branches)


class LargeFOVHead(nn.Module):
    """fc6 (3x3, dilation 12, 1024) -> fc7 (1x1, 1024) -> fc8, with dropout as in DeepLab-LargeFOV."""

    def __init__(self, in_ch, n_classes, width=1024):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_ch, width, 3, padding=12, dilation=12), nn.ReLU(inplace=True), nn.Dropout2d(0.5),
            nn.Conv2d(width, width, 1), nn.ReLU(inplace=True), nn.Dropout2d(0.5),
            nn.Conv2d(width, n_classes, 1),
        )

    def forward(self, x):
        return self.body(x)


class LightASPP(nn.Module):
    """A small ASPP (1x1 + atrous 3x3 branches + image pooling), BN + ReLU, for the CPU model."""

    def __init__(self, in_ch, n_classes, rates=(6, 12), width=128):
        super().__init__()

        def cbr(k, d):
            return nn.Sequential(nn.Conv2d(in_ch, width, k, padding=0 if k == 1 else d, dilation=d, bias=False),
                                 nn.BatchNorm2d(width), nn.ReLU(inplace=True))
        self.branches = nn.ModuleList([cbr(1, 1)] + [cbr(3, r) for r in rates])
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_ch, width, 1), nn.ReLU(inplace=True))
        self.project = nn.Sequential(nn.Conv2d(width * (len(rates) + 2), width, 1, bias=False),
                                     nn.BatchNorm2d(width), nn.ReLU(inplace=True), nn.Dropout(0.1),
                                     nn.Conv2d(width, n_classes, 1))

    def forward(self, x):
        outs = [b(x) for b in self.branches]
        outs.append(self.pool(x).expand(-1, -1, *x.shape[2:]))
        return self.project(torch.cat(outs, 1))


class DeepLab(BackboneNet):
    def __init__(self, arch: str, n_classes: int, pretrained: bool = True, weights_path: str | None = None):
        super().__init__()
        if arch not in ARCHS:
            raise ValueError(f"unknown segmentation arch {arch!r}; choose one of {ARCHS}")
        if arch == "deeplab_mobilenet_v2":
            self.features, ch, _ = build_backbone("mobilenet_v2", pretrained, dilate=False, weights_path=weights_path)
            self.head = LightASPP(ch, n_classes)
        elif arch == "deeplab_largefov_vgg16":
            self.features, ch, _ = build_backbone("vgg16", pretrained, dilate=True, weights_path=weights_path)
            self.head = LargeFOVHead(ch, n_classes)
        else:
            self.features, ch, _ = build_backbone("resnet101", pretrained, dilate=True, weights_path=weights_path)
            self.head = ASPPSum(ch, n_classes, rates=(6, 12, 18, 24))
        self.pretrained = pretrained

    def logits(self, x):
        """Class scores at the output stride (what DSRG's losses work on)."""
        return self.head(self.features(x))

    def forward(self, x):
        return F.interpolate(self.logits(x), size=x.shape[2:], mode="bilinear", align_corners=False)

    @torch.no_grad()
    def label_scores(self, x, class_ids=None):
        """Class probabilities (B, C, H, W); class_ids is unused (DeepLab scores every class)."""
        return torch.softmax(self(x), 1)
