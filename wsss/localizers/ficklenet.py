"""FickleNet (Lee, Kim, Lee, Yoon, CVPR 2019): stochastic hidden-unit selection (wsss.models.ficklenet)
and its stochastic inference (wsss.ops.stochastic_cams).

Training: as CAM (augmentation, multi-label loss) with the FickleNet layer's dropout.
Maps (`cams.method: fickle`), one scale, no flip: N random selections per image; stored is the max
over selections of the max-normalised Grad-CAMs, and in the `fired` group the fraction of
selections firing at `cams.fickle.threshold`.
"""
from __future__ import annotations

from wsss.localizers import register
from wsss.localizers.base import Maps, max_normalise
from wsss.localizers.cam import CAM

FIRED = "fired"  # CAM-shard group: per-image fraction of the N selections that fire, (K, H, W)


def image_fickle_cams(model, img, class_ids, fickle: dict, device, generator):
    """FickleNet localization maps (K, H, W) and the fraction of selections firing (K, H, W).

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
        maps = F.interpolate(model.grad_cams_batched(f, [c - 1 for c in class_ids]), size=img.shape[:2],
                             mode="bilinear", align_corners=False)[0].cpu()
        cams = max_normalise(maps)
        return cams, (cams > fickle["threshold"]).astype(np.float32)
    return localization(model, x, class_ids, fickle["n_samples"], fickle["threshold"], fickle["chunk"], generator,
                        sampler=fickle["sampler"], gradcam=fickle["gradcam"])


@register
class FickleNet(CAM):
    """Trained as a CAM classifier (batches, step and val logits are CAM's), with its own network and maps."""
    name = "ficklenet"
    map_methods = ("fickle",)
    classifier_section = "ficklenet"
    classifier_schema = {
        "p": {"type": "number", "minimum": 0, "exclusiveMaximum": 1, "default": 0.9, "description": "dropout rate"},
        "kernel": {"enum": [3, 5, 7], "default": 3},
        "center_preserving": {"type": "boolean", "default": True, "description": "false: plain dropout (ablation)"},
        "expansion": {"type": "boolean", "default": True,
                      "description": "false: per-window loop (time/memory ablation)"},
        "stochastic_train": {"type": "boolean", "default": True, "description": "false: train without the dropout"},
    }
    cams_section = "fickle"
    cams_schema = {
        "n_samples": {"type": "integer", "minimum": 1, "default": 200, "description": "random selections per image"},
        "threshold": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.5,
                      "description": "a selection fires at u when its max-normalised Grad-CAM exceeds this"},
        "chunk": {"type": "integer", "minimum": 1, "default": 50, "description": "selections per batch (memory)"},
        "stochastic": {"type": "boolean", "default": True, "description": "false: one pass without dropout (ablation)"},
        "sampler": {"enum": ["counts", "masks"], "default": "counts",
                    "description": "counts: draw each selection's kept-unit counts per (channel, tap), all its "
                                   "Grad-CAM depends on (same law, fast); masks: draw the full masks "
                                   "(the exact reference)"},
        "gradcam": {"enum": ["mean", "elementwise"], "default": "mean",
                    "description": "mean: standard Grad-CAM (spatial mean of the gradient); elementwise: "
                                   "ReLU(sum_k dS/df_k * f_k), which sees where units were dropped "
                                   "(needs sampler: masks)"},
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
            cams, fired = image_fickle_cams(model, img, class_ids, settings["fickle"], device, generator)
            return Maps(cams, list(class_ids), {FIRED: (fired.astype(np.float16), None)})
        return extract
