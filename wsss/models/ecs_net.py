"""ECS-Net's network: the CAM classifier (wsss.models.cam_net) plus a background score map, so that
the CAM logits of an image can be trained with a per-pixel softmax over background and classes
(ECS-Net's segmentation loss; its ResNet-38 / SEAM-style classifier has a background output too)."""
from __future__ import annotations

import torch
import torch.nn as nn

from wsss.models.cam_net import CAMNet


class ECSNet(CAMNet):
    def __init__(self, backbone: str, n_fg: int, pretrained: bool = True, weights_path: str | None = None):
        super().__init__(backbone, n_fg, pretrained, weights_path)
        ch = self.classifier.in_channels
        self.background = nn.Conv2d(ch, 1, 1)
        nn.init.xavier_uniform_(self.background.weight)
        nn.init.zeros_(self.background.bias)

    @property
    def head(self):
        return nn.ModuleList([self.classifier, self.background])

    def score_maps(self, x):
        """(B, 1 + C, h, w) logits at the feature stride: background, then the classes' CAM logits."""
        f = self.features(x)
        return torch.cat([self.background(f), self.classifier(f)], 1)
