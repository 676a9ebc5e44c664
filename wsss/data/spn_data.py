"""SPN's multi-scale inputs: pad to square, one random size per mini-batch, cached superpixels resampled.

Superpixels are computed once per image by the `superpixels` stage (HDF5); for a training size S
the padded map is resampled (nearest) to S/4 x S/4 -- the resolution of the SPN's f_ups features --
and its ids made contiguous again. Padding pixels are -1 and never form a superpixel.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from wsss.data.transforms import _MEAN, to_tensor
from wsss.io.files import read_image
from wsss.models.spn import STRIDE

DEFAULT_SIZES = (250, 300, 350, 400, 450, 500)


def pad_image(img: np.ndarray) -> np.ndarray:
    """Pad bottom/right to a square with the mean colour (zero after normalisation)."""
    h, w = img.shape[:2]
    n = max(h, w)
    return cv2.copyMakeBorder(img, 0, n - h, 0, n - w, cv2.BORDER_CONSTANT, value=[float(v) for v in _MEAN])


def pad_superpixels(sp: np.ndarray) -> np.ndarray:
    """Pad bottom/right to a square with id -1 (padding never forms a superpixel)."""
    h, w = sp.shape
    n = max(h, w)
    return np.pad(sp.astype(np.int64), ((0, n - h), (0, n - w)), constant_values=-1)


def pad_square(img: np.ndarray, sp: np.ndarray):
    """Pad bottom/right to a square: mean colour and superpixel id -1."""
    return pad_image(img), pad_superpixels(sp)


def view(img_sq: np.ndarray, size: int, flip: bool) -> np.ndarray:
    """The padded square image, flipped or not, resized to size x size (one SPN input)."""
    img = img_sq[:, ::-1] if flip else img_sq
    return cv2.resize(np.ascontiguousarray(img), (size, size), interpolation=cv2.INTER_LINEAR)


def feature_key(image_id: str, size: int, flip: bool) -> str:
    """Key of one cached encoder input (stages.encoder_features) in its HDF5 shard."""
    return f"{image_id}.s{size}.f{int(flip)}"


def resample(img_sq: np.ndarray, sp_sq: np.ndarray, size: int):
    """(image size x size, superpixels (size/4 x size/4) with contiguous ids, -1 kept)."""
    img = cv2.resize(img_sq, (size, size), interpolation=cv2.INTER_LINEAR)
    return img, resample_superpixels(sp_sq, size)


def resample_superpixels(sp_sq: np.ndarray, size: int) -> np.ndarray:
    """Superpixels of the padded square at (size/4 x size/4), contiguous ids, -1 kept."""
    s = -(-size // STRIDE)
    sp = cv2.resize(sp_sq.astype(np.float32), (s, s), interpolation=cv2.INTER_NEAREST).astype(np.int64)
    valid = sp >= 0
    _, inverse = np.unique(sp[valid], return_inverse=True)
    out = np.full_like(sp, -1)
    out[valid] = inverse
    return out


class ScaleBatchSampler(Sampler):
    """Shuffled batches of (index, size) with one random size per batch, seeded by (seed, epoch)."""

    def __init__(self, n: int, batch_size: int, sizes, seed: int):
        self.n, self.batch_size, self.sizes, self.seed, self.epoch = n, batch_size, list(sizes), seed, 0

    def __iter__(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(self.n)
        for j in range(len(self)):  # full batches only (one short batch when n < batch_size)
            size = int(rng.choice(self.sizes))
            yield [(int(i), size) for i in order[j * self.batch_size:(j + 1) * self.batch_size]]

    def __len__(self):
        return max(1, self.n // self.batch_size)


class SPNTrainSet(Dataset):
    """Items are looked up by (index, size); a random horizontal flip is the only other augmentation.

    With `features` (a reader of stages.encoder_features shards) an item's input is the cached
    output of the frozen encoder[:-1] for that image, size and flip instead of the image: the same
    batches, without recomputing the frozen layers every epoch."""

    def __init__(self, index, ids, sp_reader, seed: int, features=None):
        self.index, self.ids, self.sp_reader, self.seed, self.epoch = index, list(ids), sp_reader, seed, 0
        self.features = features

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, item):
        i, size = item
        image_id = self.ids[i]
        flip = bool(np.random.default_rng([self.seed, self.epoch, i]).random() < 0.5)
        sp = pad_superpixels(self.sp_reader.get(image_id)[0])
        sp = resample_superpixels(np.ascontiguousarray(sp[:, ::-1] if flip else sp), size)
        if self.features is not None:
            x = torch.from_numpy(self.features.get(feature_key(image_id, size, flip))[0].astype(np.float32))
        else:
            x = to_tensor(view(pad_image(read_image(self.index.images[image_id])), size, flip))
        return {"input": x, "superpixels": torch.from_numpy(sp), "cached": self.features is not None,
                "targets": torch.from_numpy(self.index.multi_hot(image_id))}
