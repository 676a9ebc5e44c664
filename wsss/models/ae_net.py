"""Adversarial erasing (Wei et al., CVPR 2017, "Object region mining with adversarial erasing"):
T classifiers, step t seeing the image with the regions mined by steps 1..t-1 erased (set to the mean
pixel, 0 after normalisation); each step's CAM above `threshold` x its max is the region it mines, and
the mined regions together are the object. The localization map is the max over steps of each step's
max-normalised CAM, so that map above `threshold` is exactly the union of the mined regions.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from wsss.models.cam_net import CAMNet


def normalised(cam):
    """(B, K, h, w) nonnegative maps, each divided by its max."""
    return cam / cam.flatten(2).max(-1).values.clamp_min(1e-5)[..., None, None]


class AENet(nn.Module):
    def __init__(self, backbone: str, n_fg: int, pretrained: bool = True, weights_path: str | None = None,
                 steps: int = 3, threshold: float = 0.5):
        super().__init__()
        self.steps = nn.ModuleList(CAMNet(backbone, n_fg, pretrained, weights_path) for _ in range(steps))
        self.threshold = threshold
        self.stride = self.steps[0].stride

    def param_groups(self):
        groups = [s.param_groups() for s in self.steps]
        return [p for g in groups for p in g[0]], [p for g in groups for p in g[1]]

    def forward(self, x):
        """Image logits of the first step's classifier (the unerased image: the validation mAP)."""
        return self.steps[0](x)

    def erased_views(self, x, y):
        """The inputs of every step, (T, B, 3, H, W): x, then x with the regions mined so far erased.
        y (B, C) multi-hot: the classes whose maps mine regions. No gradients (the erasing is fixed)."""
        views, cur = [x], x
        mined = torch.zeros(x.shape[0], 1, *x.shape[-2:], dtype=torch.bool, device=x.device)
        with torch.no_grad():
            for net in self.steps[:-1]:
                maps = normalised(F.relu(F.conv2d(net.features(cur), net.classifier.weight))) * y[..., None, None]
                maps = F.interpolate(maps, size=x.shape[-2:], mode="bilinear", align_corners=False)
                mined |= maps.max(1, keepdim=True).values > self.threshold
                cur = x.masked_fill(mined, 0.0)
                views.append(cur)
        return torch.stack(views)

    def step_logits(self, x, y):
        """(T, B, C): each step's logits on its erased input."""
        views = self.erased_views(x, y)
        return torch.stack([net(v) for net, v in zip(self.steps, views)])

    def cam(self, x, class_idx):
        """Max over steps of each step's max-normalised CAM (B, K, h, w) of the classes class_idx, step t on
        the view with the regions mined by the earlier steps (from these classes' maps) erased."""
        y = torch.zeros(x.shape[0], self.steps[0].classifier.out_channels, device=x.device)
        y[:, class_idx] = 1
        out = None
        for net, v in zip(self.steps, self.erased_views(x, y)):
            with torch.no_grad():
                m = normalised(net.cam(v, class_idx))
            out = m if out is None else torch.maximum(out, m)
        return out
