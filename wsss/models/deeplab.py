"""DeepLab segmentation nets: LargeFOV (VGG16), v2 (ResNet-101 + ASPP), MobileNetV2 (CPU demo)."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from wsss.models.backbones import BackboneNet, build_backbone, probe_channels, run_with_taps
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


# Self-regulation exits (wsss.losses.self_regulation): the backbone Sequential indices whose outputs get an
# exit, shallowest first (SR-SS on ResNet-101: the stem, layer1, layer2, layer3)
EXIT_TAPS = {"deeplab_mobilenet_v2": (1, 3, 6, 13), "deeplab_largefov_vgg16": (4, 9, 16, 23),
             "deeplab_v2_resnet101": (2, 4, 5, 6)}


class ExitHead(nn.Module):
    """SR-SS's exit: (3x3 conv + BN + ReLU) x 2 at `width`, 1x1 to class scores; image-level class
    logits from the GAP of those scores through a C x C linear layer (SR-SS: then a sigmoid; the losses
    here take logits, which autocast allows)."""

    def __init__(self, in_ch, n_classes, width):
        super().__init__()
        self.seg = nn.Sequential(
            nn.Conv2d(in_ch, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.Conv2d(width, n_classes, 1))
        self.cls = nn.Linear(n_classes, n_classes)

    def forward(self, f):
        logits = self.seg(f)
        return logits, self.cls(logits.mean((2, 3)))


class DeepLab(BackboneNet):
    def __init__(self, arch: str, n_classes: int, pretrained: bool = True, weights_path: str | None = None,
                 exit_width: int | None = None, class_branch: bool = False):
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
        self.exit_taps = EXIT_TAPS[arch] if exit_width else ()
        if exit_width:  # self-regulation: four exits on the backbone
            chans = probe_channels(self.features, lambda x: self._taps(x)[1])
            self.exits = nn.ModuleList(ExitHead(c, n_classes, exit_width) for c in chans)
        self.class_branch = bool(exit_width or class_branch)
        if self.class_branch:  # image-level class probabilities from the GAP of the final scores
            self.final_cls = nn.Linear(n_classes, n_classes)
        self.pretrained = pretrained

    def param_groups(self):
        """Backbone and (SR-SS) the exits at the base lr; the head and the class branch at the new layers'."""
        exits = list(self.exits.parameters()) if self.exit_taps else []
        extra = list(self.final_cls.parameters()) if self.class_branch else []
        return [p for p in self.features.parameters() if p.requires_grad] + exits, list(self.head.parameters()) + extra

    def logits_and_classes(self, x):
        """Final class scores at the output stride and image-level class logits (B, C)."""
        final = self.logits(x)
        return final, self.final_cls(final.mean((2, 3)))

    def _taps(self, x):
        return run_with_taps(self.features, x, self.exit_taps)

    def exit_outputs(self, x):
        """[(final logits, final class logits), (exit 1 ...), ..., (exit 4 ...)], score maps at each exit's
        own stride (SR-SS's order: the final exit first, then shallow to deep)."""
        f, taps = self._taps(x)
        final = self.head(f)
        return [(final, self.final_cls(final.mean((2, 3))))] + [e(t) for e, t in zip(self.exits, taps)]

    def logits(self, x):
        """Class scores at the output stride (what DSRG's losses work on)."""
        return self.head(self.features(x))

    def forward(self, x):
        return F.interpolate(self.logits(x), size=x.shape[2:], mode="bilinear", align_corners=False)

    @torch.no_grad()
    def label_scores(self, x, class_ids=None):
        """Class probabilities (B, C, H, W); class_ids is unused (DeepLab scores every class)."""
        return torch.softmax(self(x), 1)
