"""extract_cams: localization maps of the classes present, to a float16 HDF5 shard.

Methods: CAM / Grad-CAM (multi-scale + flip), SP-CAM (SPN; see superpixel_scores; the maps of the
classes the SPN finds itself go to the `predicted/` group), FickleNet's
stochastic Grad-CAM (N selections at scale 1, see stages/stochastic_cams.py; the fraction of
selections firing goes to the `fired/` group of the same shard).

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

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from .dataset import Index
from .h5store import FIRED, PREDICTED, ShardReader, ShardWriter, write_cam
from .io_utils import read_image
from .models.spn import SPN
from .pseudo_labels import superpixel_means
from .spn_data import DEFAULT_SIZES, pad_square
from .stochastic_cams import localization
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


def superpixel_scores(model, img: np.ndarray, sp: np.ndarray, sizes, flip: bool, device):
    """SP-CAM scores of every class per superpixel (C, n_sp), max over sizes and flips, and the SP
    branch's image score per class (C,): the mean over superpixels, averaged over sizes and flips.

    At each size the SP classifier (linear, bias-free) is applied to every f_ups feature (stride 4);
    the score maps are upsampled bilinearly to the input resolution and averaged inside each of the
    image's own superpixels -- by linearity, the scores of its superpixels pooled from upsampled
    features. Boundaries are thus the full-resolution SLIC boundaries, not a 1/4-resolution copy."""
    h, w = img.shape[:2]
    n = max(h, w)
    img_sq, _ = pad_square(img, sp)
    weight = model.sp_fc.weight.to(device)
    best, image_score, views = None, 0.0, 0
    for size in sizes:
        for flipped in ([False, True] if flip else [False]):
            im = cv2.resize(np.ascontiguousarray(img_sq[:, ::-1] if flipped else img_sq), (size, size),
                            interpolation=cv2.INTER_LINEAR)
            with torch.no_grad():
                feats, _ = model.upsampled_features(to_tensor(im)[None].to(device))
                scores = F.interpolate(torch.einsum("kc,bchw->bkhw", weight, feats), size=(n, n),
                                       mode="bilinear", align_corners=False)[0].float().cpu()
            per_sp = superpixel_means((scores.flip(-1) if flipped else scores)[:, :h, :w].numpy(), sp)
            best = per_sp if best is None else np.maximum(best, per_sp)
            image_score, views = image_score + per_sp.mean(1), views + 1
    return best, image_score / views


def spcam_maps(best: np.ndarray, sp: np.ndarray, class_ids) -> np.ndarray:
    """(K, H, W) SP-CAM of the 1-based class ids: scores painted back, ReLU, each class over its max."""
    return max_normalise(torch.from_numpy(best[[c - 1 for c in class_ids]][:, sp]).clamp_min(0))


def found_classes(image_score: np.ndarray) -> list[int]:
    """SPN as a segmenter: the classes whose mean superpixel score is above 0 (SPN paper)."""
    return [int(c) + 1 for c in np.flatnonzero(image_score > 0)]


def image_spcams(model, img: np.ndarray, sp: np.ndarray, class_ids, sizes, flip: bool, device):
    """SP-CAM of class_ids (None: the classes the SPN finds). Returns (maps (K, H, W) in [0, 1], ids)."""
    best, image_score = superpixel_scores(model, img, sp, sizes, flip, device)
    ids = found_classes(image_score) if class_ids is None else list(class_ids)
    return spcam_maps(best, sp, ids), ids


def image_fickle_cams(model, img: np.ndarray, class_ids, fickle: dict, device, generator):
    """FickleNet localization maps (K, H, W) and the fraction of selections firing (K, H, W).

    stochastic false (ablation): one pass of FickleNet's Grad-CAM with no dropout."""
    x = to_tensor(img)[None].to(device)
    if not fickle["stochastic"]:
        with torch.no_grad():
            f = model.feature_map(x)
        maps = F.interpolate(model.grad_cams_batched(f, [c - 1 for c in class_ids]), size=img.shape[:2],
                             mode="bilinear", align_corners=False)[0].cpu()
        cams = max_normalise(maps)
        return cams, (cams > fickle["threshold"]).astype(np.float32)
    return localization(model, x, class_ids, fickle["n_samples"], fickle["threshold"], fickle["chunk"], generator,
                        sampler=fickle["sampler"], gradcam=fickle["gradcam"])


def run(index_path, checkpoint, split, shard, shards, settings, out, device="auto", superpixels=None,
        spn_sizes=DEFAULT_SIZES, predicted=False):
    """predicted: the classes come from the model, not the image labels (SPN as a segmenter, any split)."""
    dev = pick_device(device)
    index = Index(index_path)
    model, state = load(checkpoint, dev)
    is_spn = isinstance(model, SPN)
    needs = {"spcam": "spn", "fickle": "ficklenet"}.get(settings["method"], "cam")
    if needs != state["settings"].get("method", "cam"):
        raise SystemExit(f"cams.method {settings['method']!r} does not fit the classifier in {checkpoint} "
                         f"(classifier.method {state['settings'].get('method', 'cam')!r}): spcam needs an spn, "
                         f"fickle a ficklenet, cam/gradcam a cam classifier")
    if is_spn and not superpixels:
        raise SystemExit("cams.method spcam needs --superpixels (the superpixel shard of this split/shard)")
    if predicted and not is_spn:
        raise SystemExit("--predicted-classes is implemented for SPN checkpoints (SPN as a segmenter) only")
    sp_reader = ShardReader([superpixels]) if is_spn else None
    ids = index.shard(split, shard, shards)
    attrs = {"method": settings["method"], "scales": list(spn_sizes if is_spn else settings["scales"]), "flip": bool(settings["flip"]),
             "backbone": state["settings"]["backbone"], "class_names": index.class_names, "split": split,
             "classes": "predicted" if predicted else "image labels"}
    generator = torch.Generator(device=dev).manual_seed(shard)  # FickleNet's selections, reproducible per shard
    with ShardWriter(out, attrs) as w:
        for image_id in tqdm(ids, desc=f"{settings['method']} {split} shard {shard}"):
            classes = index.labels[image_id]
            if not classes and not predicted:
                continue
            img = read_image(index.images[image_id])
            if is_spn:
                sp = sp_reader.get(image_id)[0]
                best, image_score = superpixel_scores(model, img, sp, spn_sizes, settings["flip"], dev)
                found = found_classes(image_score)
                if predicted:
                    classes = found
                else:  # the classes the SPN finds too (SPN as a segmenter, the not-cleaned annotations)
                    write_cam(w, f"{PREDICTED}/{image_id}", spcam_maps(best, sp, found), found)
                cams = spcam_maps(best, sp, classes)
            elif settings["method"] == "fickle":
                cams, fired = image_fickle_cams(model, img, classes, settings["fickle"], dev, generator)
                w.put(f"{FIRED}/{image_id}", fired.astype(np.float16))
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
    ap.add_argument("--predicted-classes", action="store_true",
                    help="map the classes the SPN finds instead of the image labels (SPN as a segmenter)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    run(a.index, a.checkpoint, a.split, a.shard, a.shards, json.loads(a.settings), a.out, a.device,
        a.superpixels, a.spn_sizes, a.predicted_classes)


if __name__ == "__main__":
    main()
