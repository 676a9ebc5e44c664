"""IRN's inter-pixel relations as a refiner (Ahn, Cho, Kwak, CVPR 2019; the semantic path of
jiwoon-ahn/irn, read for facts; wsss.ops.inter_pixel): cam -> cam_irn.

Training: relation labels from the CAMs (CRF of argmax [0.30; cams] for the classes, of [0.05; cams]
for the background, the rest ignored), crops rescaled U(0.5, 1.5) and flipped, a class-boundary map at
stride 4 from a frozen backbone (wsss.models.irn_net), affinities 1 - max boundary on the path of each
pair within radius 10, PSA's / IRN's balanced loss bg+/4 + fg+/4 + neg/2.
Refinement: the boundary of the image and its flip (logits averaged), pairs within radius 5, A =
affinity^10 with a unit diagonal, column-normalised, walked 2^8 times on the stride-4 CAMs (each class
divided by its max) times (1 - boundary); upsampled, divided by the global max. IRN labels background
where every class is below 0.25 (sem_seg_bg_thres), which is the `cam_irn` experiment's constant
threshold (fixed by the method, not tuned).
Ablation `constants: otsu` (`cam_irn_map_scale`, not the paper): IRN's 0.30 and 0.05 are 2x and 1/3x
its CAM threshold 0.15 (cam_eval_thres of jiwoon-ahn/irn); on maps of another scale (the LP-FT CAMs'
Otsu threshold is 0.37) the "confident" foreground above 0.30 is wider than the maps' own pseudo labels.
The ablation keeps IRN's ratios and sets fg = 0.30 t / 0.15, bg = 0.05 t / 0.15 from the maps' own
Otsu threshold t over the training images (the protocol rule; no ground truth is read).
Departures: the project's backbone (IRN: ResNet-50), Adam at the config's lr (IRN: SGD lr 0.1, batch 32,
3 epochs of train_aug, 512 crops), no displacement field (instance segmentation only).
"""
from __future__ import annotations

import numpy as np

from wsss.refiners import register
from wsss.refiners.random_walk import RandomWalk, _AffinityData

# IRN's CRF of the relation labels (misc/imutils.py crf_inference_label; the planner must not import torch)
IRN_CRF = {"iterations": 10, "gauss_sxy": 3, "gauss_compat": 3, "bilat_sxy": 50, "bilat_srgb": 5, "bilat_compat": 10}


class _RelationData(_AffinityData):
    """IRN's crops: rescaled U(0.5, 1.5) x the original size, flipped, cropped (PSA's are at 1.0)."""
    scale_range = (0.5, 1.5)


@register
class InterPixelRelations(RandomWalk):
    name = "irn"
    published = "IRN"
    schema = {**RandomWalk.schema,
              "epochs": {"type": "integer", "minimum": 1, "default": 3, "description": "IRN: 3 epochs"},
              "radius": {"type": "integer", "minimum": 2, "default": 10, "description": "training pairs (stride 4)"},
              "walk_radius": {"type": "integer", "minimum": 2, "default": 5, "description": "walk pairs (stride 4)"},
              "beta": {"type": "number", "exclusiveMinimum": 0, "default": 10, "description": "A = affinity^beta"},
              "logt": {"type": "integer", "minimum": 0, "default": 8, "description": "walk 2^logt steps"},
              "fg": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.30,
                     "description": "relation labels: background constant of the class pass"},
              "bg": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.05,
                     "description": "relation labels: background constant of the background pass"},
              "constants": {"enum": ["paper", "otsu"], "default": "paper",
                            "description": "fg / bg as given (paper) or rescaled by the maps' Otsu threshold / "
                                           "reference_threshold (an ablation)"},
              "reference_threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.15,
                                      "description": "the CAM threshold fg and bg are relative to (IRN: 0.15)"},
              "crf": {"type": "object", "default": IRN_CRF, "description": "dense CRF of the labels (IRN's kernels)"}}
    for _k in ("alpha", "la", "ha", "powers"):  # PSA's powers: IRN has none
        schema.pop(_k)
    del _k

    def build(self, settings, pretrained=None):
        from wsss.models.irn_net import BoundaryNet

        pretrained = settings["pretrained"] if pretrained is None else pretrained
        model = BoundaryNet(settings["backbone"], pretrained, settings.get("weights_path"))
        model.radius = settings["radius"]
        return model

    data = _RelationData

    def resolve(self, settings, maps_reader, ids) -> dict:
        return scaled_constants(maps_reader, ids, settings)

    def image_labels(self, img, cams, class_ids, crf, settings) -> np.ndarray:
        """One image's training labels: IRN's relation labels."""
        from wsss.ops.inter_pixel import relation_labels

        return relation_labels(img, cams, class_ids, crf, settings["fg"], settings["bg"])

    def step(self, model, batch, device):
        import torch

        from wsss.ops.dsrg import at_output
        from wsss.ops.inter_pixel import boundary_affinities
        from wsss.ops.random_walk import affinity_loss, pair_labels

        x, label = batch
        boundary = torch.sigmoid(model(x.to(device)).float())
        grid = at_output(label.to(device), boundary.shape[-2:])
        return affinity_loss(boundary_affinities(boundary, model.radius), *pair_labels(grid, model.radius))

    def refine(self, model, img, cams, class_ids, settings, device):
        import torch

        from wsss.data.transforms import to_tensor
        from wsss.ops.inter_pixel import boundary_walk

        h, w = img.shape[:2]
        x = to_tensor(img)[None].to(device)
        with torch.no_grad():
            logits = (model(x) + model(x.flip(-1)).flip(-1)) / 2
        boundary = torch.sigmoid(logits.float().cpu())[0]                     # (h4, w4)
        return boundary_walk(cams, boundary, (h, w), settings["walk_radius"], settings["beta"], settings["logt"])


def scaled_constants(maps_reader, ids, settings: dict) -> dict:
    """The settings with fg / bg rescaled to the maps' own Otsu threshold when `constants` is `otsu`."""
    if settings.get("constants", "paper") == "paper" or "maps_threshold" in settings:  # the paper's, or resolved
        return settings
    from wsss.ops.thresholds import otsu_of_maps

    t, _ = otsu_of_maps(maps_reader, ids)
    k = t / settings["reference_threshold"]
    fg, bg = min(settings["fg"] * k, 0.95), min(settings["bg"] * k, 0.95)
    print(f"IRN constants rescaled to the maps' Otsu threshold {t:.3f}: fg {fg:.3f}, bg {bg:.3f}")
    return {**settings, "fg": fg, "bg": bg, "maps_threshold": t}
