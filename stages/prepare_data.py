"""prepare_data: split lists, image-level labels and the index every later stage reads.

    python -m stages.prepare_data --dataset demo --root data/demo --out results/demo/data
    python -m stages.prepare_data --dataset voc12 --root data/VOCdevkit/VOC2012 \
        --sbd-root data/benchmark_RELEASE --out results/voc12/data
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

from wsss import cli
from wsss.data import demo as demo_data
from wsss.data import voc
from wsss.errors import BadInputError
from wsss.io.files import atomic_path, write_json


def get_args_parser():
    ap = cli.parser(__doc__)
    ap.add_argument("--dataset", choices=["demo", "voc12"], required=True)
    ap.add_argument("--root", required=True, help="VOC2012-layout directory (demo: the generated one)")
    ap.add_argument("--sbd-root", default=None, help="benchmark_RELEASE directory (optional)")
    ap.add_argument("--out", required=True)
    return ap


def run(args) -> dict:
    dataset, root, out, sbd_root = args.dataset, args.root, Path(args.out), args.sbd_root
    if dataset == "demo":
        seg = Path(root) / "ImageSets" / "Segmentation"
        lists = {"train": voc.read_list(seg / "train.txt"), "val": voc.read_list(seg / "val.txt")}
        lists["train_gt"] = list(lists["train"])
        class_names = demo_data.CLASS_NAMES
        aug_dir = None
    else:
        if not (Path(root) / "ImageSets" / "Segmentation").is_dir():
            raise BadInputError(f"{root}: not a VOC2012 directory (no ImageSets/Segmentation). Set voc12.root "
                                    f"in config.yaml to your VOCdevkit/VOC2012, or voc12.download: true.")
        lists = voc.split_ids(root, sbd_root)
        class_names = voc.CLASS_NAMES
        aug_dir = out / "SegmentationClassAug"
        if sbd_root and (Path(sbd_root) / "dataset").is_dir():
            voc.merge_sbd(lists["train"], root, sbd_root, aug_dir)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        index = voc.build_index(lists, Path(root) / "JPEGImages",
                                lambda i: voc.mask_path(i, root, aug_dir or Path(root) / "SegmentationClass"),
                                class_names)
    for w in caught:
        print(f"WARNING: {w.message}")
    index["dataset"] = dataset
    for split, ids in index["splits"].items():
        with atomic_path(out / "lists" / f"{split}.txt") as tmp:
            tmp.write_text("\n".join(ids) + "\n")
    write_json(out / "labels.json", {i: index["labels"][i] for i in sorted(index["labels"])})
    write_json(out / "index.json", index)  # last: its presence means the stage finished
    print(json.dumps({s: len(v) for s, v in index["splits"].items()}))
    return index


def main(argv=None):
    return run(get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
