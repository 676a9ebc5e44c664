"""PSL: prohibitive segmentation learning (Wei et al., CVPR 2017, the PSL of AE-PSL; seed 001).

The DeepLab gets a multi-label classification branch (the GAP of its class scores through a C x C
linear layer and a sigmoid). Online prohibitive labels: the per-pixel class probabilities, each
class multiplied by the branch's probability of that class where the image is labelled with it and
by 0 where it is not (prohibited; background keeps weight 1); their argmax is an extra label map,
recomputed every step, so the supervision improves as the network does. Loss: cross-entropy against
the (mined) pseudo labels + cross-entropy against the online labels + the branch's multi-label loss.
Departures: the branch sits on the class scores (the paper: on the segmentation features), the three
terms have weight 1 (a priori), crop padding is never an online label.
"""
from __future__ import annotations

from wsss.losses import register
from wsss.losses.base import Loss, masked_ce


def prohibitive_labels(logits, class_probs, targets):
    """argmax over classes of softmax(logits) (B, C, H, W) weighted by [1, class_probs[1:] x targets]."""
    import torch

    w = torch.cat([torch.ones_like(class_probs[:, :1]), class_probs[:, 1:] * targets], 1)
    return (torch.softmax(logits, 1) * w[..., None, None]).argmax(1)


@register
class PSL(Loss):
    name = "psl"
    sees_padding = True

    def model_options(self, settings):
        return {"class_branch": True}

    def __call__(self, model, x, label, targets, settings):
        import torch
        import torch.nn.functional as F

        from wsss.io.files import IGNORE, PAD

        logits, class_logits = model.logits_and_classes(x)
        up = F.interpolate(logits.float(), size=x.shape[-2:], mode="bilinear", align_corners=False)
        class_probs = torch.sigmoid(class_logits.float())
        pad = label == PAD
        with torch.no_grad():
            online = prohibitive_labels(up, class_probs, targets.to(up.dtype)).masked_fill(pad, IGNORE)
        mined = masked_ce(up, label.masked_fill(pad, IGNORE), IGNORE)
        cls = F.binary_cross_entropy_with_logits(class_logits[:, 1:].float(), targets.to(up.dtype))
        return mined + masked_ce(up, online, IGNORE) + cls
