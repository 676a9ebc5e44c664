import os
import sys
from pathlib import Path

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
