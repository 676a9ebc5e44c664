"""predict: label PNGs from a segmentation checkpoint for one shard of a split.

    python -m stages.predict --index results/demo/data/index.json --checkpoint round1/model.pt \
        --split val --shard 0 --shards 1 --out-dir round1/pred_val/shard_000 [--clean] [--crf]

--clean keeps only the image's labelled classes (+ background): used on train, where the
prediction becomes the next round's annotation. --scores writes reliability (scatter) scores.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from .crf import dense_crf
from .dataset import Index
from .io_utils import atomic_path, read_image, write_json, write_label
from .reliability import class_scatter
from .train_segmentation import load
from .training import pick_device
from .transforms import to_tensor


@torch.no_grad()
def predict_probs(model, img: np.ndarray, device, class_ids=None, flip: bool = True) -> np.ndarray:
    """(C, H, W) scores whose argmax is the label, averaged over the image and its flip.

    class_ids (1-based, the image labels) tell a DecoupledNet which classes to segment; without
    them it segments the classes its classifier finds. DeepLab scores every class either way."""
    x = to_tensor(img)[None].to(device)
    if flip:
        x = torch.cat([x, x.flip(-1)])
    scores = model.label_scores(x, class_ids)
    if flip:
        scores = (scores[:1] + scores[1:].flip(-1)) / 2
    return scores[0].cpu().numpy()


def run(index_path, checkpoint, split, shard, shards, out_dir, clean=False, crf=None, scores=None, device="auto"):
    dev = pick_device(device)
    index = Index(index_path)
    model, _ = load(checkpoint, dev)
    result = {}
    with atomic_path(out_dir, is_dir=True) as tmp:
        for image_id in tqdm(index.shard(split, shard, shards), desc=f"predict {split} shard {shard}"):
            img = read_image(index.images[image_id])
            probs = predict_probs(model, img, dev, index.labels[image_id] if clean else None)
            if clean:
                keep = np.zeros(len(probs), bool)
                keep[[0] + index.labels[image_id]] = True
                probs = np.where(keep[:, None, None], probs, 0)
            if crf is not None:
                probs = dense_crf(img, probs / probs.sum(0, keepdims=True), crf)
            label = probs.argmax(0).astype(np.uint8)
            write_label(Path(tmp) / f"{image_id}.png", label)
            if scores:
                result[image_id] = class_scatter(label, index.labels[image_id])
    if scores:
        write_json(scores, result)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--split", required=True)
    ap.add_argument("--shard", type=int, default=0)
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--clean", action="store_true", help="restrict to the image-level labels")
    ap.add_argument("--crf", default=None, help="JSON of CRF settings to post-process with a dense CRF")
    ap.add_argument("--scores", default=None, help="write per-image reliability scores here")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    run(a.index, a.checkpoint, a.split, a.shard, a.shards, a.out_dir, a.clean,
        json.loads(a.crf) if a.crf else None, a.scores, a.device)


if __name__ == "__main__":
    main()
