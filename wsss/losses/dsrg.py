"""DSRG (Huang et al., CVPR 2018): seeds grown every step, balanced seed loss + boundary loss
(wsss.ops.dsrg has the growth and the losses)."""
from __future__ import annotations

from wsss.losses import register
from wsss.losses.base import Loss

# DSRG's CRF at its 41x41 output: the krahenbuhl2013 wrapper with scale_factor 12 (bilateral 80/12 px,
# colour 13, weight 10; Gaussian 3/12 px, weight 3) and the probabilities themselves as unary scores.
CRF_SCHEMA = {"$ref": "#/definitions/crf", "default": {"iterations": 10, "gauss_sxy": 0.25, "gauss_compat": 3,
                                                       "bilat_sxy": 6.667, "bilat_srgb": 13, "bilat_compat": 10,
                                                       "unary": "neg_prob"}}


@register
class DSRG(Loss):
    name = "dsrg"
    published = "DSRG"
    section = "dsrg"
    sees_padding = True
    schema = {
        "fg_threshold": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.85},
        "bg_threshold": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.99},
        "crf": CRF_SCHEMA,
    }

    def __call__(self, model, x, label, targets, settings):
        from wsss.ops.dsrg import dsrg_loss

        return dsrg_loss(model, x, label, targets, settings["dsrg"])
