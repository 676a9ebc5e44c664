"""report: one experiment's metrics beside the published numbers, with overlay pictures.

    python -m stages.report --index ... --experiment cam --dataset demo --classifier metrics.json \
        --pseudo eval/pseudo_train_gt.json --rounds eval/round1_val.json --cams cams/train_000.h5 \
        --pseudo-dirs pseudo/shard_000 --pred-dirs round1/pred_val/shard_000 \
        --published workflow/report/published.yaml --md report.md --html report.html --figures figures/

Published numbers are printed only in their own columns, labelled as published; our columns hold
only what this run computed.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from wsss import cli
from wsss.data.dataset import Index
from wsss.io.files import atomic_path, colorize, read_image, read_json, read_label
from wsss.io.h5store import ShardReader
from wsss.io.labels import label_paths, read_annotation
from wsss.tables.pages import pct, read_published, write_pages


def blend(img, rgb, alpha=0.5):
    return (img * (1 - alpha) + rgb * alpha).astype(np.uint8)


def heat(cam: np.ndarray) -> np.ndarray:
    import matplotlib

    return (matplotlib.colormaps["jet"](np.clip(cam, 0, 1))[..., :3] * 255).astype(np.uint8)


def save_png(arr, path):
    with atomic_path(path) as tmp:
        Image.fromarray(arr).save(tmp, format="PNG")


def figures(index, cams_path, pseudo_dirs, pred_dirs, n, out_dir) -> list[tuple[str, str]]:
    """Train: image | CAM (max over classes) | pseudo label | GT. Val: image | prediction | GT."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    made = []
    pseudo, preds = label_paths(pseudo_dirs), label_paths(pred_dirs)
    with ShardReader([cams_path]) as cams:
        for image_id in [i for i in index.splits["train_gt"] if i in cams and i in pseudo][:n]:
            img = read_image(index.images[image_id])
            cam, _ = cams.cam(image_id)
            row = [img, blend(img, heat(cam.max(0))), blend(img, colorize(read_annotation(pseudo[image_id]))),
                   blend(img, colorize(read_label(index.masks[image_id])))]
            save_png(np.concatenate(row, 1), out_dir / f"train_{image_id}.png")
            made.append((f"train_{image_id}.png", f"{image_id}: image | CAM | pseudo label | ground truth"))
    for image_id in [i for i in index.splits["val"] if i in preds][:n]:
        img = read_image(index.images[image_id])
        row = [img, blend(img, colorize(read_annotation(preds[image_id]))),
               blend(img, colorize(read_label(index.masks[image_id])))]
        save_png(np.concatenate(row, 1), out_dir / f"val_{image_id}.png")
        made.append((f"val_{image_id}.png", f"{image_id}: image | prediction (last round) | ground truth"))
    return made


def tables(exp, dataset, clf, pseudo, rounds, published) -> list[str]:
    lines = [f"# wsss-pipeline report: experiment `{exp}` on `{dataset}`", ""]
    if dataset == "demo":
        lines += ["> The demo dataset is SYNTHETIC (generated shapes with small class markers). Its numbers are "
                  "not comparable with the published VOC numbers below.", ""]
    lines += ["## Our results (computed by this run)", "", "| stage | split | images | mIoU % | pixel acc % |",
              "|---|---|---|---|---|",
              f"| pseudo labels | {pseudo['split']} | {pseudo['n_images']} | {pct(pseudo['miou'])} | "
              f"{pct(pseudo['pixel_accuracy'])} |"]
    for i, r in enumerate(rounds, 1):
        lines.append(f"| segmentation round {i} | {r['split']} | {r['n_images']} | {pct(r['miou'])} | "
                     f"{pct(r['pixel_accuracy'])} |")
    lines += ["", (f"Classifier: {clf['backbone']}, {clf['epochs']} epochs on {clf['n_train_images']} images, "
                   f"{clf['train_seconds']} s on {clf['device']}; val mAP {pct(clf.get('val_mAP'))}%." if clf else
                   "No classifier: this localizer's maps need no training."), "",
              "### Per-class IoU %", "", "| class | pseudo labels | " +
              " | ".join(f"round {i}" for i in range(1, len(rounds) + 1)) + " |",
              "|---|---|" + "---|" * len(rounds)]
    for c, name in enumerate(pseudo["class_names"]):
        vals = [pct(pseudo["iou"][c])] + [pct(r["iou"][c]) for r in rounds]
        lines.append(f"| {name} | " + " | ".join(vals) + " |")
    lines += ["", "## Published numbers (PASCAL VOC 2012, mIoU %, NOT computed here)", "",
              f"Source: {published['source']}", "", "| method | setting | pseudo labels (train) | val | test |",
              "|---|---|---|---|---|"]
    for row in published["rows"]:
        lines.append(f"| {row['method']} | {row.get('setting', '')} | {row.get('pseudo_train', '')} | "
                     f"{row.get('val', '')} | {row.get('test', '')} |")
    return lines


def run(args):
    index = Index(args.index)
    clf, pseudo = (read_json(args.classifier) if args.classifier else None), read_json(args.pseudo)
    rounds = [read_json(p) for p in args.rounds]
    published = read_published(args.published)
    lines = tables(args.experiment, args.dataset, clf, pseudo, rounds, published)
    ceiling = read_json(args.fullsup) if args.fullsup else None
    if ceiling and ceiling["miou"] and ceiling["miou"] == ceiling["miou"]:  # not 0 or NaN
        i = lines.index("### Per-class IoU %")
        lines[i:i] = [f"Ceiling (`fullsup`: the same segmenter, schedule and augmentation on the ground-truth masks): "
                      f"val mIoU {pct(ceiling['miou'])}%; last round / fullsup = "
                      f"{rounds[-1]['miou'] / ceiling['miou']:.2f}.", ""]
    figs = figures(index, args.cams, args.pseudo_dirs, args.pred_dirs, args.n_examples, args.figures)
    rel = Path(args.figures).name
    lines += ["", "## Examples", ""] + [f"![{cap}]({rel}/{f})  \n{cap}\n" for f, cap in figs]
    write_pages(lines + [""], f"wsss-pipeline {args.experiment}", args.md, args.html)


def get_args_parser():
    ap = cli.parser(__doc__)
    for name in ("--index", "--experiment", "--dataset", "--pseudo", "--cams", "--published", "--md", "--html",
                 "--figures"):
        ap.add_argument(name, required=True)
    ap.add_argument("--classifier", default=None, help="the classifier's metrics.json (localizers that train)")
    ap.add_argument("--fullsup", default=None, help="val evaluation of the same segmenter on ground-truth masks")
    ap.add_argument("--rounds", nargs="+", required=True)
    ap.add_argument("--pseudo-dirs", nargs="+", required=True)
    ap.add_argument("--pred-dirs", nargs="+", required=True)
    ap.add_argument("--n-examples", type=int, default=6)
    return ap


def main(argv=None):
    return run(get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
