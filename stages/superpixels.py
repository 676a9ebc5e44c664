"""superpixels: SLIC superpixel maps (int32, gzip) for one shard of a split, in one HDF5 file.

    python -m stages.superpixels --index results/demo/data/index.json --split train \
        --shard 0 --shards 1 --n-segments 300 --compactness 10 --out superpixels/train_000.h5
"""
from __future__ import annotations

import argparse

import numpy as np
from skimage.segmentation import slic
from tqdm import tqdm

from .dataset import Index
from .h5store import ShardWriter
from .io_utils import read_image


def superpixel_map(img: np.ndarray, n_segments: int, compactness: float) -> np.ndarray:
    return slic(img, n_segments=n_segments, compactness=compactness, start_label=0).astype(np.int32)


def run(index_path, split, shard, shards, n_segments, compactness, out):
    index = Index(index_path)
    attrs = {"algorithm": "slic", "n_segments": n_segments, "compactness": compactness, "split": split}
    with ShardWriter(out, attrs) as w:
        for image_id in tqdm(index.shard(split, shard, shards), desc=f"superpixels {split} shard {shard}"):
            w.put(image_id, superpixel_map(read_image(index.images[image_id]), n_segments, compactness))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--split", default="train")
    ap.add_argument("--shard", type=int, default=0)
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--n-segments", type=int, default=300)
    ap.add_argument("--compactness", type=float, default=10.0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    run(a.index, a.split, a.shard, a.shards, a.n_segments, a.compactness, a.out)


if __name__ == "__main__":
    main()
