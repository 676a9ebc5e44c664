"""ficklenet_table: FickleNet's seeds, ablations and baselines on our data, with their cost.

    python -m stages.ficklenet_table --rows rows.json --published workflow/report/published.yaml \
        --title "FickleNet (demo)" --md ficklenet.md --html ficklenet.html --png ficklenet_seeds.png

rows.json is a list of {"experiment", "changed" (what differs, as text), "seeds" (evaluate JSON of the
seeds on train), "val" (evaluate JSON of the last round on val, or null), "classifier_bench" and
"cams_bench" (Snakemake benchmark TSVs), "published" (a method in published.yaml, or null)}, built by
the Snakemake rule. Seeds leave pixels unlabelled, so beside their mIoU (unlabelled counts as a miss)
the table gives the fraction of pixels they label and how often that label is right.
"""
from __future__ import annotations

import argparse
import csv
import os
from pathlib import Path

import yaml

from .io_utils import atomic_path, read_json
from .report import pct, published_value, read_rows, write_pages


def benchmark(path) -> dict:
    """Seconds and peak resident memory (MiB) of a job from its Snakemake benchmark TSV (last repeat)."""
    with open(path) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows:
        raise SystemExit(f"{path}: empty benchmark file; rerun the job that writes it")
    last = rows[-1]

    def num(key):
        try:
            return float(last[key])
        except (KeyError, ValueError):  # Snakemake writes NA where it could not measure
            return None
    return {"s": num("s"), "max_rss": num("max_rss")}


def table(rows, published: dict) -> list[str]:
    lines = ["| experiment | what differs | seeds mIoU % | pixels labelled % | labelled correct % | "
             "segmentation val mIoU % | classifier training s | training peak RSS MiB | CAM extraction s | "
             "published val mIoU % (VOC) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        seeds = read_json(r["seeds"])
        val = read_json(r["val"])["miou"] if r.get("val") else None
        clf = benchmark(r["classifier_bench"])
        cams = [benchmark(p)["s"] for p in r["cams_bench"]]
        pub = published_value(published, r.get("published"), "val")
        rss = "" if clf["max_rss"] is None else f"{clf['max_rss']:.0f}"
        cam_s = sum(c for c in cams if c is not None)
        pub_text = "" if pub is None else f"{pub:.1f} ({r['published']})"
        lines.append(f"| {r['experiment']} | {r['changed']} | {pct(seeds['miou'])} | "
                     f"{pct(seeds['labelled_fraction'])} | {pct(seeds['labelled_accuracy'])} | {pct(val)} | "
                     f"{clf['s']:.0f} | {rss} | {cam_s:.0f} | {pub_text} |")
    return lines


def seeds_plot(rows, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r["experiment"] for r in rows]
    miou = [100 * read_json(r["seeds"])["miou"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(rows) + 1.2))
    ax.barh(names[::-1], miou[::-1], color="tab:blue")
    for y, v in enumerate(miou[::-1]):
        ax.text(v, y, f" {v:.1f}", va="center")
    ax.set_xlim(0, max(miou + [1]) * 1.15)  # room for the value labels
    ax.set_xlabel("seeds mIoU % on train (unlabelled = miss)")
    ax.set_title(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


def run(rows_path, published_path, title, md_path, html_path, png_path):
    rows = read_rows(rows_path)
    published = yaml.safe_load(Path(published_path).read_text())
    lines = [f"# {title}", "", *table(rows, published), "",
             "Seeds: pixels assigned by the seed rule (foreground where a class map is above the threshold, "
             "background below the background threshold, the band between and conflicts unlabelled); no saliency "
             "model is used. Times and peak memory come from the Snakemake benchmark files of the jobs that "
             "made each row (the classifier is shared by rows that differ only at inference).",
             f"Published numbers: {published['source']}. They are full PASCAL VOC 2012 with ResNet-101 and long "
             "GPU schedules; ours are this run's data, backbone and schedule, so only the trends compare.", ""]
    if png_path:
        seeds_plot(rows, png_path, title)
        lines += [f"![seeds mIoU per experiment]({os.path.relpath(png_path, Path(md_path).parent)})", ""]
    write_pages(lines, title, md_path, html_path)
    print("\n".join(lines[2:4 + len(rows)]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", required=True, help="JSON list of rows, or a file holding it")
    ap.add_argument("--published", required=True)
    ap.add_argument("--title", default="FickleNet table")
    ap.add_argument("--md", required=True)
    ap.add_argument("--html", default=None)
    ap.add_argument("--png", default=None, help="bar chart of the seeds' mIoU")
    a = ap.parse_args(argv)
    run(a.rows, a.published, a.title, a.md, a.html, a.png)


if __name__ == "__main__":
    main()
