"""spn_table: the SPN paper's analysis on our data -- annotations and segmenters, round by round.

    python -m stages.spn_table --rows rows.json --published workflow/report/published.yaml \
        --curve eval/reliability_curve.json --curve-png report/reliability_curve.png \
        --title "SPN table (demo)" --md report/spn_table.md --html report/spn_table.html

rows.json is a list of {"label", "data", "eval" (an evaluate JSON), "published" (a method name in
published.yaml or null)}, built by the Snakemake rule. Our column holds only what this run
computed; the published column holds the paper's VOC number for that row, if it reported one.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import yaml

from .io_utils import read_json
from .report import published_value, read_rows, write_pages


def table(rows, published: dict) -> list[str]:
    lines = ["| annotations / segmenter | evaluated on | images | ours mIoU % | published (VOC 2012) mIoU % |",
             "|---|---|---|---|---|"]
    for r in rows:
        res = read_json(r["eval"])
        column = "val" if r["data"].startswith("val") else "pseudo_train"
        pub = published_value(published, r.get("published"), column)
        lines.append(f"| {r['label']} | {r['data']} | {res['n_images']} | {100 * res['miou']:.1f} | "
                     f"{'' if pub is None else f'{pub:.1f}'} |")
    return lines


def run(rows_path, published_path, curve_json, curve_png, title, md_path, html_path):
    rows = read_rows(rows_path)
    published = yaml.safe_load(Path(published_path).read_text())
    lines = [f"# {title}", "", *table(rows, published), "",
             f"Published numbers: {published['source']}. They are full PASCAL VOC 2012 with VGG16 and long GPU "
             "schedules; ours are this run's data, backbone and schedule, so only the trends compare.", ""]
    if curve_json:
        c = read_json(curve_json)
        if c["mean_iou"]:
            lines += ["## Annotation accuracy vs reliability (SPN Fig. 3a)", "",
                      f"{c['n_annotations']} (image, class) annotations with ground truth. Mean IoU of the most "
                      f"reliable annotation of each class: {100 * c['mean_iou'][0]:.1f}%; of all of them: "
                      f"{100 * c['mean_iou'][-1]:.1f}%.", ""]
            if curve_png:
                rel = os.path.relpath(curve_png, Path(md_path).parent)
                lines += [f"![annotation accuracy vs number selected]({rel})", ""]
    write_pages(lines, title, md_path, html_path)
    print("\n".join(lines[2:3 + len(rows)]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", required=True, help="JSON list of rows, or a file holding it")
    ap.add_argument("--published", required=True)
    ap.add_argument("--curve", default=None, help="reliability_curve JSON")
    ap.add_argument("--curve-png", default=None)
    ap.add_argument("--title", default="SPN table")
    ap.add_argument("--md", required=True)
    ap.add_argument("--html", default=None)
    a = ap.parse_args(argv)
    run(a.rows, a.published, a.curve, a.curve_png, a.title, a.md, a.html)


if __name__ == "__main__":
    main()
