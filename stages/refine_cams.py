"""refine_cams: a localizer's map shard through a trained refiner (wsss.refiners) -> a map shard of the
same format (cam -> cam_rw: PSA's random walk), read by pseudo_labels like any other.

    python -m stages.refine_cams --index results/demo/data/index.json --refiner random_walk \
        --cams cams/<set>/train_000.h5 --checkpoint refiners/<set>/model.pt --split train --shard 0 --shards 1 \
        --out cams/<refined set>/train_000.h5
"""
from __future__ import annotations

from tqdm import tqdm

from wsss import cli
from wsss.data.dataset import Index
from wsss.device import pick_device
from wsss.io.files import read_image
from wsss.io.h5store import ShardReader, ShardWriter, write_cam
from wsss.refiners import load_trained


def get_args_parser():
    ap = cli.parser(__doc__)
    cli.add_shard_args(ap)
    ap.add_argument("--refiner", required=True, help="refiner.method")
    ap.add_argument("--cams", required=True, help="the localizer's map shard of this split/shard")
    ap.add_argument("--checkpoint", required=True, help="train_refiner's model")
    ap.add_argument("--out", required=True)
    cli.add_device_args(ap)
    cli.add_benchmark_arg(ap)
    return ap


def run(args):
    cli.set_threads(args)
    dev = pick_device(args.device)
    refiner, model, settings = load_trained(args.checkpoint, args.refiner, " (--refiner)")
    model.to(dev)
    index = Index(args.index)
    ids = index.shard(args.split, args.shard, args.shards)
    with ShardReader([args.cams]) as maps, ShardWriter(args.out, {**maps.attrs, "refiner": refiner.name}) as w:
        for image_id in tqdm(ids, desc=f"{refiner.name} {args.split} shard {args.shard}"):
            if image_id not in maps:
                continue
            cams, class_ids = maps.cam(image_id)
            refined = refiner.refine(model, read_image(index.images[image_id]), cams, class_ids, settings, dev)
            write_cam(w, image_id, refined, class_ids)


def main(argv=None):
    return cli.run_benchmarked(run, get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
