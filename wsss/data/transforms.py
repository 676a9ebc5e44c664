"""Numpy/OpenCV augmentation and tensor conversion shared by the training stages."""
from __future__ import annotations

import cv2
import numpy as np
import torch

from wsss.io.files import PAD
from wsss.models.backbones import IMAGENET_MEAN, IMAGENET_STD

_MEAN = np.asarray(IMAGENET_MEAN, np.float32) * 255
_STD = np.asarray(IMAGENET_STD, np.float32) * 255


def to_tensor(img: np.ndarray) -> torch.Tensor:
    """uint8 HxWx3 -> normalised float 3xHxW."""
    return torch.from_numpy(((img.astype(np.float32) - _MEAN) / _STD).transpose(2, 0, 1).copy())


def denormalise(x: torch.Tensor) -> np.ndarray:
    """The inverse of to_tensor: normalised 3xHxW tensor -> uint8 HxWx3 image."""
    img = x.detach().cpu().numpy().transpose(1, 2, 0) * _STD + _MEAN
    return np.clip(img, 0, 255).astype(np.uint8)


def resize(img: np.ndarray, scale: float, nearest: bool = False) -> np.ndarray:
    h, w = img.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(img, size, interpolation=cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR)


def augment(img, label, crop: int, rng: np.random.Generator, scale_range=(0.5, 1.5)):
    """Random scale (relative to the image's ORIGINAL size), horizontal flip and crop/pad to crop x crop.

    The scale convention (README): training sees the images at U(scale_range) x their size, and CAM
    extraction, FickleNet inference and prediction run at scales inside that range (1.0 at least).
    `label` may be None (classification). Padding is the mean colour (zero after normalisation)
    and PAD (254) in the label: outside the image, no loss counts it (train_segmentation maps it to
    255 for losses that need no distinction; DSRG keeps it so that padding never grows).
    """
    s = rng.uniform(*scale_range)
    img = resize(img, s)
    label = None if label is None else resize(label, s, nearest=True)
    if rng.random() < 0.5:
        img = img[:, ::-1]
        label = None if label is None else label[:, ::-1]
    h, w = img.shape[:2]
    ph, pw = max(crop - h, 0), max(crop - w, 0)
    if ph or pw:
        img = cv2.copyMakeBorder(np.ascontiguousarray(img), 0, ph, 0, pw, cv2.BORDER_CONSTANT,
                                 value=[float(v) for v in _MEAN])
        if label is not None:
            label = cv2.copyMakeBorder(np.ascontiguousarray(label), 0, ph, 0, pw, cv2.BORDER_CONSTANT, value=PAD)
    h, w = img.shape[:2]
    y, x = rng.integers(0, h - crop + 1), rng.integers(0, w - crop + 1)
    img = img[y:y + crop, x:x + crop]
    label = None if label is None else label[y:y + crop, x:x + crop]
    return np.ascontiguousarray(img), None if label is None else np.ascontiguousarray(label)
