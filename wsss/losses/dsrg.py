"""DSRG (Huang et al., CVPR 2018): seeds grown every step, balanced seed loss + boundary loss
(wsss.ops.dsrg has the growth and the losses)."""
from __future__ import annotations

from wsss.losses import register
from wsss.losses.base import Loss

CRF_SCHEMA = {"$ref": "#/definitions/crf", "default": {}}


@register
class DSRG(Loss):
    name = "dsrg"
    section = "dsrg"
    schema = {
        "fg_threshold": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.85},
        "bg_threshold": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.99},
        "crf": CRF_SCHEMA,
    }

    def __call__(self, model, x, label, targets, settings):
        from wsss.ops.dsrg import dsrg_loss

        return dsrg_loss(model, x, label, targets, settings["dsrg"])
