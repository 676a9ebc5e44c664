"""Pixel-wise cross-entropy on the (pseudo) label map, 255 ignored."""
from __future__ import annotations

from wsss.losses import register
from wsss.losses.base import Loss


@register
class CrossEntropy(Loss):
    name = "ce"

    def __call__(self, model, x, label, targets, settings):
        import torch.nn.functional as F

        from wsss.io.files import IGNORE

        return F.cross_entropy(model(x), label, ignore_index=IGNORE)
