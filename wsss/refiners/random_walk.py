"""The affinity random walk of PSA (Ahn and Kwak, CVPR 2018) as a refiner: cam -> cam_rw, spn -> spn_rw.

Faithful: confident regions from the CAMs with PSA's two background powers (4 and 32) and a dense CRF
with PSA's kernels, pairs within radius 5 at stride 8, affinities exp(-mean |f_i - f_j|), PSA's
balanced loss, the walk A^beta D^-1 (beta 8) applied 2^8 = 256 times to [(1 - max)^16; CAMs] at
stride 8, one scale without flip, and PSA's argmax (the 0.5 rule on the maps written; see
wsss.ops.random_walk.refine). Departs: the backbone is the project's (MobileNetV2 on a CPU, not
ResNet-38), GroupNorm in the head (PSA's VGG variant), the schedule and optimizer are the config's
(PSA: SGD lr 0.1, batch 8, 8 epochs, 448 crops), crops are taken at the original scale as PSA does,
and the labels reach the stride-8 grid by the label at each cell's centre (PSA: the argmax of the
CRF probabilities average-pooled over the cell).
Ablation `powers: otsu` (`cam_rw_map_scale`, not the paper): PSA's powers are absolute. Its argmax
over [(1 - max)^alpha; cams] thresholds a class's map at t(alpha), the t where t = (1 - t)^alpha:
t(16) = 0.123, a fit to CAMs whose best threshold is about 0.15; la 4 and ha 32 put the confident
regions' edges at t = 0.276 and 0.077. On maps of another scale (the LP-FT CAMs' Otsu threshold is 0.37) the
walk and its labels sit far inside the maps' own foreground. The ablation sets alpha so that
t(alpha) is the maps' Otsu threshold T over the training images, and la / ha so that their
thresholds keep their ratios to t(16) (times T / t(16); capped at 0.95). No ground truth is read.
"""
from __future__ import annotations

import numpy as np

from wsss.refiners import register
from wsss.refiners.base import Refiner

PSA_CRF = {"iterations": 10, "gauss_sxy": 3, "gauss_compat": 3, "bilat_sxy": 80, "bilat_srgb": 13, "bilat_compat": 10}


class _AffinityData:
    """Crops of the images and their confident-region labels, seeded by (seed, epoch, item)."""
    scale_range = (1.0, 1.0)  # PSA crops at the original scale

    def __init__(self, index, ids, labels: dict, crop: int, seed: int):
        self.index, self.ids, self.labels, self.crop, self.seed, self.epoch = index, list(ids), labels, crop, seed, 0

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        import torch

        from wsss.data.transforms import augment, to_tensor
        from wsss.io.files import PAD, read_image
        from wsss.ops.random_walk import IGNORE

        image_id = self.ids[i]
        rng = np.random.default_rng([self.seed, self.epoch, i])
        img, label = augment(read_image(self.index.images[image_id]), self.labels[image_id], self.crop, rng,
                             self.scale_range)
        label = np.where(label == PAD, IGNORE, label)
        return to_tensor(img), torch.from_numpy(label.astype(np.int64))


