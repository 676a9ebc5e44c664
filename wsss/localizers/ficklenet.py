"""FickleNet (Lee, Kim, Lee, Yoon, CVPR 2019): stochastic hidden-unit selection (wsss.models.ficklenet)
and its stochastic inference (wsss.ops.stochastic_cams).

Training: as CAM (augmentation, multi-label loss) with the FickleNet layer's dropout.
Maps (`cams.method: fickle`) at the CAM baseline's views (`cams.scales`, flip when `cams.flip`), so
the comparison is fair: N random selections per view; stored is the mean over views of the max over
selections of the max-normalised Grad-CAMs, and in the `fired` group the fraction of selections
firing at `cams.fickle.threshold`.
"""
from __future__ import annotations

from wsss.localizers import register
from wsss.localizers.base import Maps, max_normalise
from wsss.localizers.cam import CAM

FIRED = "fired"  # CAM-shard group: per-image fraction of the N selections that fire, (K, H, W)


def view_fickle_cams(model, img, class_ids, fickle: dict, device, generator):
    """One view (scale, flip) of the image: (max over the N selections of the max-normalised Grad-CAMs,
    fraction of selections firing), each (K, H, W) at the view's size.

    stochastic false (ablation): one pass of FickleNet's Grad-CAM with no dropout."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    from wsss.data.transforms import to_tensor
    from wsss.ops.stochastic_cams import localization

    x = to_tensor(img)[None].to(device)
    if not fickle["stochastic"]:
        with torch.no_grad():
            f = model.feature_map(x)
        idx = [c - 1 for c in class_ids]
        cams = (model.grad_cams(f, idx, elementwise=True) if fickle["gradcam"] == "elementwise"
                else model.grad_cams_batched(f, idx))
        maps = max_normalise(F.interpolate(cams, size=img.shape[:2], mode="bilinear", align_corners=False)[0].cpu())
        return maps, (maps > fickle["threshold"]).astype(np.float32)
    return localization(model, x, class_ids, fickle["n_samples"], fickle["threshold"], fickle["chunk"], generator,
                        sampler=fickle["sampler"], gradcam=fickle["gradcam"])


def image_fickle_cams(model, img, class_ids, settings: dict, device, generator):
    """FickleNet maps (K, H, W) in [0, 1] and the fraction of selections firing, over the same views as
    the CAM baseline (`cams.scales`, flip when `cams.flip`): each view runs its own N selections, the
    views' maps are averaged at the image size (as CAM sums its views) and each class divided by its max;
    the firing fractions are averaged."""
    import cv2
    import numpy as np
    import torch

    from wsss.data.transforms import resize

    h, w = img.shape[:2]
    total, fired, views = np.zeros((len(class_ids), h, w), np.float32), np.zeros((len(class_ids), h, w), np.float32), 0
    for s in settings["scales"]:
        scaled = resize(img, s)
        for flipped in ([False, True] if settings["flip"] else [False]):
            view = np.ascontiguousarray(scaled[:, ::-1]) if flipped else scaled
            best, frac = view_fickle_cams(model, view, class_ids, settings["fickle"], device, generator)
            for acc, maps in ((total, best), (fired, frac)):
                back = np.stack([cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR) for m in maps]) if len(maps) \
                    else np.zeros_like(acc)
                acc += back[:, :, ::-1] if flipped else back
            views += 1
    return max_normalise(torch.from_numpy(total)), fired / views


@register
class FickleNet(CAM):
    """Trained as a CAM classifier (batches, step and val logits are CAM's), with its own network and maps."""
    name = "ficklenet"
    map_methods = ("fickle",)
    published = "FickleNet"
    classifier_section = "ficklenet"
    classifier_schema = {
        "p": {"type": "number", "minimum": 0, "exclusiveMaximum": 1, "default": 0.9, "description": "dropout rate"},
        "kernel": {"enum": [3, 5, 7], "default": 3},
        "center_preserving": {"type": "boolean", "default": True, "description": "false: plain dropout (ablation)"},
        "expansion": {"type": "boolean", "default": True,
                      "description": "false: per-window loop (time/memory ablation)"},
        "stochastic_train": {"type": "boolean", "default": True, "description": "false: train without the dropout"},
        "dropout": {"enum": ["unit", "location"], "default": "unit",
                    "description": "unit: each hidden unit of the expanded map dropped independently (the paper's "
                                   "random hidden unit selection); location: all channels of a position together"},
    }
    cams_section = "fickle"
    cams_schema = {
        "n_samples": {"type": "integer", "minimum": 1, "default": 200, "description": "random selections per image"},
        "threshold": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.5,
                      "description": "a selection fires at u when its max-normalised Grad-CAM exceeds this"},
        "chunk": {"type": "integer", "minimum": 1, "default": 50, "description": "selections per batch (memory)"},
        "stochastic": {"type": "boolean", "default": True, "description": "false: one pass without dropout (ablation)"},
        "sampler": {"enum": ["kept", "masks", "counts"], "default": "kept",
                    "description": "kept: draw the kept units' positions only (exact law, ~1/(1-p) less work); "
                                   "masks: draw the full masks; counts (gradcam mean only, where it is exact): "
                                   "draw each selection's kept-unit counts per (channel, tap), all a mean "
                                   "Grad-CAM depends on (same law, fast)"},
        "gradcam": {"enum": ["elementwise", "mean"], "default": "elementwise",
                    "description": "elementwise: FickleNet's ReLU(sum_k dS/df_k * f_k), which sees where units "
                                   "were dropped; mean: Selvaraju's channel-weighted Grad-CAM (selections "
                                   "differ only in kept counts)"},
    }

    def build(self, settings, n_fg, pretrained=None):
        from wsss.models.ficklenet import FickleNet as Net

        pretrained = settings["pretrained"] if pretrained is None else pretrained
        return Net(settings["backbone"], n_fg, pretrained, settings.get("weights_path"), **settings["ficklenet"])

    def extractor(self, model, settings, device, seed, sizes=()):
        import numpy as np
        import torch

        generator = torch.Generator(device=device).manual_seed(seed)  # the selections, reproducible per shard

        def extract(img, class_ids, sp=None):
            cams, fired = image_fickle_cams(model, img, class_ids, settings, device, generator)
            return Maps(cams, list(class_ids), {FIRED: (fired.astype(np.float16), None)})
        return extract
