"""GAP classifier whose 1x1 classifier weights turn features into class activation maps."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from wsss.models.backbones import BackboneNet, build_backbone


class CAMNet(BackboneNet):
    def __init__(self, backbone: str, n_fg: int, pretrained: bool = True, weights_path: str | None = None,
                 bias: bool = False):
        super().__init__()
        self.features, ch, self.stride = build_backbone(backbone, pretrained, dilate=False, weights_path=weights_path)
        self.classifier = nn.Conv2d(ch, n_fg, 1, bias=bias)
        nn.init.xavier_uniform_(self.classifier.weight)
        if bias:
            nn.init.zeros_(self.classifier.bias)
        self.pretrained = pretrained

    @property
    def head(self):
        return self.classifier

    def forward(self, x):
        f = self.features(x)
        return self.classifier(F.adaptive_avg_pool2d(f, 1)).flatten(1)

    def class_scores(self, x):
        """(B, C, h, w) class scores W . features at the feature stride (no ReLU)."""
        return self.classifier(self.features(x))

    def cam(self, x, class_idx=None):
        """ReLU(W_c . features): (B, C, h, w) at the feature stride."""
        w = self.classifier.weight
        if class_idx is not None:
            w = w[class_idx]
        return F.relu(F.conv2d(self.features(x), w))

    def grad_cam(self, x, class_idx):
        """Grad-CAM: channel weights = spatial mean of d score_c / d features."""
        with torch.enable_grad():
            f = self.features(x).detach().requires_grad_(True)
            logits = self.classifier(F.adaptive_avg_pool2d(f, 1)).flatten(1)
            maps = []
            for c in class_idx:
                (g,) = torch.autograd.grad(logits[:, c].sum(), f, retain_graph=True)
                w = g.mean(dim=(2, 3), keepdim=True)
                maps.append(F.relu((w * f).sum(1)))
        return torch.stack(maps, 1).detach()


class LPFTNet(CAMNet):
    """CAMNet for LP-FT (wsss.localizers.cam_lpft): its CAM layer has a bias (the probe's per-class constant;
    the maps never use it) and trains at the backbone's learning rate (one parameter group, no new layer)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs, bias=True)

    def param_groups(self):
        old, new = super().param_groups()
        return old + new, []
