"""SEAM: self-supervised equivariant attention (Wang et al., CVPR 2020; wsss.models.seam_net).

Training step, as train_SEAM.py of YudeWang/SEAM (facts read there; formulas in `seam_losses`):
- the batch and its copy downscaled by `classifier.seam.scale` (0.3, bilinear, align_corners);
- multi-label soft-margin loss on the GAP of each branch's raw CAM, averaged over the branches, plus
  SEAM's adaptive min-pooling term on the label-masked PCM maps (the lowest quarter of positions);
- ER: mean |CAM_1 - CAM_2| of the max-normalised, label-masked CAMs at the small branch's size;
- ECR: |top-class(other branch's CAM, detached) - PCM map|, mean of its top 20% per image, both ways.
Maps (`cams.method: pcm`, SEAM's inference): the PCM-refined maps of the labelled classes at every
view of `cams.scales` (and flip), summed, ReLU'd and min-max normalised per class. `cams.method: cam`
gives the same network's raw CAMs (ablation).
Departures: MobileNetV2 (or another project backbone) dilated to stride 8 instead of ResNet-38, the
project's optimiser and schedule (SEAM: SGD lr 0.01, 8 epochs of train_aug, 448 crops).
"""
from __future__ import annotations

import numpy as np

from wsss.localizers import register
from wsss.localizers.base import Maps
from wsss.localizers.cam import CAM


def max_norm(p):
    """SEAM's per-map normalisation of (B, K, H, W): ReLU, then (p - min) / (max - min) over H, W."""
    import torch.nn.functional as F

    p = F.relu(p)
    flat = p.flatten(2)
    lo, hi = flat.min(-1).values[..., None, None], flat.max(-1).values[..., None, None]
    return F.relu(p - lo - 1e-5) / (hi - lo + 1e-5)


def top_class_only(maps):
    """A copy of (B, 1 + C, H, W) maps with every class but each position's top class zeroed
    (SEAM's max_onehot: magnitudes kept, the background channel untouched)."""
    import torch

    out = maps.clone()
    fg = out[:, 1:]
    out[:, 1:] = torch.where(fg < fg.max(1, keepdim=True).values, torch.zeros_like(fg), fg)
    return out


def min_pool_loss(maps):
    """SEAM's adaptive min-pooling term: max over classes, the lowest quarter of positions, ReLU, mean."""
    import torch.nn.functional as F

    n, _, h, w = maps.shape
    k = h * w // 4
    low = maps.max(1).values.flatten(1).topk(k, dim=-1, largest=False).values
    return F.relu(low).sum() / (k * n)


def top_fraction_mean(err, fraction: float):
    """Mean of each image's largest `fraction` of elements of err (B, ...) (SEAM's OHEM on the ECR)."""
    flat = err.flatten(1)
    k = max(1, int(flat.shape[1] * fraction))
    return flat.topk(k, dim=-1).values.mean()


def seam_losses(cam1, rv1, cam2, rv2, y, ecr_fraction: float = 0.2) -> dict:
    """SEAM's losses of both branches: raw CAMs cam_k (B, C, H_k, W_k) and PCM maps rv_k (B, 1 + C, .)
    upsampled to each branch's input size (branch 2 the small one), image labels y (B, C)."""
    import torch
    import torch.nn.functional as F

    size = cam2.shape[-2:]
    down = lambda t: F.interpolate(t, size=size, mode="bilinear", align_corners=True)  # noqa: E731
    label = torch.cat([torch.ones_like(y[:, :1]), y], 1)[..., None, None]
    cls = (F.multilabel_soft_margin_loss(cam1.mean((2, 3)), y) + F.multilabel_soft_margin_loss(cam2.mean((2, 3)), y)) / 2
    rvmin = (min_pool_loss((rv1 * label)[:, 1:]) + min_pool_loss((rv2 * label)[:, 1:])) / 2
    c1, c2 = down(max_norm(cam1)) * y[..., None, None], max_norm(cam2) * y[..., None, None]
    r1, r2 = down(max_norm(rv1)) * label, max_norm(rv2) * label
    er = (c1 - c2).abs().mean()
    with_bg = lambda c: torch.cat([1 - c.max(1, keepdim=True).values, c], 1)  # noqa: E731
    ecr = top_fraction_mean((top_class_only(with_bg(c2).detach()) - r1).abs(), ecr_fraction) + \
        top_fraction_mean((top_class_only(with_bg(c1).detach()) - r2).abs(), ecr_fraction)
    return {"cls": cls, "rvmin": rvmin, "er": er, "ecr": ecr}


def image_seam_cams(model, img, class_ids, scales, flip: bool, method: str, device) -> np.ndarray:
    """(K, H, W) maps in [0, 1]: PCM-refined (method pcm) or raw (cam) maps of the labelled classes,
    summed over the views, ReLU'd and min-max normalised per class (SEAM's infer_SEAM.py)."""
    import torch
    import torch.nn.functional as F

    from wsss.data.transforms import resize, to_tensor

    h, w = img.shape[:2]
    idx = [c - 1 for c in class_ids]
    total = torch.zeros(1, len(idx), h, w)
    for s in scales:
        x = to_tensor(resize(img, s))[None]
        if flip:
            x = torch.cat([x, x.flip(-1)])
        with torch.no_grad():  # one view at a time: the PCM's affinities are (positions x positions)
            outs = [model.refined(v[None].to(device)) for v in x]
            maps = torch.cat([(rv[:, 1:] if method == "pcm" else cam)[:, idx].float().cpu() for cam, rv in outs])
        maps = F.interpolate(maps, size=(h, w), mode="bilinear", align_corners=False)
        total += maps[:1] + (maps[1:].flip(-1) if flip else 0)
    return max_norm(total)[0].numpy()


@register
class SEAM(CAM):
    name = "seam"
    map_methods = ("pcm", "cam")
    published = "SEAM"
    classifier_section = "seam"
    classifier_schema = {
        "scale": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.3,
                  "description": "the Siamese branch's downscale factor (SEAM: 0.3)"},
        "ecr_fraction": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.2,
                         "description": "ECR loss: mean of each image's largest fraction of errors (SEAM: 0.2)"},
    }

    def build(self, settings, n_fg, pretrained=None):
        from wsss.models.seam_net import SEAMNet

        pretrained = settings["pretrained"] if pretrained is None else pretrained
        return SEAMNet(settings["backbone"], n_fg, pretrained, settings.get("weights_path"), **settings["seam"])

    def step(self, model, batch, device):
        """cls + rvmin + ER + ECR, all weights 1 (train_SEAM.py)."""
        import torch.nn.functional as F

        x1, y = batch
        x1, y = x1.to(device), y.to(device)
        x2 = F.interpolate(x1, scale_factor=model.scale, mode="bilinear", align_corners=True)
        up = lambda t, x: F.interpolate(t, size=x.shape[-2:], mode="bilinear", align_corners=True)  # noqa: E731
        (cam1, rv1), (cam2, rv2) = model.refined(x1), model.refined(x2)
        losses = seam_losses(up(cam1, x1), up(rv1, x1), up(cam2, x2), up(rv2, x2), y, model.ecr_fraction)
        return sum(losses.values())

    def extractor(self, model, settings, device, seed, sizes=()):
        def extract(img, class_ids, sp=None):
            return Maps(image_seam_cams(model, img, class_ids, settings["scales"], settings["flip"],
                                        settings["method"], device), list(class_ids))
        return extract
