"""leaderboard: every selected experiment on the same data, against the fully-supervised ceiling.

    python -m stages.leaderboard --rows rows.json --dataset demo --md leaderboard.md --html leaderboard.html \
        --json leaderboard.json --png leaderboard.png --published workflow/report/published.yaml

rows.json is a list of {"experiment", "arch", "pseudo", "sweep", "rounds", "fullsup", "benchmarks"} (files)
and "published" (the method of --published it stands beside), built by wsss.tables.leaderboard.rows. The JSON holds {"dataset", "rows": [{"experiment", "pseudo_miou",
"pseudo_miou_oracle", "val_miou": [...], "fullsup_ratio", "seconds", "peak_rss_mb", ...}]}, mIoU in percent.
Rows without rounds (the pseudo-label leaderboard) give a table without the round and ratio columns.
"""
from __future__ import annotations

import os
from pathlib import Path

from wsss import cli
from wsss.io.files import write_json
from wsss.tables.leaderboard import chart, measure, table
from wsss.tables.pages import read_published, read_rows, write_pages


def get_args_parser():
    ap = cli.parser(__doc__)
    ap.add_argument("--rows", required=True, help="JSON list of rows, or a file holding it")
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--published", help="published.yaml: the papers' VOC numbers shown beside each row")
    for name in ("--md", "--html", "--json", "--png"):
        ap.add_argument(name, required=True)
    return ap


def run(args):
    published = read_published(args.published) if args.published else None
    measured = [measure(r, published) for r in read_rows(args.rows)]
    write_json(args.json, {"dataset": args.dataset, "rows": measured})
    segmented = any(m["val_miou"] for m in measured)
    title = f"{'Leaderboard' if segmented else 'Pseudo-label leaderboard'} on {args.dataset}"
    chart(measured, args.png, title)
    lines = [f"# {title}", ""]
    if args.dataset == "demo":
        lines += ["> The demo dataset is SYNTHETIC: these numbers say nothing about VOC.", ""]
    if not segmented:
        lines += ["The localizers and refiners compared before any segmentation is trained (snakemake "
                  "pseudo_leaderboard): the first table of a WSSS paper. `snakemake leaderboard` adds each "
                  "experiment's rounds and its fully-supervised ceiling.", ""]
    lines += [*table(measured), "",
              "The classifier's val mAP is the recipe check: compare it with bench/linear_probe.py's cross-validated "
              "linear probe of the frozen backbone on the same images. "
              "Pseudo labels are scored on train_gt at the protocol threshold (Otsu on the maps, or a paper's "
              "constant: no ground truth), and at the ORACLE threshold of the sweep on train_gt, shown only to "
              "locate the limit; the sweep runs the plain rule (argmax of the labelled classes, background below "
              "the threshold), so for experiments marked * (CRF / superpixel refinement, or seeds with an "
              "unlabelled band) the oracle column measures that plain rule, not theirs. "
              + ("Val mIoU per round; `val / fullsup` divides the last round by the same segmenter "
                 "trained with the same schedule on the ground-truth masks (experiment fullsup). " if segmented else "")
              + "Seconds and peak RSS "
              "come from the Snakemake benchmark files of every job an experiment ran or reused (a shared "
              "classifier counts in full for each experiment using it). The last column is NOT computed here: "
              "the published PASCAL VOC 2012 numbers of the method each row stands beside, under that paper's "
              "backbone, data (10,582 train_aug images) and schedule"
              + (f" (source: {published['source']})" if published else "") + ".", "",
              f"![leaderboard]({os.path.relpath(args.png, Path(args.md).parent)})", ""]
    write_pages(lines, title, args.md, args.html)
    print("\n".join(lines[:len(measured) + 6]))


def main(argv=None):
    return run(get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
