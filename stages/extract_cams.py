"""extract_cams: a localizer's maps of the classes present, to a float16 HDF5 shard.

    python -m stages.extract_cams --index results/demo/data/index.json --localizer cam --checkpoint model.pt \
        --split train --shard 0 --shards 1 --settings '{"method": "cam", "scales": [1.0], "flip": true}' \
        --out cams/train_000.h5

The localizer (wsss.localizers, `classifier.method`) computes the maps; `--settings` is the config's
`cams` section. Maps lie in [0, 1] (each class divided by its max, so the 50%-of-max rule is a 0.5
threshold). Only the classes in the image label are computed (annotation cleaning starts here);
extra per-image arrays of the localizer go to named groups of the same shard.
"""
from __future__ import annotations

from tqdm import tqdm

from wsss import cli
from wsss.data.dataset import Index
from wsss.data.spn_data import DEFAULT_SIZES
from wsss.device import pick_device
from wsss.io.files import read_image
from wsss.io.h5store import ShardReader, ShardWriter, write_cam
from wsss.localizers import get_localizer, load_classifier


def get_args_parser():
    ap = cli.parser(__doc__)
    cli.add_shard_args(ap)
    cli.add_settings_arg(ap, "cams")
    ap.add_argument("--localizer", required=True, help="classifier.method: the localizer whose maps these are")
    ap.add_argument("--checkpoint", default=None, help="the trained classifier (localizers that train)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--superpixels", default=None, help="superpixel shard of this split/shard (SPN)")
    ap.add_argument("--spn-sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="SP-CAM input sizes")
    ap.add_argument("--predicted-classes", action="store_true",
                    help="map the classes the model finds instead of the image labels (SPN as a segmenter)")
    cli.add_device_args(ap)
    cli.add_benchmark_arg(ap)
    return ap


def check(args, localizer, state):
    """Stop with the key to fix when the arguments do not fit the localizer (before any work)."""
    settings = args.settings
    if settings["method"] not in localizer.map_methods:
        raise SystemExit(f"cams.method {settings['method']!r} is not a map method of localizer {localizer.name!r} "
                         f"(classifier.method); it has: {', '.join(localizer.map_methods)}")
    if state and state["settings"].get("method", "cam") != localizer.name:
        raise SystemExit(f"{args.checkpoint} is a {state['settings'].get('method', 'cam')!r} classifier, not "
                         f"{localizer.name!r} (--localizer)")
    if localizer.trains and not args.checkpoint:
        raise SystemExit(f"localizer {localizer.name!r} needs --checkpoint (its trained classifier)")
    if localizer.needs_superpixels and not args.superpixels:
        raise SystemExit(f"localizer {localizer.name!r} needs --superpixels (the superpixel shard of this split/shard)")
    if args.predicted_classes and not localizer.predicts_classes:
        raise SystemExit(f"--predicted-classes: localizer {localizer.name!r} cannot find classes itself (SPN can)")


def run(args):
    cli.set_threads(args)
    localizer = get_localizer(args.localizer)
    dev = pick_device(args.device)
    model, state = (None, None)
    if localizer.trains and args.checkpoint:
        model, state, _ = load_classifier(args.checkpoint, dev)
    check(args, localizer, state)
    index = Index(args.index)
    sp_reader = ShardReader([args.superpixels]) if localizer.needs_superpixels else None
    ids = index.shard(args.split, args.shard, args.shards)
    settings = args.settings
    attrs = {"method": settings["method"], "localizer": localizer.name,
             "scales": localizer.scales(settings, args.spn_sizes), "flip": bool(settings["flip"]),
             "backbone": state["settings"]["backbone"] if state else None, "class_names": index.class_names,
             "split": args.split, "classes": "predicted" if args.predicted_classes else "image labels"}
    extract = localizer.extractor(model, settings, dev, seed=args.shard, sizes=args.spn_sizes)
    n_pairs, empty = 0, []
    with ShardWriter(args.out, {k: v for k, v in attrs.items() if v is not None}) as w:
        for image_id in tqdm(ids, desc=f"{settings['method']} {args.split} shard {args.shard}"):
            classes = None if args.predicted_classes else index.labels[image_id]
            if classes is not None and not classes:
                continue
            sp = sp_reader.get(image_id)[0] if sp_reader else None
            maps = extract(read_image(index.images[image_id]), classes, sp)
            for group, (array, class_ids) in maps.groups.items():
                if class_ids is None:
                    w.put(f"{group}/{image_id}", array)
                else:
                    write_cam(w, f"{group}/{image_id}", array, class_ids)
            write_cam(w, image_id, maps.cams, maps.class_ids)
            n_pairs += len(maps.class_ids)
            empty += [(image_id, c) for c, m in zip(maps.class_ids, maps.cams) if not (m > 0).any()]
        w.set_attr("n_empty_maps", len(empty))
    # an all-zero map drops its class from the annotation: say how often, and where
    print(f"empty maps: {len(empty)} of {n_pairs} (image, class) pairs" + (f", e.g. {empty[:5]}" if empty else ""))


def main(argv=None):
    return cli.run_benchmarked(run, get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
