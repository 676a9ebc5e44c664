"""AffinityNet (Ahn and Kwak 2018): features whose L1 distances give semantic affinities.

As in PSA: three levels of a stride-8 backbone (PSA: ResNet-38's conv4 / conv5 / conv6), each through a
bias-free 1x1 conv to 64 / 128 / 256 channels and ELU, concatenated (448) and mixed by a 1x1 conv +
ELU. Here the backbone is the project's dilated one (wsss.models.backbones, stride 8) and the three
taps are the ends of its last three stages; PSA's VGG variant adds GroupNorm before each ELU, which
this does too (8 / 16 / 32 groups), since the small batches here make BatchNorm useless.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from wsss.models.backbones import BackboneNet, build_backbone, probe_channels, run_with_taps

# indices into the backbone Sequential after which the three tapped levels end
TAPS = {"mobilenet_v2": (6, 13, 18), "vgg16": (15, 22, 29), "resnet50": (5, 6, 7), "resnet101": (5, 6, 7)}
WIDTHS = (64, 128, 256)


class AffinityNet(BackboneNet):
    def __init__(self, backbone: str, pretrained: bool = True, weights_path: str | None = None):
        super().__init__()
        self.features, _, self.stride = build_backbone(backbone, pretrained, dilate=True, weights_path=weights_path)
        self.taps = TAPS[backbone]
        chans = probe_channels(self.features, self._levels)
        self.head = nn.ModuleList(
            [nn.Sequential(nn.Conv2d(c, w, 1, bias=False), nn.GroupNorm(w // 8, w), nn.ELU()) for c, w in zip(chans, WIDTHS)]
            + [nn.Sequential(nn.Conv2d(sum(WIDTHS), sum(WIDTHS), 1, bias=False), nn.ELU())])
        for m in self.head.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
        self.pretrained = pretrained

    def _levels(self, x):
        return run_with_taps(self.features, x, self.taps)[1]

    def forward(self, x):
        """(B, 3, H, W) -> affinity features (B, 448, ceil(H / 8), ceil(W / 8))."""
        levels = self._levels(x)
        size = levels[-1].shape[-2:]
        levels = [F.interpolate(t, size=size, mode="bilinear", align_corners=False) if t.shape[-2:] != size else t
                  for t in levels]
        return self.head[-1](torch.cat([h(t) for h, t in zip(self.head[:-1], levels)], 1))
