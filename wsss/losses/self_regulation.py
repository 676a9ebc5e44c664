"""Self-regulation (Zhang et al., ICCV 2021, "Self-Regulation for Semantic Segmentation"; seed 004), as
its official code (dongzhang89/SR-SS, trainval.py / losses.py, read for facts) computes it on a
DeepLab with four extra exits (wsss.models.deeplab.ExitHead; the stem and three backbone stages):

- MEA (multi-exit): cross-entropy of every exit's scores (upsampled) against the label, and a binary
  cross-entropy of every exit's image-level class probabilities against the classes present in the
  label map (background included);
- SR-F (shallow to deep): the shallowest exit's per-pixel argmax is a hard label for the deeper
  exits and the final one (cross-entropy, no ignore; the paper describes a feature distillation with
  a temperature, the code does this);
- SR-L (deep to shallow): the final exit's class probabilities, detached, are soft targets of the
  four exits' (binary cross-entropy).
Total = w_cls x MEA-cls + w_seg x MEA-seg + w_srl x SR-L + w_srf x SR-F, weights 0.2 / 0.8 / 1 / 1 as
in the code (`segmentation.self_regulation`). Departures: 255 stays ignored in MEA-seg (SR-SS turns it
into background, which in WSSS would teach "uncertain = background"), exit width in config (SR-SS: 256).
The exits train at the backbone's lr (SR-SS: 10x only for the ASPP), the head and the final class
layer at the new layers' 10x. Their BatchNorm uses batch statistics (SR-SS calls net.eval() before
training, so every BN there runs on its initial running statistics). Inference uses only the final
exit, so prediction is unchanged.
"""
from __future__ import annotations

from wsss.losses import register
from wsss.losses.base import Loss, masked_ce


def presence(label, n_classes: int):
    """(B, C) 0/1: the classes present in each label map (B, H, W), 255 and padding ignored."""
    import torch

    out = torch.zeros(label.shape[0], n_classes, device=label.device)
    for b in range(label.shape[0]):
        classes = label[b][label[b] < n_classes].unique()
        out[b, classes] = 1
    return out


def sr_losses(outputs, label, ignore: int = 255) -> dict:
    """The four terms from exit_outputs [(final score map, class logits), (exit 1 ...), ...] and labels
    (B, H, W). Binary cross-entropies take logits (SR-SS applies the sigmoid first; same values, and
    autocast allows this form); SR-L's soft targets are the final exit's sigmoid, detached."""
    import torch
    import torch.nn.functional as F

    size = label.shape[-2:]
    up = [F.interpolate(lo.float(), size=size, mode="bilinear", align_corners=False) for lo, _ in outputs]
    cls_logits = [c.float() for _, c in outputs]
    target = presence(label, up[0].shape[1])
    seg = sum(masked_ce(u, label, ignore) for u in up)
    cls = sum(F.binary_cross_entropy_with_logits(c, target) for c in cls_logits)
    shallow = up[1].argmax(1).detach()
    srf = sum(F.cross_entropy(u, shallow) for u in [up[0]] + up[2:])
    teacher = torch.sigmoid(cls_logits[0]).detach()
    srl = sum(F.binary_cross_entropy_with_logits(c, teacher) for c in cls_logits[1:])
    return {"seg": seg, "cls": cls, "srf": srf, "srl": srl}


@register
class SelfRegulation(Loss):
    name = "self_regulation"
    section = "self_regulation"
    schema = {
        "width": {"type": "integer", "minimum": 1, "default": 256, "description": "exit heads' width (SR-SS: 256)"},
        "w_cls": {"type": "number", "minimum": 0, "default": 0.2},
        "w_seg": {"type": "number", "minimum": 0, "default": 0.8},
        "w_srl": {"type": "number", "minimum": 0, "default": 1.0},
        "w_srf": {"type": "number", "minimum": 0, "default": 1.0},
    }

    def model_options(self, settings):
        return {"exit_width": settings["self_regulation"]["width"]}

    def __call__(self, model, x, label, targets, settings):
        s = settings["self_regulation"]
        t = sr_losses(model.exit_outputs(x), label)
        return s["w_cls"] * t["cls"] + s["w_seg"] * t["seg"] + s["w_srl"] * t["srl"] + s["w_srf"] * t["srf"]
