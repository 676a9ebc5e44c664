"""The superpixel oracle: the mIoU of labelling every superpixel with its ground-truth majority class (the
ceiling superpixel pooling can reach), and superpixels per image, for SLIC and the HED watershed.

    python bench/superpixel_oracle.py --index results/voc12/data/index.json [--split train_gt] \
        [--n-segments 300] [--limit 0]

A measurement, not a tuning loop: the settings are the config's defaults, given on the command line.
"""
import argparse

import numpy as np
from tqdm import tqdm

from stages.superpixels import edge_superpixel_map, superpixel_map
from wsss.data.dataset import Index
from wsss.io.files import read_image, read_label
from wsss.models.hed import edge_map, load_hed
from wsss.ops.metrics import ConfusionAccumulator


def oracle(sp: np.ndarray, gt: np.ndarray, n_classes: int) -> np.ndarray:
    """Each superpixel takes the majority ground-truth class of its non-void pixels."""
    valid = gt != 255
    counts = np.zeros((sp.max() + 1, n_classes), np.int64)
    np.add.at(counts, (sp[valid], gt[valid]), 1)
    return counts.argmax(1)[sp].astype(np.uint8)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--split", default="train_gt")
    ap.add_argument("--n-segments", type=int, default=300)
    ap.add_argument("--slic-compactness", type=float, default=10.0)
    ap.add_argument("--watershed-compactness", type=float, default=0.0)
    ap.add_argument("--limit", type=int, default=0, help="first N images only (0: all)")
    a = ap.parse_args()
    index = Index(a.index)
    ids = index.splits[a.split][: a.limit or None]
    hed = load_hed()
    options = {"slic": lambda img: superpixel_map(img, a.n_segments, a.slic_compactness),
               "hed_watershed": lambda img: edge_superpixel_map(edge_map(hed, img), a.n_segments,
                                                                a.watershed_compactness)}
    cms = {k: ConfusionAccumulator(index.n_classes) for k in options}
    counts = {k: [] for k in options}
    for image_id in tqdm(ids, desc="superpixel oracle"):
        img, gt = read_image(index.images[image_id]), read_label(index.masks[image_id])
        for name, segment in options.items():
            sp = segment(img)
            counts[name].append(int(sp.max()) + 1)
            cms[name].add(gt, oracle(sp, gt, index.n_classes))
    print(f"{len(ids)} images of {a.split}, n_segments {a.n_segments}")
    print("| superpixels | per image (mean) | oracle mIoU % |")
    print("|---|---|---|")
    for name in options:
        print(f"| {name} | {np.mean(counts[name]):.0f} | {100 * cms[name].result()['miou']:.1f} |")


if __name__ == "__main__":
    main()
