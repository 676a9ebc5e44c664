"""SEAM (Wang, Zhang, Kan, Shan, Chen, CVPR 2020): a CAM network with a pixel correlation module (PCM),
trained so that the CAMs of an image and of its rescaled copy agree (equivariance).

Facts from YudeWang/SEAM (network/resnet38_SEAM.py, train_SEAM.py), followed here:
- stride-8 features (SEAM: ResNet-38; here the project's dilated backbone), a bias-free 1x1 classifier
  whose raw output is the CAM;
- PCM: the image resized to the feature map, ReLU(1x1(mid-level features)) to 64 and ReLU(1x1(late
  features)) to 128 channels, both from DETACHED backbone features, concatenated and projected by a
  bias-free 1x1 conv to 192; affinities ReLU(cosine) between all positions, each column normalised to
  sum 1; the refined map is the seed CAM times the affinity matrix. The seed is the detached CAM, ReLU'd,
  divided by its max, with background 1 - max over classes, and only each position's top class kept.
  So PCM's gradients reach only its three 1x1 convs.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from wsss.models.backbones import BackboneNet, build_backbone, probe_channels, run_with_taps

# indices into the dilated backbone Sequential: the mid- and late-level features the PCM reads
# (SEAM: ResNet-38's conv4 and conv5, both at stride 8)
TAPS = {"mobilenet_v2": (6, 13), "vgg16": (22, 29), "resnet50": (5, 6), "resnet101": (5, 6)}


def pcm_seed(cam):
    """Detached seed of the PCM from raw CAMs (B, C, h, w) -> (B, 1 + C, h, w): ReLU, / max, background
    1 - max over classes, every class but a position's top one zeroed (no label mask, as in SEAM)."""
    c = F.relu(cam.detach())
    c = F.relu(c - 1e-5) / (c.flatten(2).max(-1).values[..., None, None] + 1e-5)
    top = c.max(1, keepdim=True).values
    return torch.cat([1 - top, torch.where(c < top, torch.zeros_like(c), c)], 1)


def pcm(seed, feat):
    """Pixel correlation: seed (B, K, h, w) propagated by ReLU(cosine) affinities of feat (B, D, h, w),
    each target position's affinities summed to 1 over the source positions."""
    b, _, h, w = feat.shape
    f = feat.flatten(2)
    f = f / (f.norm(dim=1, keepdim=True) + 1e-5)
    aff = F.relu(f.transpose(1, 2) @ f)           # aff[i, j]: source i, target j
    aff = aff / (aff.sum(1, keepdim=True) + 1e-5)
    return (seed.flatten(2) @ aff).view(b, -1, h, w)


class SEAMNet(BackboneNet):
    def __init__(self, backbone: str, n_fg: int, pretrained: bool = True, weights_path: str | None = None,
                 scale: float = 0.3, ecr_fraction: float = 0.2):
        super().__init__()
        self.scale, self.ecr_fraction = scale, ecr_fraction  # the training step's settings (localizers.seam)
        self.features, ch, self.stride = build_backbone(backbone, pretrained, dilate=True, weights_path=weights_path)
        self.taps = TAPS[backbone]
        mid, late = probe_channels(self.features, lambda x: self._levels(x)[1])
        self.dropout = nn.Dropout2d(0.5)  # SEAM: Dropout2d(0.5) on the features before fc8
        self.classifier = nn.Conv2d(ch, n_fg, 1, bias=False)
        self.reduce_mid = nn.Conv2d(mid, 64, 1, bias=False)
        self.reduce_late = nn.Conv2d(late, 128, 1, bias=False)
        self.project = nn.Conv2d(3 + 64 + 128, 192, 1, bias=False)
        nn.init.xavier_uniform_(self.classifier.weight)
        nn.init.kaiming_normal_(self.reduce_mid.weight)
        nn.init.kaiming_normal_(self.reduce_late.weight)
        nn.init.xavier_uniform_(self.project.weight, gain=4)
        self.head = nn.ModuleList([self.classifier, self.reduce_mid, self.reduce_late, self.project])
        self.pretrained = pretrained

    def _levels(self, x):
        return run_with_taps(self.features, x, self.taps)

    def cams(self, x):
        """Raw CAMs (B, C, h, w) and the PCM features (B, 192, h, w) at the feature stride."""
        f, (mid, late) = self._levels(x)
        cam = self.classifier(self.dropout(f))
        size = cam.shape[-2:]
        fit = lambda t: t if t.shape[-2:] == size else F.interpolate(t, size=size, mode="bilinear",  # noqa: E731
                                                                     align_corners=True)
        feat = self.project(torch.cat([fit(x), fit(F.relu(self.reduce_mid(mid.detach()))),
                                       fit(F.relu(self.reduce_late(late.detach())))], 1))
        return cam, feat

    def refined(self, x):
        """Raw CAMs (B, C, h, w) and the PCM-refined maps (B, 1 + C, h, w), background first."""
        cam, feat = self.cams(x)
        return cam, pcm(pcm_seed(cam), feat)

    def forward(self, x):
        """Image logits: GAP of the raw CAM (the classifier is linear, so = classifier(GAP(features)))."""
        return self.classifier(F.adaptive_avg_pool2d(self.dropout(self.features(x)), 1)).flatten(1)
