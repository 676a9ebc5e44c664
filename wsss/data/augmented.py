"""Training items with the augmentation of the scale convention (wsss.data.transforms.augment)."""
from __future__ import annotations

import numpy as np


class AugmentedImages:
    """Items of `ids`: (image, multi-hot labels), or (image, label map, multi-hot labels) when `labels`
    maps ids to label PNGs. Augmentation is seeded by (seed, epoch, item), so a resumed epoch sees the
    same crops; the loader factory sets `epoch` (wsss.training.shuffled_loader).

    selected: id -> the classes whose annotation was selected as reliable for that image (the
    reliable subset is chosen per class); pixels of the image's other classes become 255 (ignored),
    so an unreliable annotation teaches nothing. None: every class of every label map counts."""

    def __init__(self, index, ids, crop: int, seed: int, scale_range=(0.5, 1.5), labels: dict | None = None,
                 labels_are_artifacts: bool = True, selected: dict | None = None):
        self.index, self.ids, self.crop, self.seed, self.epoch = index, list(ids), crop, seed, 0
        self.scale_range, self.labels, self.artifacts = scale_range, labels, labels_are_artifacts
        self.selected = selected

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        import torch

        from wsss.data.transforms import augment, to_tensor
        from wsss.io.files import read_image, read_label
        from wsss.io.labels import read_annotation

        image_id = self.ids[i]
        rng = np.random.default_rng([self.seed, self.epoch, i])
        img = read_image(self.index.images[image_id])
        targets = torch.from_numpy(self.index.multi_hot(image_id))
        if self.labels is None:
            img, _ = augment(img, None, self.crop, rng, self.scale_range)
            return to_tensor(img), targets
        label = (read_annotation if self.artifacts else read_label)(self.labels[image_id])
        if label.shape != img.shape[:2]:
            raise ValueError(f"{self.labels[image_id]}: label {label.shape} does not match image {img.shape[:2]}")
        if self.selected is not None:
            keep = np.isin(label, [0, 255, *self.selected.get(image_id, ())])
            label = np.where(keep, label, 255).astype(label.dtype)
        img, label = augment(img, label, self.crop, rng, self.scale_range)
        return to_tensor(img), torch.from_numpy(label.astype(np.int64)), targets
