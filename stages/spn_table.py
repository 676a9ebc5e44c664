"""spn_table: the SPN paper's analysis on our data -- annotations and segmenters, round by round.

    python -m stages.spn_table --rows rows.json --published workflow/report/published.yaml \
        --curve eval/reliability_curve.json --curve-png report/reliability_curve.png \
        --title "SPN table (demo)" --md report/spn_table.md --html report/spn_table.html

rows.json is a list of {"label", "data", "eval" (an evaluate JSON), "published" (a method name in
published.yaml or null), and for val rows "fullsup" (the ceiling's evaluate JSON)}, built by
wsss.tables.spn.rows. Our column holds only what this run
computed; the published column holds the paper's VOC number for that row, if it reported one.
"""
from __future__ import annotations

import os
from pathlib import Path

from wsss import cli
from wsss.io.files import read_json
from wsss.tables.pages import read_published, read_rows, write_pages
from wsss.tables.spn import table


def get_args_parser():
    ap = cli.parser(__doc__)
    ap.add_argument("--rows", required=True, help="JSON list of rows, or a file holding it")
    ap.add_argument("--published", required=True)
    ap.add_argument("--curve", default=None, help="reliability_curve JSON")
    ap.add_argument("--curve-png", default=None)
    ap.add_argument("--title", default="SPN table")
    ap.add_argument("--md", required=True)
    ap.add_argument("--html", default=None)
    return ap


def run(args):
    rows = read_rows(args.rows)
    published = read_published(args.published)
    lines = [f"# {args.title}", "", *table(rows, published), "",
             f"Published numbers: {published['source']}. They are full PASCAL VOC 2012 with VGG16 and long GPU "
             "schedules; ours are this run's data, backbone and schedule, so only the trends compare.", ""]
    if args.curve:
        c = read_json(args.curve)
        if c["mean_iou"]:
            lines += ["## Annotation accuracy vs reliability (SPN Fig. 3a)", "",
                      f"{c['n_annotations']} (image, class) annotations with ground truth. Mean IoU of the most "
                      f"reliable annotation of each class: {100 * c['mean_iou'][0]:.1f}%; of all of them: "
                      f"{100 * c['mean_iou'][-1]:.1f}%.", ""]
            if args.curve_png:
                rel = os.path.relpath(args.curve_png, Path(args.md).parent)
                lines += [f"![annotation accuracy vs number selected]({rel})", ""]
    write_pages(lines, args.title, args.md, args.html)
    print("\n".join(lines[2:3 + len(rows)]))


def main(argv=None):
    return run(get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
