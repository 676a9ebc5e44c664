"""train_segmentation: a segmenter (wsss.segmenters, `segmentation.arch`) trained with a loss
(wsss.losses, `segmentation.loss`: cross-entropy, DSRG from seeds, DecoupledNet's own) on (pseudo)
label PNGs of the reliable subset -- or on ground-truth masks (the fully-supervised ceiling).

    python -m stages.train_segmentation --index results/demo/data/index.json \
        --labels pseudo/shard_000 pseudo/shard_001 --manifest reliable.json \
        --settings '{"arch": "deeplab_mobilenet_v2", "loss": "ce", ...}' --epochs 10 --crop 128 \
        --out round1/model.pt --log round1/log.csv --metrics round1/train.json --curve round1/curve.png
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from wsss import cli
from wsss.codehash import code_hash, plugins_of
from wsss.data.augmented import AugmentedImages
from wsss.data.dataset import Index
from wsss.device import pick_device
from wsss.io.files import IGNORE, PAD, read_json, write_json
from wsss.io.labels import label_paths
from wsss.losses import get_loss
from wsss.plots import loss_curve
from wsss.segmenters import build_segmenter, get_segmenter
from wsss.training import (
    drop_resume,
    files_digest,
    fingerprint,
    fit,
    make_optimizer,
    rows_steps,
    save_checkpoint,
    shuffled_loader,
)


def segmentation_step(settings: dict):
    """fit's step: the registered loss of settings["loss"] on one batch."""
    loss = get_loss(settings["loss"])

    def step(model, batch, device):
        x, label, targets = (t.to(device) for t in batch)
        if not loss.sees_padding:
            label = label.masked_fill(label == PAD, IGNORE)
        return loss(model, x, label, targets, settings)
    return step


def selected_classes(manifest: dict | None) -> dict | None:
    """image id -> the classes whose annotation the manifest selected (select_reliable is per class)."""
    if not manifest or "per_class" not in manifest:
        return None
    out: dict = {}
    for c, image_ids in manifest["per_class"].items():
        for i in image_ids:
            out.setdefault(i, set()).add(int(c))
    return out


def get_args_parser():
    ap = cli.parser(__doc__)
    ap.add_argument("--index", required=True, help="index.json written by prepare_data")
    labels = ap.add_mutually_exclusive_group(required=True)
    labels.add_argument("--labels", nargs="+", help="shard directories of label PNGs")
    labels.add_argument("--ground-truth", action="store_true",
                        help="learn from the train split's ground-truth masks (the fully-supervised ceiling)")
    ap.add_argument("--manifest", default=None, help="select_reliable output; omit to use every label")
    cli.add_training_args(ap, "segmentation")
    return ap


def run(args):
    cli.set_threads(args)
    settings = args.settings
    dev = pick_device(args.device)
    index = Index(args.index)
    if args.ground_truth:
        labels = {i: index.masks[i] for i in index.splits["train"]}
    else:
        labels = label_paths(args.labels)
    manifest = read_json(args.manifest) if args.manifest else None
    ids = manifest["ids"] if manifest else sorted(labels)
    missing = [i for i in ids if i not in labels]
    if missing:
        raise SystemExit(f"{len(missing)} ids of {args.manifest} have no label PNG in {args.labels}, "
                         f"e.g. {missing[:3]}")
    step = segmentation_step(settings)
    data = AugmentedImages(index, ids, args.crop, args.seed, tuple(args.scale_range), labels,
                           labels_are_artifacts=not args.ground_truth, selected=selected_classes(manifest))
    torch.manual_seed(args.seed)
    model = build_segmenter(settings, index.n_classes)
    opt = make_optimizer(model, settings)
    work = Path(args.out).parent / (Path(args.out).stem + ".resume")
    t0 = time.time()
    make_loader = shuffled_loader(data, settings["batch_size"], args.seed)
    epochs = cli.epochs_for(args, make_loader)
    run_id = fingerprint(settings=settings, epochs=epochs, crop=args.crop, scale_range=args.scale_range,
                         seed=args.seed, ids=ids, data=files_digest([args.index, *(labels[i] for i in ids)]),
                         code=code_hash("stages.train_segmentation", plugins=plugins_of(
                             get_segmenter(settings["arch"]), get_loss(settings["loss"]))))
    rows = fit(model, make_loader, step, opt, epochs=epochs,
               device=dev, work_dir=work, seed=args.seed, desc="segmentation", log_path=args.log, run_id=run_id,
               schedule=settings)
    save_checkpoint(args.out, model=model.cpu().state_dict(), settings=settings, n_classes=index.n_classes)
    loss_curve(rows, args.curve, f"segmentation ({settings['arch']})")
    m = {"epochs": epochs, "iterations": rows_steps(rows), "final_loss": rows[-1]["loss"],
         "train_seconds": round(time.time() - t0, 1),
         "n_train_images": len(ids), "device": str(dev), "arch": settings["arch"], "loss": settings["loss"],
         "labels": "ground truth" if args.ground_truth else "pseudo"}
    write_json(args.metrics, m)
    drop_resume(work)  # only now: every output is written
    print(json.dumps(m))


def main(argv=None):
    return run(get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
