"""train_refiner: train a refiner's network (wsss.refiners, `refiner.method`) from a localizer's maps.

    python -m stages.train_refiner --index results/demo/data/index.json --refiner random_walk \
        --cams cams/train_000.h5 cams/train_001.h5 --settings '{...refiner.random_walk...}' \
        --crop 192 --out refiner/model.pt --log refiner/log.csv --metrics refiner/metrics.json --curve refiner/curve.png

The random walk's AffinityNet learns from the confident regions of the maps (no pixel label is read).
Resumable like every training stage (wsss.training.fit).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from wsss import cli
from wsss.codehash import code_hash, plugins_of
from wsss.data.dataset import Index
from wsss.device import pick_device
from wsss.io.files import write_json
from wsss.io.h5store import ShardReader
from wsss.plots import loss_curve
from wsss.refiners import get_refiner
from wsss.training import drop_resume, files_digest, fingerprint, fit, make_optimizer, rows_steps, save_checkpoint


def get_args_parser():
    ap = cli.parser(__doc__)
    cli.add_index_args(ap)
    ap.add_argument("--refiner", required=True, help="refiner.method")
    ap.add_argument("--cams", nargs="+", required=True, help="the localizer's map shards of the split")
    cli.add_settings_arg(ap, "refiner.<method>")
    ap.add_argument("--crop", type=int, required=True)
    for name in ("--out", "--log", "--metrics", "--curve"):
        ap.add_argument(name, required=True)
    ap.add_argument("--seed", type=int, default=0)
    cli.add_device_args(ap)
    cli.add_compute_args(ap)
    return ap


def run(args):
    cli.set_threads(args)
    refiner = get_refiner(args.refiner)
    dev = pick_device(args.device)
    index = Index(args.index)
    ids = index.splits[args.split]
    torch.manual_seed(args.seed)
    with ShardReader(args.cams) as maps:
        settings = refiner.resolve(args.settings, maps, ids)
        model = refiner.build(settings)
        opt = make_optimizer(model, settings)
        make_loader = refiner.batches(index, ids, maps, settings, args.crop, args.seed)
    schedule = argparse.Namespace(epochs=settings["epochs"], iterations=settings.get("iterations"))
    epochs = cli.epochs_for(schedule, make_loader)
    work = Path(args.out).parent / (Path(args.out).stem + ".resume")
    run_id = fingerprint(refiner=args.refiner, settings=args.settings, epochs=epochs, crop=args.crop, seed=args.seed,
                         split=args.split, data=files_digest([args.index, *args.cams]),
                         code=code_hash("stages.train_refiner", plugins=plugins_of(refiner)))
    t0 = time.time()
    rows = fit(model, make_loader, refiner.step, opt, epochs=epochs, device=dev, work_dir=work, seed=args.seed,
               desc=args.refiner, log_path=args.log, run_id=run_id, schedule=settings)
    m = {"refiner": args.refiner, "epochs": epochs, "iterations": rows_steps(rows), "final_loss": rows[-1]["loss"],
         "train_seconds": round(time.time() - t0, 1), "n_train_images": len(ids), "device": str(dev),
         "resolved": {k: v for k, v in settings.items() if args.settings.get(k) != v}}
    save_checkpoint(args.out, model=model.cpu().state_dict(), settings=settings, refiner=args.refiner)
    loss_curve(rows, args.curve, f"{args.refiner} ({settings.get('backbone', '')})")
    write_json(args.metrics, m)
    drop_resume(work)
    print(json.dumps(m))


def main(argv=None):
    return run(get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
