"""report: one experiment's metrics beside the published numbers, with overlay pictures.

    python -m stages.report --index ... --experiment cam --dataset demo --classifier metrics.json \
        --pseudo eval/pseudo_train_gt.json --rounds eval/round1_val.json --cams cams/train_000.h5 \
        --pseudo-dirs pseudo/shard_000 --pred-dirs round1/pred_val/shard_000 \
        --published workflow/report/published.yaml --md report.md --html report.html --figures figures/

Published numbers are printed only in their own columns, labelled as published; our columns hold
only what this run computed.
"""
from __future__ import annotations

import argparse
import html
import json
import os
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from .dataset import Index
from .h5store import ShardReader
from .io_utils import atomic_path, colorize, read_image, read_json, read_label
from .labels import label_paths


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
            row = [img, blend(img, heat(cam.max(0))), blend(img, colorize(read_label(pseudo[image_id]))),
                   blend(img, colorize(read_label(index.masks[image_id])))]
            save_png(np.concatenate(row, 1), out_dir / f"train_{image_id}.png")
            made.append((f"train_{image_id}.png", f"{image_id}: image | CAM | pseudo label | ground truth"))
    for image_id in [i for i in index.splits["val"] if i in preds][:n]:
        img = read_image(index.images[image_id])
        row = [img, blend(img, colorize(read_label(preds[image_id]))),
               blend(img, colorize(read_label(index.masks[image_id])))]
        save_png(np.concatenate(row, 1), out_dir / f"val_{image_id}.png")
        made.append((f"val_{image_id}.png", f"{image_id}: image | prediction (last round) | ground truth"))
    return made


def pct(v):
    return "" if v is None else f"{100 * v:.1f}"


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
    lines += ["", f"Classifier: {clf['backbone']}, {clf['epochs']} epochs on {clf['n_train_images']} images, "
              f"{clf['train_seconds']} s on {clf['device']}; val mAP {pct(clf.get('val_mAP'))}%.", "",
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


def published_value(published: dict, method: str | None, column: str):
    """The published number of `method` in `column` (published.yaml), or None."""
    for row in published["rows"]:
        if method and row["method"] == method:
            return row.get(column)
    return None


def run(a):
    index = Index(a.index)
    clf, pseudo = read_json(a.classifier), read_json(a.pseudo)
    rounds = [read_json(p) for p in a.rounds]
    published = yaml.safe_load(Path(a.published).read_text())
    lines = tables(a.experiment, a.dataset, clf, pseudo, rounds, published)
    figs = figures(index, a.cams, a.pseudo_dirs, a.pred_dirs, a.n_examples, a.figures)
    rel = Path(a.figures).name
    lines += ["", "## Examples", ""] + [f"![{cap}]({rel}/{f})  \n{cap}\n" for f, cap in figs]
    write_pages(lines + [""], f"wsss-pipeline {a.experiment}", a.md, a.html)


def read_rows(arg: str):
    """A table stage's --rows: JSON text, or the path of a file holding it."""
    return json.loads(Path(arg).read_text()) if os.path.isfile(arg) else json.loads(arg)


def write_pages(lines, title: str, md_path, html_path=None) -> None:
    """The Markdown lines to md_path and, when given, the same page as standalone HTML (both atomic)."""
    with atomic_path(md_path) as tmp:
        tmp.write_text("\n".join(lines))
    if html_path:
        with atomic_path(html_path) as tmp:
            tmp.write_text(html_page(lines, title))


def html_page(lines, title: str) -> str:
    """A standalone HTML page from this module's Markdown lines."""
    body = "\n".join(h for h in map(_md_line_to_html, lines) if h is not None).replace("</table>\n<table>", "\n")
    return f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>" \
           f"<style>body{{font-family:sans-serif;max-width:70em;margin:auto}}td,th{{padding:2px 8px;" \
           f"border-bottom:1px solid #ddd}}img{{max-width:100%}}</style>\n{body}\n"


def _md_line_to_html(ln: str) -> str:
    """Just enough Markdown for this report: headings, tables, quotes, images, text."""
    if ln.startswith("#"):
        level = len(ln) - len(ln.lstrip("#"))
        return f"<h{level}>{html.escape(ln[level:].strip())}</h{level}>"
    if ln.startswith("|---"):
        return None
    if ln.startswith("|"):  # one table per row; consecutive rows are merged by the caller
        cells = [html.escape(c.strip()) for c in ln.strip("|").split("|")]
        return "<table><tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr></table>"
    if ln.startswith("!["):
        cap, src = ln[2:].split("](", 1)
        return f"<figure><img src='{html.escape(src.split(')')[0])}'><figcaption>{html.escape(cap)}</figcaption></figure>"
    if ln.startswith(">"):
        return f"<blockquote>{html.escape(ln[1:].strip())}</blockquote>"
    return f"<p>{html.escape(ln)}</p>" if ln.strip() else ""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("--index", "--experiment", "--dataset", "--classifier", "--pseudo", "--cams", "--published",
                 "--md", "--html", "--figures"):
        ap.add_argument(name, required=True)
    ap.add_argument("--rounds", nargs="+", required=True)
    ap.add_argument("--pseudo-dirs", nargs="+", required=True)
    ap.add_argument("--pred-dirs", nargs="+", required=True)
    ap.add_argument("--n-examples", type=int, default=6)
    run(ap.parse_args(argv))


if __name__ == "__main__":
    main()
