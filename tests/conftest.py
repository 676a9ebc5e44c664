import os
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
VOC_SUBSET = REPO.parent / "shared" / "data" / "voc12-subset" / "VOC2012"
BIN = Path(sys.executable).parent


@pytest.fixture
def env():
    """Environment for subprocesses: this interpreter's bin first (snakemake, python)."""
    e = dict(os.environ)
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    return e


@pytest.fixture
def voc_subset():
    if not (VOC_SUBSET / "ImageSets" / "Segmentation" / "train.txt").is_file():
        pytest.skip(f"{VOC_SUBSET} is absent")
    return VOC_SUBSET


class _HalfMaps:
    """A ShardReader stand-in: every image's maps are one class at `value` on half the pixels, 0 elsewhere."""
    def __init__(self, ids, value):
        self.ids, self.value = list(ids), value

    def keys(self):
        return self.ids

    def __contains__(self, image_id):
        return image_id in self.ids

    def cam(self, image_id):
        maps = np.zeros((1, 8, 8), np.float32)
        maps[0, :, :4] = self.value
        return maps, [3]


@pytest.fixture
def half_maps():
    """_HalfMaps(ids, value): maps whose Otsu threshold is known (two populations, 0 and value)."""
    return _HalfMaps
