"""superpixels: SLIC superpixel maps (int32, gzip) for one shard of a split, in one HDF5 file.

    python -m stages.superpixels --index results/demo/data/index.json --split train \
        --shard 0 --shards 1 --n-segments 300 --compactness 10 --out superpixels/train_000.h5
"""
from __future__ import annotations

import numpy as np
from skimage.segmentation import slic
from tqdm import tqdm

from wsss import cli
from wsss.data.dataset import Index
from wsss.io.files import read_image
from wsss.io.h5store import ShardWriter


def superpixel_map(img: np.ndarray, n_segments: int, compactness: float) -> np.ndarray:
    return slic(img, n_segments=n_segments, compactness=compactness, start_label=0).astype(np.int32)


def get_args_parser():
    ap = cli.parser(__doc__)
    cli.add_shard_args(ap)
    ap.add_argument("--n-segments", type=int, default=300)
    ap.add_argument("--compactness", type=float, default=10.0)
    ap.add_argument("--out", required=True)
    return ap


def run(args):
    index = Index(args.index)
    attrs = {"algorithm": "slic", "n_segments": args.n_segments, "compactness": args.compactness, "split": args.split}
    with ShardWriter(args.out, attrs) as w:
        for image_id in tqdm(index.shard(args.split, args.shard, args.shards),
                             desc=f"superpixels {args.split} shard {args.shard}"):
            w.put(image_id, superpixel_map(read_image(index.images[image_id]), args.n_segments, args.compactness))


def main(argv=None):
    return run(get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
