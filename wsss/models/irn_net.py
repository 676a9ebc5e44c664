"""IRN's class-boundary branch (Ahn, Cho, Kwak 2019; facts from jiwoon-ahn/irn net/resnet50_irn.py):
a FROZEN backbone at stride 16, five levels (IRN: ResNet-50's stem, layer1..layer4) each through a
bias-free 1x1 conv to 32 channels + GroupNorm(4) + ReLU, upsampled to stride 4 and concatenated, then a
1x1 conv to one boundary logit per position (stride 4). Only the branch trains."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from wsss.models.backbones import BackboneNet, build_backbone, probe_channels, run_with_taps

# indices into the (stride-16) backbone Sequential whose outputs are the levels (shallow to deep)
TAPS = {"mobilenet_v2": (2, 3, 6, 13, 18), "vgg16": (9, 15, 22, 29), "resnet50": (3, 4, 5, 6, 7),
        "resnet101": (3, 4, 5, 6, 7)}


class BoundaryNet(BackboneNet):
    stride = 4

    def __init__(self, backbone: str, pretrained: bool = True, weights_path: str | None = None):
        super().__init__()
        self.features, _, _ = build_backbone(backbone, pretrained, dilate=False, weights_path=weights_path)
        for p in self.features.parameters():
            p.requires_grad_(False)
        self.taps = TAPS[backbone]
        chans = probe_channels(self.features, self._levels)
        self.levels = nn.ModuleList(nn.Sequential(nn.Conv2d(c, 32, 1, bias=False), nn.GroupNorm(4, 32)) for c in chans)
        self.out = nn.Conv2d(32 * len(chans), 1, 1)
        self.pretrained = pretrained

    @property
    def head(self):
        return nn.ModuleList([self.levels, self.out])

    def train(self, mode: bool = True):
        super().train(mode)
        self.features.eval()  # frozen backbone: BatchNorm statistics fixed too
        return self

    def _levels(self, x):
        with torch.no_grad():
            return run_with_taps(self.features, x, self.taps)[1]

    def forward(self, x):
        """(B, 3, H, W) -> boundary logits (B, ceil(H / 4), ceil(W / 4))."""
        size = (-(-x.shape[-2] // 4), -(-x.shape[-1] // 4))
        feats = [F.relu(F.interpolate(m(t), size=size, mode="bilinear", align_corners=False) if t.shape[-2:] != size
                        else m(t)) for m, t in zip(self.levels, self._levels(x))]
        return self.out(torch.cat(feats, 1))[:, 0]
