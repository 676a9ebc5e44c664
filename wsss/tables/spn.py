"""The SPN table: the SPN paper's analysis on our data -- annotations and segmenters, round by round,
beside the paper's published numbers. Rows are built here from the plan (wsss.plan); the Snakemake
rules only list their files and call stages.spn_table."""
from __future__ import annotations

import re

from wsss.io.files import read_json
from wsss.tables.pages import published_value, ratio_text

CAM_ROW_EXPERIMENT = "cam_spn_rule"  # the CAM row: CAM maps through the same 50%-of-max rule (config.yaml)
EVAL_ROWS = r"spn_uncleaned|spn_segmenter_val|pseudo_reliable|round\d+_(cleaned|reliable)"


def row_eval(plan, exp: str, row: str):
    """(split, label dirs, reliable manifest or None) of one evaluation the table needs, by row name."""
    if row == "spn_uncleaned":
        return "train_gt", plan.shards("spn_labels", "train", exp=exp, split="train"), None
    if row == "spn_segmenter_val":
        return "val", plan.shards("spn_labels", "val", exp=exp, split="val"), None
    if row == "pseudo_reliable":
        return "train_gt", plan.shards("pseudo", "train", exp=exp), plan.path("reliable", exp=exp, r=1)
    r, kind = re.fullmatch(r"round(\d+)_(cleaned|reliable)", row).groups()
    manifest = plan.path("reliable", exp=exp, r=int(r) + 1) if kind == "reliable" else None
    return "train_gt", plan.shards("pred", "train", exp=exp, r=r, split="train"), manifest


def threshold_text(th) -> str:
    return "Otsu threshold" if th == "otsu" else f"{th:g} of max"


def rows(plan, exp: str) -> list[dict]:
    """{label, data (evaluated on), eval (evaluate JSON), published (method in published.yaml)} per row;
    val rows also name `fullsup`: the val evaluation of the same segmenter trained on ground truth."""
    out = _rows(plan, exp)
    ceiling = plan.fullsup_of(exp)
    for r in out:
        if r["data"] == "val" and ceiling:
            r["fullsup"] = plan.last_val(ceiling)
    return out


def _rows(plan, exp: str) -> list[dict]:
    e = plan.experiments[exp]
    k = e["reliable"]["k"] or "all"
    th = e["pseudo_labels"]["threshold"]
    table = lambda name: plan.eval_json(exp, f"table/{name}")  # noqa: E731
    out = []
    if CAM_ROW_EXPERIMENT in plan.experiments:
        cam_th = plan.experiments[CAM_ROW_EXPERIMENT]["pseudo_labels"]["threshold"]
        out.append(dict(label=f"CAM annotations, cleaned ({threshold_text(cam_th)})", data="train (GT)",
                        eval=plan.eval_json(CAM_ROW_EXPERIMENT, "pseudo_train_gt"), published="CAM annotations"))
    out += [dict(label=f"SPN annotations, not cleaned (classes the SPN finds, {threshold_text(th)})",
                 data="train (GT)",
                 eval=table("spn_uncleaned"), published=None),
            dict(label="SPN annotations, cleaned by image labels", data="train (GT)",
                 eval=plan.eval_json(exp, "pseudo_train_gt"), published="SPN initial annotations"),
            dict(label=f"SPN annotations, reliable subset (K={k} per class)", data="train (GT) in subset",
                 eval=table("pseudo_reliable"), published=None),
            dict(label="SPN as a segmenter", data="val", eval=table("spn_segmenter_val"), published=None)]
    for r in plan.rounds(exp):
        out += [dict(label=f"round {r}: {e['segmentation']['arch']}", data="val",
                     eval=plan.eval_json(exp, f"round{r}_val"), published=None),
                dict(label=f"round {r} annotations, cleaned", data="train (GT)", eval=table(f"round{r}_cleaned"),
                     published=None),
                dict(label=f"round {r} annotations, reliable subset (K={k})", data="train (GT) in subset",
                     eval=table(f"round{r}_reliable"), published=None)]
    return out


def input_files(table_rows) -> list[str]:
    """The evaluation JSONs the rows are read from: each row's, then its ceiling's."""
    return [r[k] for r in table_rows for k in ("eval", "fullsup") if r.get(k)]


def table(rows, published: dict) -> list[str]:
    lines = ["| annotations / segmenter | evaluated on | images | ours mIoU % | / fullsup | published (VOC 2012) mIoU % |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        res = read_json(r["eval"])
        column = "val" if r["data"].startswith("val") else "pseudo_train"
        pub = published_value(published, r.get("published"), column)
        ratio = ratio_text(res["miou"], r.get("fullsup"))
        lines.append(f"| {r['label']} | {r['data']} | {res['n_images']} | {100 * res['miou']:.1f} | {ratio} | "
                     f"{'' if pub is None else f'{pub:.1f}'} |")
    return lines
