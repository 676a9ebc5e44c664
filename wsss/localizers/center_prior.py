"""center_prior: a fixed centred Gaussian for every labelled class, no training, no image content.

The class-agnostic baseline that fair WSOL / WSSS evaluations report (Choe et al., CVPR 2020): how
much of a localizer's score a map that only knows "objects tend to be in the middle" already gets.
Map: exp(-((x - W/2)^2 / (2 (s W)^2) + (y - H/2)^2 / (2 (s H)^2))), s = `cams.center_prior.sigma`,
so the map is 1 at the centre; every labelled class gets the same map (ties go to the first class).
"""
from __future__ import annotations

import numpy as np

from wsss.localizers import register
from wsss.localizers.base import Localizer, Maps


def center_gaussian(h: int, w: int, sigma: float) -> np.ndarray:
    """(h, w) float32 Gaussian centred on the image, standard deviation sigma * side, max 1."""
    y = (np.arange(h, dtype=np.float32) + 0.5 - h / 2) / (sigma * h)
    x = (np.arange(w, dtype=np.float32) + 0.5 - w / 2) / (sigma * w)
    return np.exp(-0.5 * (y[:, None] ** 2 + x[None, :] ** 2)).astype(np.float32)


@register
class CenterPrior(Localizer):
    name = "center_prior"
    map_methods = ("center_prior",)
    trains = False
    cams_section = "center_prior"
    cams_schema = {"sigma": {"type": "number", "exclusiveMinimum": 0, "default": 0.25,
                             "description": "standard deviation as a fraction of the image side"}}

    def build(self, settings, n_fg, pretrained=None):
        return None

    def scales(self, settings, sizes):
        return [1.0]

    def extractor(self, model, settings, device, seed, sizes=()):
        sigma = settings["center_prior"]["sigma"]

        def extract(img, class_ids, sp=None):
            prior = center_gaussian(*img.shape[:2], sigma)
            return Maps(np.repeat(prior[None], len(class_ids), 0), list(class_ids))
        return extract
