"""pseudo_labels: CAM shard -> label PNGs (255 = ignore) + per-image reliability (scatter) scores.

    python -m stages.pseudo_labels --index results/demo/data/index.json --cams cams/train_000.h5 \
        --split train --shard 0 --shards 1 --settings '{"threshold": 0.3, "refine": "none"}' \
        --out-dir pseudo/shard_000 --scores pseudo/shard_000.scores.json

Rule (SPN's initial annotation): maps are per-class max-normalised; a pixel takes the argmax over
the image's labelled classes, or background where every class is below `threshold`. Classes not
in the image label never appear (annotation cleaning). `refine` optionally averages the maps in
each superpixel (`superpixel`, needs --superpixels) or runs a dense CRF (`crf`).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .crf import dense_crf
from .dataset import Index
from .h5store import ShardReader
from .io_utils import IGNORE, atomic_path, read_image, write_json, write_label
from .reliability import class_scatter


def superpixel_means(maps: np.ndarray, sp: np.ndarray) -> np.ndarray:
    """(K, H, W) maps -> (K, n_superpixels) mean of each map inside each superpixel (bincount)."""
    flat = sp.ravel()
    n = int(flat.max()) + 1
    count = np.maximum(np.bincount(flat, minlength=n), 1).astype(np.float32)
    return np.stack([np.bincount(flat, m.ravel(), minlength=n) / count for m in maps]).astype(np.float32) \
        if len(maps) else np.zeros((0, n), np.float32)


def superpixel_mean(maps: np.ndarray, sp: np.ndarray) -> np.ndarray:
    """Replace every map value by the mean over its superpixel."""
    return superpixel_means(maps, sp)[:, sp]


def annotate(cams: np.ndarray, class_ids, threshold: float, refine: str = "none", img=None, sp=None,
             crf_settings=None, background_threshold=None) -> np.ndarray:
    """(K, H, W) maps in [0,1] of the labelled classes -> uint8 label map.

    background_threshold set (seeds for DSRG): background only where every map is below it, the
    band between it and `threshold` is left unlabelled (255); where classes overlap the higher map wins."""
    if refine == "superpixel":
        cams = superpixel_mean(cams, sp)
    scores = np.concatenate([np.full((1,) + cams.shape[1:], threshold, np.float32), cams])
    if refine == "crf":
        e = np.exp((scores - scores.max(0, keepdims=True)) / 0.1)
        scores = dense_crf(img, e / e.sum(0, keepdims=True), crf_settings or {})
    lut = np.asarray([0] + list(class_ids), np.uint8)
    label = lut[scores.argmax(0)]
    if background_threshold is not None and len(cams):
        label[(label == 0) & (cams.max(0) >= background_threshold)] = IGNORE
    return label


def run(index_path, cams_path, split, shard, shards, settings, out_dir, scores_path, superpixels=None, group=None):
    index = Index(index_path)
    ids = index.shard(split, shard, shards)
    if settings["refine"] == "superpixel" and not superpixels:
        raise SystemExit("refine: superpixel needs --superpixels (the superpixel shard of the same split/shard)")
    sp_reader = ShardReader([superpixels]) if superpixels else None
    scores = {}
    with ShardReader([cams_path]) as cams_reader, atomic_path(out_dir, is_dir=True) as tmp_dir:
        for image_id in tqdm(ids, desc=f"pseudo labels shard {shard}"):
            if image_id not in cams_reader:
                continue  # no class in the label: no CAM, no annotation
            cams, class_ids = cams_reader.cam(image_id, group)
            img = read_image(index.images[image_id]) if settings["refine"] == "crf" else None
            sp = sp_reader.get(image_id)[0] if sp_reader else None
            label = annotate(cams, class_ids, settings["threshold"], settings["refine"], img, sp, settings.get("crf"),
                             settings.get("background_threshold"))
            write_label(Path(tmp_dir) / f"{image_id}.png", label)
            scores[image_id] = class_scatter(label, class_ids)
    if sp_reader:
        sp_reader.close()
    write_json(scores_path, scores)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--cams", required=True)
    ap.add_argument("--split", default="train")
    ap.add_argument("--shard", type=int, default=0)
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--settings", required=True, help="JSON of the config's `pseudo_labels` section")
    ap.add_argument("--superpixels", default=None)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--scores", required=True)
    ap.add_argument("--group", default=None, help="read the maps of this CAM-shard group (SPN: predicted)")
    a = ap.parse_args(argv)
    run(a.index, a.cams, a.split, a.shard, a.shards, json.loads(a.settings), a.out_dir, a.scores, a.superpixels,
        a.group)


if __name__ == "__main__":
    main()
