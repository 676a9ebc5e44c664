"""MDC (Wei, Xiao, Shi, Jie, Feng, Huang, CVPR 2018, "Revisiting dilated convolution"): a classifier
whose backbone features feed parallel 3x3 convolution blocks of dilation rates d = 1, 3, 6, 9, each
with its own GAP classifier. Larger rates spread class evidence to the object's less discriminative
parts; their maps are averaged so that the false positives of any one rate are damped:

    H = H_0 + (1 / n_d) * sum_{i=1..n_d} H_i      (H_0: d = 1, H_i: the dilated blocks)

Each block's map is its CAM, ReLU(W_i . f_i). Training sums the blocks' classification losses.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from wsss.models.backbones import BackboneNet, build_backbone


class DilatedBlock(nn.Module):
    """3x3 conv at one dilation rate + ReLU, then a bias-free 1x1 classifier (its CAM weights)."""

    def __init__(self, in_ch: int, width: int, n_fg: int, rate: int):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, width, 3, padding=rate, dilation=rate)
        self.classifier = nn.Conv2d(width, n_fg, 1, bias=False)
        nn.init.kaiming_normal_(self.conv.weight, nonlinearity="relu")
        nn.init.zeros_(self.conv.bias)
        nn.init.xavier_uniform_(self.classifier.weight)

    def forward(self, f):
        return F.relu(self.conv(f))


class MDCNet(BackboneNet):
    def __init__(self, backbone: str, n_fg: int, pretrained: bool = True, weights_path: str | None = None,
                 rates=(1, 3, 6, 9), width: int = 512):
        super().__init__()
        if rates[0] != 1:
            raise ValueError(f"MDC rates must start with 1 (the undilated block H_0), got {list(rates)}")
        self.features, ch, self.stride = build_backbone(backbone, pretrained, dilate=False, weights_path=weights_path)
        self.blocks = nn.ModuleList(DilatedBlock(ch, width, n_fg, r) for r in rates)
        self.rates = tuple(rates)
        self.pretrained = pretrained

    @property
    def head(self):
        return self.blocks

    def branch_logits(self, x):
        """(n_blocks, B, C) image-level logits, one set per dilation rate."""
        f = self.features(x)
        return torch.stack([b.classifier(F.adaptive_avg_pool2d(b(f), 1)).flatten(1) for b in self.blocks])

    def forward(self, x):
        """Image logits: the mean over the blocks (the validation mAP's scores)."""
        return self.branch_logits(x).mean(0)

    def block_cams(self, x, class_idx=None):
        """(n_blocks, B, K, h, w) CAMs ReLU(W_i . f_i) of each block."""
        f = self.features(x)
        maps = []
        for b in self.blocks:
            w = b.classifier.weight if class_idx is None else b.classifier.weight[class_idx]
            maps.append(F.relu(F.conv2d(b(f), w)))
        return torch.stack(maps)

    def cam(self, x, class_idx=None):
        """MDC's fused map H_0 + mean of the dilated blocks' maps, (B, K, h, w)."""
        maps = self.block_cams(x, class_idx)
        return maps[0] + maps[1:].mean(0) if len(maps) > 1 else maps[0]
