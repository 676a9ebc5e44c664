"""pseudo_labels: CAM shard -> label PNGs (255 = ignore) + per-image reliability (scatter) scores.

    python -m stages.pseudo_labels --index results/demo/data/index.json --cams cams/train_000.h5 \
        --split train --shard 0 --shards 1 --settings '{"threshold": 0.3, "refine": "none"}' \
        --out-dir pseudo/shard_000 --scores pseudo/shard_000.scores.json

The rule is wsss.ops.annotate (threshold on max-normalised maps, argmax over the labelled classes,
optional superpixel averaging -- needs --superpixels -- or dense CRF).
"""
from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from wsss import cli
from wsss.data.dataset import Index
from wsss.io.files import atomic_path, read_image, read_json, write_json, write_label
from wsss.io.h5store import ShardReader
from wsss.ops.annotate import annotate
from wsss.ops.reliability import class_scatter


def get_args_parser():
    ap = cli.parser(__doc__)
    cli.add_shard_args(ap)
    ap.add_argument("--cams", required=True, help="CAM shard (extract_cams) of this split/shard")
    cli.add_settings_arg(ap, "pseudo_labels")
    ap.add_argument("--superpixels", default=None, help="superpixel shard (refine: superpixel)")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--scores", required=True)
    ap.add_argument("--group", default=None, help="read the maps of this CAM-shard group (SPN: predicted)")
    ap.add_argument("--threshold-file", default=None, help="threshold_rule JSON (settings threshold: otsu)")
    return ap


def run(args):
    settings = args.settings
    threshold = settings["threshold"]
    if threshold == "otsu":
        if not args.threshold_file:
            raise SystemExit("pseudo_labels.threshold: otsu needs --threshold-file (the threshold_rule output)")
        threshold = read_json(args.threshold_file)["threshold"]
    index = Index(args.index)
    ids = index.shard(args.split, args.shard, args.shards)
    if settings["refine"] == "superpixel" and not args.superpixels:
        raise SystemExit("refine: superpixel needs --superpixels (the superpixel shard of the same split/shard)")
    sp_reader = ShardReader([args.superpixels]) if args.superpixels else None
    scores = {}
    with ShardReader([args.cams]) as cams_reader, atomic_path(args.out_dir, is_dir=True) as tmp_dir:
        for image_id in tqdm(ids, desc=f"pseudo labels shard {args.shard}"):
            if image_id not in cams_reader:
                continue  # no class in the label: no CAM, no annotation
            cams, class_ids = cams_reader.cam(image_id, args.group)
            img = read_image(index.images[image_id]) if settings["refine"] == "crf" else None
            sp = sp_reader.get(image_id)[0] if sp_reader else None
            label = annotate(cams, class_ids, threshold, settings["refine"], img, sp, settings.get("crf"),
                             settings.get("background_threshold"), settings.get("background_margin", 0.0))
            write_label(Path(tmp_dir) / f"{image_id}.png", label)
            scores[image_id] = class_scatter(label, class_ids)
    if sp_reader:
        sp_reader.close()
    write_json(args.scores, scores)


def main(argv=None):
    return run(get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
