"""ECS-Net: erased CAM supervision (Sun, Shi, Zhang, Huang, ICCV 2021; seed 003).

One training step (`ecs_step`), as the paper describes it:
1. the CAM classifier on the image; its CAMs of the labelled classes, ReLU'd and max-normalised
   (absent classes weighted 0), give the score map s = max over classes;
2. the high-response region R = {s > delta} (delta = 0.6) is erased with a Gaussian blur;
3. the same network (shared weights) on the erased image gives CAMs a' and coarse labels L' = argmax;
4. reliable labels: not in R (erased pixels are easy and lost their features), not background, and
   s' = max over classes of a' above theta; everything else is ignored;
5. loss = multi-label loss of the image + of the erased image + cross-entropy of the per-pixel
   softmax over the classes of the ORIGINAL image's CAM logits against L' on the reliable pixels
   (background labels are ignored, as the paper says, so there is no background channel to train).
Maps: plain CAMs of the trained network (wsss.localizers.cam).

No public code of ECS-Net exists (searched); what the paper text does not fix was chosen a priori and
is NOT the paper's, all in config: the blur (sigma as a fraction of the crop side), theta (0.5, the
half-max rule the SPN and FickleNet seeds use) and the segmentation loss weight (1). Crop padding
(the mean colour, wsss.data.transforms.augment) is never a reliable pixel. Not built: the paper's
input rescale beta and its multi-dilation coverage module in the erased branch. Backbone: the
project's (paper: VGG16 / ResNet-38).
"""
from __future__ import annotations

from wsss.localizers import register
from wsss.localizers.cam import CAM

IGNORE = 255


def normalised_cams(logits, y):
    """(B, C, h, w) CAM logits -> ReLU'd maps divided by their max, absent classes (y = 0) zeroed."""
    import torch.nn.functional as F

    c = F.relu(logits)
    return c / (c.flatten(2).max(-1).values[..., None, None] + 1e-5) * y[..., None, None]


def gaussian_blur(x, sigma: float):
    """Separable Gaussian blur of (B, 3, H, W) with reflect padding, kernel radius 2 sigma."""
    import torch
    import torch.nn.functional as F

    r = max(1, int(round(2 * sigma)))
    t = torch.arange(-r, r + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    c = x.shape[1]
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def erase(x, region, sigma: float):
    """x with the pixels of region (B, H, W) bool replaced by a Gaussian blur of x."""
    m = region[:, None].to(x.dtype)
    return x * (1 - m) + gaussian_blur(x, sigma) * m


def reliable_labels(erased_maps, erased, theta: float, padding=None):
    """Labels L' (B, H, W): 1-based argmax class of the erased image's maps (B, C, H, W) where the max
    exceeds theta, outside the erased region and the padding; IGNORE elsewhere (background ignored too)."""
    import torch

    score, cls = erased_maps.max(1)
    keep = (score > theta) & ~erased
    if padding is not None:
        keep &= ~padding
    return torch.where(keep, cls + 1, torch.full_like(cls, IGNORE))


def padding_mask(x):
    """(B, H, W) bool: pixels of the normalised batch x that are the augmentation's padding colour."""
    import numpy as np
    import torch

    from wsss.data.transforms import _MEAN, to_tensor

    pad = to_tensor(np.round(_MEAN).astype(np.uint8)[None, None])[:, 0, 0].to(x.device, x.dtype)
    return (x - pad[:, None, None]).abs().amax(1) < 1e-3


def ecs_step(model, x, y, delta: float, theta: float, sigma: float, seg_weight: float) -> dict:
    """The losses of one batch (see the module docstring); x (B, 3, H, W), y (B, C) multi-hot."""
    import torch
    import torch.nn.functional as F

    from wsss.losses.base import masked_ce

    size = x.shape[-2:]
    up = lambda t: F.interpolate(t.float(), size=size, mode="bilinear", align_corners=False)  # noqa: E731
    scores = model.class_scores(x)
    cls = F.multilabel_soft_margin_loss(scores.mean((2, 3)), y)
    with torch.no_grad():
        s = up(normalised_cams(scores.detach(), y)).max(1).values
        region = s > delta
        x_erased = erase(x, region, sigma)
    erased_scores = model.class_scores(x_erased)
    cls_erased = F.multilabel_soft_margin_loss(erased_scores.mean((2, 3)), y)
    with torch.no_grad():
        target = reliable_labels(up(normalised_cams(erased_scores.detach(), y)), region, theta,
                                 padding=padding_mask(x))
        target = torch.where(target == IGNORE, target, target - 1)   # 1-based class ids -> score channels
    seg = masked_ce(up(scores), target, IGNORE)
    return {"cls": cls, "cls_erased": cls_erased, "seg": seg_weight * seg,
            "erased_fraction": region.float().mean(), "reliable_fraction": (target != IGNORE).float().mean()}


@register
class ECSNet(CAM):
    name = "ecs"
    map_methods = ("cam",)
    published = "ECS-Net"
    classifier_section = "ecs"
    classifier_schema = {
        "delta": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.6,
                  "description": "erase where the max-normalised CAM exceeds this (paper: 0.6)"},
        "theta": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.5,
                  "description": "reliable where the erased image's map exceeds this (a priori, not the paper's)"},
        "blur_sigma": {"type": "number", "exclusiveMinimum": 0, "default": 0.025,
                       "description": "Gaussian blur sigma as a fraction of the crop side (a priori)"},
        "seg_weight": {"type": "number", "minimum": 0, "default": 1.0,
                       "description": "weight of the erased-CAM segmentation loss (a priori)"},
    }

    def build(self, settings, n_fg, pretrained=None):
        from wsss.models.cam_net import CAMNet

        pretrained = settings["pretrained"] if pretrained is None else pretrained
        net = CAMNet(settings["backbone"], n_fg, pretrained, settings.get("weights_path"))
        net.ecs = dict(settings["ecs"])  # the training step's settings
        return net

    def step(self, model, batch, device):
        x, y = batch
        x, y = x.to(device), y.to(device)
        e = model.ecs
        losses = ecs_step(model, x, y, e["delta"], e["theta"], e["blur_sigma"] * x.shape[-1], e["seg_weight"])
        return losses["cls"] + losses["cls_erased"] + losses["seg"]
