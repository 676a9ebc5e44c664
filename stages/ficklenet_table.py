"""ficklenet_table: FickleNet's seeds, ablations and baselines on our data, with their cost.

    python -m stages.ficklenet_table --rows rows.json --published workflow/report/published.yaml \
        --title "FickleNet (demo)" --md ficklenet.md --html ficklenet.html --png ficklenet_seeds.png

rows.json is a list of {"experiment", "changed" (what differs, as text), "seeds" (evaluate JSON of the
seeds on train), "val" (evaluate JSON of the last round on val, or null), "classifier_bench" and
"cams_bench" (Snakemake benchmark TSVs), "published" (a method in published.yaml, or null)}, built by
wsss.tables.ficklenet.rows. Seeds leave pixels unlabelled, so beside their mIoU (unlabelled counts as
a miss) the table gives the fraction of pixels they label and how often that label is right.
"""
from __future__ import annotations

import os
from pathlib import Path

from wsss import cli
from wsss.tables.ficklenet import seeds_plot, table
from wsss.tables.pages import read_published, read_rows, write_pages


def get_args_parser():
    ap = cli.parser(__doc__)
    ap.add_argument("--rows", required=True, help="JSON list of rows, or a file holding it")
    ap.add_argument("--published", required=True)
    ap.add_argument("--title", default="FickleNet table")
    ap.add_argument("--md", required=True)
    ap.add_argument("--html", default=None)
    ap.add_argument("--png", default=None, help="bar chart of the seeds' mIoU")
    return ap


def run(args):
    rows = read_rows(args.rows)
    published = read_published(args.published)
    lines = [f"# {args.title}", "", *table(rows, published), "",
             "Seeds: pixels assigned by the seed rule (foreground where a class map is above the threshold, "
             "background below the background threshold, the band between and conflicts unlabelled); no saliency "
             "model is used. Times and peak memory come from the Snakemake benchmark files of the jobs that "
             "made each row (the classifier is shared by rows that differ only at inference).",
             f"Published numbers: {published['source']}. They are full PASCAL VOC 2012 with ResNet-101 and long "
             "GPU schedules; ours are this run's data, backbone and schedule, so only the trends compare.", ""]
    if args.png:
        seeds_plot(rows, args.png, args.title)
        lines += [f"![seeds mIoU per experiment]({os.path.relpath(args.png, Path(args.md).parent)})", ""]
    write_pages(lines, args.title, args.md, args.html)
    print("\n".join(lines[2:4 + len(rows)]))


def main(argv=None):
    return run(get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
