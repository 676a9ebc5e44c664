"""What a localizer plug-in provides. A localizer is a family of localization maps with its network:
how the network is built and trained, how its maps of an image are extracted, and what it needs.

Config: `classifier.method` names the localizer, `cams.method` one of its map methods (null: its
first). A localizer's own settings live in one sub-section of `classifier` and/or of `cams`
(`classifier_section` / `cams_section`), validated by its schema fragment; other localizers'
sub-sections do not enter its settings (wsss.config.method_settings), so they never change its hashes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Maps:
    """One image's localization maps: (K, H, W) float in [0, 1] of `class_ids` (1-based), plus extra
    per-image arrays stored in named HDF5 groups of the CAM shard: group -> (array, class ids or None)."""
    cams: np.ndarray
    class_ids: list
    groups: dict = field(default_factory=dict)


class Localizer:
    name = ""
    map_methods: tuple = ()       # cams.method values it supports; the first is the default
    needs_superpixels = False     # training and extraction read the superpixel shards
    trains = True                 # False: maps from a fixed rule, no classifier to train
    predicts_classes = False      # can map the classes the model finds (extract_cams --predicted-classes)
    classifier_section = None     # its sub-section of `classifier` ...
    classifier_schema: dict = {}  # ... and that sub-section's JSON-schema properties
    cams_section = None
    cams_schema: dict = {}
    published = None              # its method in workflow/report/published.yaml (the leaderboard shows it)

    def build(self, settings: dict, n_fg: int, pretrained: bool | None = None):
        """The network, from the `classifier` settings."""
        raise NotImplementedError

    def batches(self, index, ids, settings: dict, crop: int, seed: int, sp_reader=None, sizes=(),
                scale_range=(0.5, 1.5), features=None):
        """make_loader(epoch) -> that epoch's training batches (see wsss.training.fit); images rescaled by
        U(scale_range) x their size (wsss.data.transforms.augment) unless the method has its own rule.
        features: a reader of the cached encoder features (when cached_encoder(settings))."""
        raise NotImplementedError

    def cached_encoder(self, settings: dict) -> bool:
        """Whether it trains on a frozen encoder's cached features (stages.encoder_features)."""
        return False

    def step(self, model, batch, device):
        """The training loss of one batch."""
        raise NotImplementedError

    def train(self, model, index, ids, settings: dict, crop: int, device, epoch_loop) -> list[dict]:
        """Train the network; returns the log rows (wsss.training.fit's). The default runs epoch_loop(), the
        stage's epoch loop over batches() and step(); a localizer fitted otherwise (cam_probe: a full-batch
        probe on frozen features) overrides this."""
        return epoch_loop()

    def image_logits(self, model, img: np.ndarray, crop: int, device, sp=None) -> np.ndarray:
        """Image-level class logits (C,) of a whole image: the validation mAP's scores."""
        raise NotImplementedError

    def scales(self, settings: dict, sizes) -> list:
        """The scales (or input sizes) its maps are computed at, stored in the CAM shard's attrs."""
        return list(settings["scales"])

    def extractor(self, model, settings: dict, device, seed: int, sizes=()):
        """A function (img, class_ids or None, superpixels or None) -> Maps. class_ids None: the
        classes the model finds (only when predicts_classes). seed: its random draws, if any."""
        raise NotImplementedError


def max_normalise(maps) -> np.ndarray:
    """(K, H, W) torch maps -> numpy, each class divided by its own max, so maps lie in [0, 1]."""
    return (maps / maps.flatten(1).max(1).values.clamp_min(1e-5)[:, None, None]).numpy()
