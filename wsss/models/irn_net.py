"""IRN's class-boundary branch (Ahn, Cho, Kwak 2019; facts from jiwoon-ahn/irn net/resnet50_irn.py):
a FROZEN backbone at stride 16, five levels (IRN: ResNet-50's stem, layer1..layer4) each through a
bias-free 1x1 conv to 32 channels + GroupNorm(4) + ReLU, upsampled to stride 4 and concatenated, then a
1x1 conv to one boundary logit per position (stride 4). Only the branch trains."""
from __future__ import annotations

import math

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
        feats = [F.relu(to_stride4(m(t), x.shape[-2], size)) for m, t in zip(self.levels, self._levels(x))]
        return self.out(torch.cat(feats, 1))[:, 0]


def to_stride4(level: torch.Tensor, image_height: int, size: tuple[int, int]) -> torch.Tensor:
    """A level of stride s (a power of 2) on the stride-4 grid of `size`: upsampled by exactly s / 4, then the
    top-left `size` kept (short edges, e.g. VGG's floor-sized pools, repeat their last cell), as IRN does.
    Cell i of the level then lands on the stride-4 cells whose centres it covers; a resize to `size`
    instead would stretch the level by size / its own size and drift up to 3/4 of a level cell at the far
    edges when the image is not a multiple of s."""
    factor = 2 ** round(math.log2(image_height / level.shape[-2])) // 4
    if factor > 1:
        level = F.interpolate(level, scale_factor=factor, mode="bilinear", align_corners=False)
    pad_h, pad_w = max(size[0] - level.shape[-2], 0), max(size[1] - level.shape[-1], 0)
    if pad_h or pad_w:
        level = F.pad(level, (0, pad_w, 0, pad_h), mode="replicate")
    return level[..., :size[0], :size[1]]