@register
class RandomWalk(Refiner):
    name = "random_walk"
    published = "PSA"
    schema = {
        "backbone": {"enum": ["mobilenet_v2", "vgg16", "resnet50", "resnet101"], "default": "mobilenet_v2"},
        "pretrained": {"type": "boolean", "default": True},
        "weights_path": {"type": ["string", "null"], "default": None},
        "batch_size": {"type": "integer", "minimum": 1, "default": 8},
        "optimizer": {"enum": ["adam", "sgd"], "default": "adam"},
        "lr": {"type": "number", "exclusiveMinimum": 0, "default": 0.0001},
        "weight_decay": {"type": "number", "minimum": 0, "default": 0.0001},
        "epochs": {"type": "integer", "minimum": 1, "default": 8, "description": "PSA: 8 epochs"},
        "iterations": {"type": ["integer", "null"], "minimum": 1, "default": None,
                       "description": "the schedule in steps (overrides epochs)"},
        "radius": {"type": "integer", "minimum": 2, "default": 5, "description": "pairs within this many stride-8 cells"},
        "beta": {"type": "number", "exclusiveMinimum": 0, "default": 8, "description": "A = affinity^beta"},
        "logt": {"type": "integer", "minimum": 0, "default": 8, "description": "walk 2^logt steps"},
        "alpha": {"type": "number", "exclusiveMinimum": 0, "default": 16, "description": "walked background (1 - max)^alpha"},
        "la": {"type": "number", "exclusiveMinimum": 0, "default": 4, "description": "training labels: foreground power"},
        "ha": {"type": "number", "exclusiveMinimum": 0, "default": 32, "description": "training labels: background power"},
        "crf": {"type": "object", "default": PSA_CRF, "description": "dense CRF of the training labels (PSA's kernels)"},
        "powers": {"enum": ["paper", "otsu"], "default": "paper",
                   "description": "alpha / la / ha as given (paper) or moved to the maps' Otsu threshold (an ablation)"},
    }

    def build(self, settings, pretrained=None):
        from wsss.models.affinity_net import AffinityNet

        pretrained = settings["pretrained"] if pretrained is None else pretrained
        model = AffinityNet(settings["backbone"], pretrained, settings.get("weights_path"))
        model.radius = settings["radius"]  # the pairs the loss sees (step gets only the model)
        return model

    def resolve(self, settings, maps_reader, ids) -> dict:
        return scaled_powers(maps_reader, ids, settings)

    def labels(self, index, ids, maps_reader, settings) -> dict:
        """PSA's confident regions of every image (uint8, full size), computed once."""
        from tqdm import tqdm

        from wsss.io.files import read_image
        from wsss.ops.crf import dense_crf

        out = {}
        for image_id in tqdm(ids, desc=f"{self.name} training labels (CRF)"):
            cams, class_ids = maps_reader.cam(image_id)
            out[image_id] = self.image_labels(read_image(index.images[image_id]), cams.astype(np.float32), class_ids,
                                              lambda im, p: dense_crf(im, p, settings["crf"]), settings)
        return out

    def image_labels(self, img, cams, class_ids, crf, settings) -> np.ndarray:
        """One image's training labels: PSA's confident regions."""
        from wsss.ops.random_walk import affinity_labels

        return affinity_labels(img, cams, class_ids, crf, settings["la"], settings["ha"])

    data = _AffinityData  # the training items (crops and their labels)

    def batches(self, index, ids, maps_reader, settings, crop, seed):
        from wsss.training import shuffled_loader

        ids = [i for i in ids if i in maps_reader]
        return shuffled_loader(self.data(index, ids, self.labels(index, ids, maps_reader, settings), crop, seed),
                               settings["batch_size"], seed)

    def step(self, model, batch, device):
        from wsss.ops.dsrg import at_output
        from wsss.ops.random_walk import affinities, affinity_loss, pair_labels

        x, label = batch
        f = model(x.to(device))
        radius = model.radius
        grid = at_output(label.to(device), f.shape[-2:])
        return affinity_loss(affinities(f, radius), *pair_labels(grid, radius))

    def refine(self, model, img, cams, class_ids, settings, device):
        import torch
        import torch.nn.functional as F

        from wsss.data.transforms import to_tensor
        from wsss.ops.random_walk import refine

        h, w = img.shape[:2]
        s = model.stride
        x = to_tensor(img)[None]
        x = F.pad(x, (0, -w % s, 0, -h % s))  # PSA: zero-padded at the bottom / right to a multiple of 8
        with torch.no_grad():
            feats = model(x.to(device)).float().cpu()
        return refine(cams.astype(np.float32), feats, (h, w), s, settings["radius"], settings["beta"], settings["logt"],
                      settings["alpha"])


def scaled_powers(maps_reader, ids, settings: dict) -> dict:
    """The settings with alpha / la / ha moved to the maps' own Otsu threshold t when `powers` is `otsu`:
    alpha's argmax then thresholds the maps at t, and la / ha keep their thresholds' ratios to alpha's."""
    if settings.get("powers", "paper") == "paper" or "maps_threshold" in settings:  # the paper's, or resolved
        return settings
    from wsss.ops.random_walk import power_threshold, threshold_power
    from wsss.ops.thresholds import otsu_of_maps

    t, _ = otsu_of_maps(maps_reader, ids)
    k = t / power_threshold(settings["alpha"])
    out = {name: threshold_power(min(power_threshold(settings[name]) * k, 0.95))
           for name in ("alpha", "la", "ha")}
    print("PSA powers moved to the maps' Otsu threshold {:.3f}: alpha {alpha:.3f}, la {la:.3f}, ha {ha:.3f}".format(t, **out))
    return {**settings, **out, "maps_threshold": t}
