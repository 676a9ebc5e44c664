"""predict: label PNGs from a segmentation checkpoint for one shard of a split.

    python -m stages.predict --index results/demo/data/index.json --checkpoint round1/model.pt \
        --split val --shard 0 --shards 1 --out-dir round1/pred_val/shard_000 [--clean] [--crf]

--clean keeps only the image's labelled classes (+ background): used on train, where the
prediction becomes the next round's annotation. --scores writes reliability (scatter) scores.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from wsss import cli
from wsss.data.dataset import Index
from wsss.data.transforms import resize, to_tensor
from wsss.device import pick_device
from wsss.io.files import atomic_path, read_image, write_json, write_label
from wsss.ops.crf import dense_crf
from wsss.ops.reliability import class_scatter
from wsss.segmenters import load_segmenter


@torch.no_grad()
def predict_probs(model, img: np.ndarray, device, class_ids=None, flip: bool = True, scales=(1.0,)) -> np.ndarray:
    """(C, H, W) scores whose argmax is the label, averaged over the image and its flip at each scale
    (relative to the original size; scores resized back to it).

    class_ids (1-based, the image labels) tell a DecoupledNet which classes to segment; without
    them it segments the classes its classifier finds. DeepLab scores every class either way."""
    h, w = img.shape[:2]
    total = 0
    for s in scales:
        x = to_tensor(img if s == 1.0 else resize(img, s))[None].to(device)
        if flip:
            x = torch.cat([x, x.flip(-1)])
        scores = model.label_scores(x, class_ids)
        if flip:
            scores = (scores[:1] + scores[1:].flip(-1)) / 2
        if scores.shape[-2:] != (h, w):
            scores = F.interpolate(scores, size=(h, w), mode="bilinear", align_corners=False)
        total = total + scores[0].cpu()
    return (total / len(scales)).numpy()


def get_args_parser():
    ap = cli.parser(__doc__)
    cli.add_shard_args(ap, split=None)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--clean", action="store_true", help="restrict to the image-level labels")
    ap.add_argument("--crf", default=None, type=json.loads, help="JSON of CRF settings: post-process with a dense CRF")
    ap.add_argument("--scores", default=None, help="write per-image reliability scores here")
    ap.add_argument("--scales", type=float, nargs="+", default=[1.0],
                    help="scales (x the original size) whose flip-averaged scores are averaged")
    cli.add_device_args(ap)
    return ap


def run(args):
    cli.set_threads(args)
    dev = pick_device(args.device)
    index = Index(args.index)
    model, _ = load_segmenter(args.checkpoint, dev)
    result = {}
    with atomic_path(args.out_dir, is_dir=True) as tmp:
        ids = index.shard(args.split, args.shard, args.shards)
        for image_id in tqdm(ids, desc=f"predict {args.split} shard {args.shard}"):
            img = read_image(index.images[image_id])
            probs = predict_probs(model, img, dev, index.labels[image_id] if args.clean else None,
                                  scales=args.scales)
            if args.clean:
                keep = np.zeros(len(probs), bool)
                keep[[0] + index.labels[image_id]] = True
                probs = np.where(keep[:, None, None], probs, 0)
            if args.crf is not None:
                probs = dense_crf(img, probs / probs.sum(0, keepdims=True), args.crf)
            label = probs.argmax(0).astype(np.uint8)
            write_label(Path(tmp) / f"{image_id}.png", label)
            if args.scores:
                result[image_id] = class_scatter(label, index.labels[image_id])
    if args.scores:
        write_json(args.scores, result)


def main(argv=None):
    return run(get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
