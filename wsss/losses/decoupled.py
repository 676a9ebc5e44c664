"""DecoupledNet's own objective: its classification loss trains the encoder, its figure-ground loss the
bridging layers and the deconvolution net (wsss.models.decoupled_net.DecoupledNet.loss)."""
from __future__ import annotations

from wsss.losses import register
from wsss.losses.base import Loss


@register
class Decoupled(Loss):
    name = "decoupled"

    def __call__(self, model, x, label, targets, settings):
        return model.loss(x, label, targets)
