"""evaluate: mIoU, per-class IoU, pixel accuracy and confusion matrix of label PNGs vs ground truth.

    python -m stages.evaluate --index results/demo/data/index.json --split val \
        --pred round1/pred_val/shard_000 --json eval/round1_val.json --md eval/round1_val.md --title "round 1, val"

One confusion matrix over the whole split (the VOC convention); 255 in the ground truth is
ignored. An image with no prediction counts as all-wrong and is reported in `n_missing`.
--manifest restricts the split to the ids of a reliable subset (select_reliable's output).
"""
from __future__ import annotations

import numpy as np
from tqdm import tqdm

from wsss import cli
from wsss.data.dataset import Index
from wsss.io.files import IGNORE, atomic_path, read_json, read_label, write_json
from wsss.io.labels import label_paths, read_annotation
from wsss.ops.metrics import ConfusionAccumulator


def evaluate(index: Index, split: str, pred_dirs, only=None) -> dict:
    """only: restrict to these ids (e.g. a reliable subset's manifest), intersected with the split."""
    preds = label_paths(pred_dirs)
    acc = ConfusionAccumulator(index.n_classes)
    missing = 0
    keep = None if only is None else set(only)
    ids = [i for i in index.splits[split] if keep is None or i in keep]
    for image_id in tqdm(ids, desc=f"evaluate {split}"):
        gt = read_label(index.masks[image_id])
        if image_id in preds:
            pred = read_annotation(preds[image_id])
            if pred.shape != gt.shape:
                raise SystemExit(f"{preds[image_id]}: prediction {pred.shape} vs ground truth {gt.shape}")
        else:
            pred, missing = np.full_like(gt, IGNORE), missing + 1
        acc.add(gt, pred)
    out = acc.result()
    out.update(split=split, n_missing=missing, class_names=index.class_names)
    return out


def markdown(res: dict, title: str) -> str:
    lines = [f"# {title}", "", f"split `{res['split']}`: {res['n_images']} images ({res['n_missing']} without "
             f"prediction); **mIoU {100 * res['miou']:.1f}%**, pixel accuracy {100 * res['pixel_accuracy']:.1f}%; "
             f"{100 * res['labelled_fraction']:.1f}% of pixels labelled, {100 * res['labelled_accuracy']:.1f}% "
             "of those correct", "",
             "| class | IoU % |", "|---|---|"]
    for name, iou in zip(res["class_names"], res["iou"]):
        lines.append(f"| {name} | {'n/a' if iou is None else f'{100 * iou:.1f}'} |")
    return "\n".join(lines) + "\n"


def get_args_parser():
    ap = cli.parser(__doc__)
    cli.add_index_args(ap, split=None)
    ap.add_argument("--pred", nargs="+", required=True, help="directories of label PNGs")
    ap.add_argument("--json", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--title", default="evaluation")
    ap.add_argument("--manifest", default=None, help="select_reliable output: evaluate only its ids")
    return ap


def run(args):
    ids = read_json(args.manifest)["ids"] if args.manifest else None
    res = evaluate(Index(args.index), args.split, args.pred, ids)
    res["title"] = args.title
    write_json(args.json, res)
    with atomic_path(args.md) as tmp:
        tmp.write_text(markdown(res, args.title))
    print(f"{args.title}: mIoU {100 * res['miou']:.2f}% over {res['n_images']} images")


def main(argv=None):
    return run(get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
