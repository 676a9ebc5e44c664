"""train_classifier: a localizer's network (wsss.localizers: CAM, SPN, FickleNet, ...) from image-level
labels, then its val mAP.

    python -m stages.train_classifier --index results/demo/data/index.json --split train \
        --settings '{"method": "cam", "backbone": "mobilenet_v2", ...}' --epochs 10 --crop 128 \
        --out model.pt --log log.csv --metrics metrics.json --curve curve.png
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from wsss import cli
from wsss.codehash import code_hash, plugins_of
from wsss.data.dataset import Index
from wsss.data.spn_data import DEFAULT_SIZES
from wsss.device import pick_device
from wsss.io.files import read_image, write_json
from wsss.io.h5store import ShardReader
from wsss.localizers import get_localizer
from wsss.ops.metrics import mean_average_precision
from wsss.plots import loss_curve
from wsss.training import (drop_resume, files_digest, fingerprint, fit, make_optimizer, rows_steps, save_checkpoint,
                           write_log)


@torch.no_grad()
def mean_ap(localizer, model, index: Index, ids, crop: int, device, sp_reader=None) -> float:
    """Mean average precision of the classifier on `ids` (whole images, see Localizer.image_logits)."""
    model.eval()
    scores, targets = [], []
    for image_id in ids:
        sp = sp_reader.get(image_id)[0] if sp_reader else None
        logits = localizer.image_logits(model, read_image(index.images[image_id]), crop, device, sp)
        scores.append(torch.sigmoid(torch.from_numpy(logits)).numpy())
        targets.append(index.multi_hot(image_id))
    return mean_average_precision(np.stack(scores), np.stack(targets))


def get_args_parser():
    ap = cli.parser(__doc__)
    cli.add_index_args(ap)
    cli.add_training_args(ap, "classifier")
    ap.add_argument("--superpixels", nargs="*", default=[], help="superpixel shards of train and val (SPN)")
    ap.add_argument("--spn-sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="SPN training sizes")
    ap.add_argument("--features", nargs="*", default=[],
                    help="encoder_features shards of the train split (localizers that train on a cached encoder)")
    ap.add_argument("--eval-split", default="val", help="the split the val mAP is measured on")
    cli.add_benchmark_arg(ap)
    return ap


def run(args):
    cli.set_threads(args)
    settings = args.settings
    localizer = get_localizer(settings.get("method", "cam"))
    if not localizer.trains:
        raise SystemExit(f"classifier.method {localizer.name!r} has nothing to train (its maps need no network)")
    if localizer.needs_superpixels and not args.superpixels:
        raise SystemExit(f"classifier.method {localizer.name!r} needs --superpixels (the superpixel shards of "
                         "train and val)")
    dev = pick_device(args.device)
    index = Index(args.index)
    ids = index.splits[args.split]
    torch.manual_seed(args.seed)
    model = localizer.build(settings, index.n_classes - 1)
    sp_reader = ShardReader(args.superpixels) if args.superpixels else None
    features = ShardReader(args.features) if args.features else None
    if localizer.cached_encoder(settings) and features is None:
        print("no --features: the frozen encoder runs on every batch (same batches, slower)")
    work = Path(args.out).parent / (Path(args.out).stem + ".resume")
    t0 = time.time()

    def epoch_loop():
        opt = make_optimizer(model, settings)
        make_loader = localizer.batches(index, ids, settings, args.crop, args.seed, sp_reader, args.spn_sizes,
                                        tuple(args.scale_range), features=features)
        epochs = cli.epochs_for(args, make_loader)
        run_id = fingerprint(settings=settings, epochs=epochs, crop=args.crop, scale_range=args.scale_range,
                             seed=args.seed, spn_sizes=args.spn_sizes, split=args.split,
                             data=files_digest([args.index, *args.superpixels, *args.features]),
                             code=code_hash("stages.train_classifier", plugins=plugins_of(localizer)))
        return fit(model, make_loader, localizer.step, opt, epochs=epochs, device=dev, work_dir=work, seed=args.seed,
                   desc="classifier", log_path=args.log, run_id=run_id, schedule=settings)

    rows = localizer.train(model, index, ids, settings, args.crop, dev, epoch_loop)
    write_log(args.log, rows)
    m = {"epochs": len(rows), "iterations": rows_steps(rows), "final_loss": rows[-1]["loss"],
         "train_seconds": round(time.time() - t0, 1),
         "n_train_images": len(ids), "device": str(dev), "backbone": settings["backbone"], "method": localizer.name,
         f"{args.eval_split}_mAP": mean_ap(localizer, model, index, index.splits[args.eval_split], args.crop, dev,
                                           sp_reader if localizer.needs_superpixels else None)}
    save_checkpoint(args.out, model=model.cpu().state_dict(), settings=settings, n_fg=index.n_classes - 1,
                    class_names=index.class_names)
    loss_curve(rows, args.curve, f"classifier ({settings['backbone']})")
    write_json(args.metrics, m)
    drop_resume(work)  # only now: every output is written
    print(json.dumps(m))


def main(argv=None):
    return cli.run_benchmarked(run, get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
