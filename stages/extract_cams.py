"""extract_cams: multi-scale (+flip) CAM or Grad-CAM of the classes present, to a float16 HDF5 shard.

    python -m stages.extract_cams --index results/demo/data/index.json --checkpoint model.pt \
        --split train --shard 0 --shards 1 --settings '{"method": "cam", "scales": [1.0], "flip": true}' \
        --out cams/train_000.h5

Maps are summed over scales and flips at input resolution and divided by each class's max,
so every stored map lies in [0, 1] (the 50%-of-max rule is then a 0.5 threshold).
Only the classes in the image label are computed (annotation cleaning starts here).
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from .dataset import Index
from .h5store import ShardReader, ShardWriter, write_cam
from .io_utils import read_image
from .models.spn import SPN
from .spn_data import DEFAULT_SIZES, pad_square, resample
from .train_classifier import load
from .training import pick_device
from .transforms import resize, to_tensor


def image_cams(model, img: np.ndarray, class_ids, scales, flip: bool, method: str, device) -> np.ndarray:
    """(K, H, W) float32 maps in [0, 1] for the given 1-based class ids."""
    h, w = img.shape[:2]
    idx = [c - 1 for c in class_ids]
    total = torch.zeros(len(idx), h, w)
    for s in scales:
        x = to_tensor(resize(img, s))[None]
        if flip:
            x = torch.cat([x, x.flip(-1)])
        x = x.to(device)
        if method == "gradcam":
            maps = model.grad_cam(x, idx)
        else:
            with torch.no_grad():
                maps = model.cam(x, idx)
        if flip:
            maps = maps[:1] + maps[1:].flip(-1)
        total += F.interpolate(maps.float().cpu(), size=(h, w), mode="bilinear", align_corners=False)[0]
    return max_normalise(total)


def max_normalise(maps: torch.Tensor) -> np.ndarray:
    """Divide each class map by its own max, so maps lie in [0, 1]."""
    return (maps / maps.flatten(1).max(1).values.clamp_min(1e-5)[:, None, None]).numpy()


def image_spcams(model, img: np.ndarray, sp: np.ndarray, class_ids, sizes, flip: bool, device) -> np.ndarray:
    """SP-CAM (SPN): per-superpixel class scores painted back, at every size, max over sizes (and flips).

    Scores are the SP branch's logits through a ReLU, then each class is divided by its max."""
    h, w = img.shape[:2]
    n = max(h, w)
    img_sq, sp_sq = pad_square(img, sp)
    idx = [c - 1 for c in class_ids]
    total = torch.zeros(len(idx), h, w)
    for size in sizes:
        for flipped in ([False, True] if flip else [False]):
            im, s = (img_sq[:, ::-1], sp_sq[:, ::-1]) if flipped else (img_sq, sp_sq)
            im, s = resample(np.ascontiguousarray(im), np.ascontiguousarray(s), size)
            maps = model.sp_cam(to_tensor(im)[None].to(device), torch.from_numpy(s)[None].to(device))[0, idx]
            up = F.interpolate(F.relu(maps).float().cpu()[None], size=(n, n), mode="nearest")[0]
            total = torch.maximum(total, (up.flip(-1) if flipped else up)[:, :h, :w])
    return max_normalise(total)


def run(index_path, checkpoint, split, shard, shards, settings, out, device="auto", superpixels=None,
        spn_sizes=DEFAULT_SIZES):
    dev = pick_device(device)
    index = Index(index_path)
    model, state = load(checkpoint, dev)
    is_spn = isinstance(model, SPN)
    if (settings["method"] == "spcam") != is_spn:
        raise SystemExit(f"cams.method {settings['method']!r} does not fit the classifier in {checkpoint} "
                         f"(method {state['settings'].get('method', 'cam')!r}): spcam needs an SPN, cam/gradcam a CAM net")
    if is_spn and not superpixels:
        raise SystemExit("cams.method spcam needs --superpixels (the superpixel shard of this split/shard)")
    sp_reader = ShardReader([superpixels]) if is_spn else None
    ids = index.shard(split, shard, shards)
    attrs = {"method": settings["method"], "scales": list(spn_sizes if is_spn else settings["scales"]), "flip": bool(settings["flip"]),
             "backbone": state["settings"]["backbone"], "class_names": index.class_names, "split": split}
    with ShardWriter(out, attrs) as w:
        for image_id in tqdm(ids, desc=f"{settings['method']} {split} shard {shard}"):
            classes = index.labels[image_id]
            if not classes:
                continue
            img = read_image(index.images[image_id])
            if is_spn:
                cams = image_spcams(model, img, sp_reader.get(image_id)[0], classes, spn_sizes, settings["flip"], dev)
            else:
                cams = image_cams(model, img, classes, settings["scales"], settings["flip"], settings["method"], dev)
            write_cam(w, image_id, cams, classes)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--split", default="train")
    ap.add_argument("--shard", type=int, default=0)
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--settings", required=True, help="JSON of the config's `cams` section")
    ap.add_argument("--out", required=True)
    ap.add_argument("--superpixels", default=None, help="superpixel shard (spcam only)")
    ap.add_argument("--spn-sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="SP-CAM input sizes")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    run(a.index, a.checkpoint, a.split, a.shard, a.shards, json.loads(a.settings), a.out, a.device,
        a.superpixels, a.spn_sizes)


if __name__ == "__main__":
    main()
