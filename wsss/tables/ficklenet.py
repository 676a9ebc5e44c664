"""The FickleNet table: seeds of the base experiment, of its ablations (config `ablations.<base>`) and of
the baselines, DSRG val mIoU where asked, and the cost of each (classifier training time and peak
memory, CAM extraction time) from the Snakemake benchmark files. Rows are built here from the plan."""
from __future__ import annotations

import json

from wsss.config import ablations
from wsss.io.files import read_json
from wsss.tables.pages import benchmark, pct, published_value, ratio_text


def overrides_text(overrides: dict, prefix: str = "") -> str:
    """{'a': {'b': 1}} -> 'a.b=1': what an experiment changes, for the table."""
    parts = []
    for k, v in overrides.items():
        if isinstance(v, dict):
            parts.append(overrides_text(v, f"{prefix}{k}."))
        else:
            parts.append(f"{prefix}{k}={json.dumps(v)}")
    return ", ".join(p for p in parts if p)


def published_as(plan, exp: str, base: str):
    """The published method a row stands beside: FickleNet for the base, DSRG for DSRG from CAM seeds."""
    if exp == base:
        return "FickleNet"
    e = plan.experiments[exp]
    return "DSRG" if e["segmentation"]["loss"] == "dsrg" and e["cams"]["method"] == "cam" else None


def rows(plan, config: dict) -> list[dict]:
    """{experiment, changed, published, seeds, val, fullsup, classifier_bench, cams_bench} per row: the base,
    its ablations, then the baselines (config ficklenet_table). fullsup: the val evaluation of the same
    segmenter trained on ground truth (the ratio's denominator), for rows with a val mIoU."""
    ft = config["ficklenet_table"]
    base = ft["base"]
    named = [(base, f"base: {overrides_text(config['experiments'][base])}")]
    named += [(f"{base}_{name}", overrides_text(o)) for name, o in ablations(config, base)]
    named += [(exp, f"baseline: {overrides_text(config['experiments'][exp]) or 'config.yaml defaults'}")
              for exp in ft["compare"]]
    out = []
    for exp, changed in named:
        out.append(dict(
            experiment=exp, changed=changed, published=published_as(plan, exp, base),
            seeds=plan.eval_json(exp, "pseudo_train_gt"),
            val=plan.eval_json(exp, f"round{plan.rounds(exp)[-1]}_val") if exp in ft["segment"] else None,
            fullsup=plan.last_val(plan.fullsup_of(exp)) if exp in ft["segment"] and plan.fullsup_of(exp) else None,
            classifier_bench=(plan.path("classifier_bench", clf=plan.classifier_key(exp))
                              if plan.localizer(exp).trains else None),
            cams_bench=plan.shards("cams_bench", "train", cams=plan.cams_key(exp))))
    return out


def input_files(table_rows) -> list[str]:
    files = []
    for r in table_rows:
        files += [r["seeds"], *r["cams_bench"]] + [f for f in (r["classifier_bench"], r["val"], r.get("fullsup")) if f]
    return files


def table(table_rows, published: dict) -> list[str]:
    lines = ["| experiment | what differs | seeds mIoU % | pixels labelled % | labelled correct % | "
             "object pixels seeded background % | foreground seeds on background % | "
             "segmentation val mIoU % | / fullsup | classifier training s | training peak RSS MiB | CAM extraction s | "
             "published val mIoU % (VOC) |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in table_rows:
        seeds = read_json(r["seeds"])
        val = read_json(r["val"])["miou"] if r.get("val") else None
        ratio = ratio_text(val, r.get("fullsup"))
        clf = benchmark(r["classifier_bench"]) if r.get("classifier_bench") else {"s": None, "max_rss": None}
        cams = [benchmark(p)["s"] for p in r["cams_bench"]]
        pub = published_value(published, r.get("published"), "val")
        rss = "" if clf["max_rss"] is None else f"{clf['max_rss']:.0f}"
        clf_s = "" if clf["s"] is None else f"{clf['s']:.0f}"
        cam_s = sum(c for c in cams if c is not None)
        pub_text = "" if pub is None else f"{pub:.1f} ({r['published']})"
        lines.append(f"| {r['experiment']} | {r['changed']} | {pct(seeds['miou'])} | "
                     f"{pct(seeds['labelled_fraction'])} | {pct(seeds['labelled_accuracy'])} | "
                     f"{pct(seeds.get('object_as_background'))} | {pct(seeds.get('foreground_on_background'))} | "
                     f"{pct(val)} | {ratio} | "
                     f"{clf_s} | {rss} | {cam_s:.0f} | {pub_text} |")
    return lines


def seeds_plot(table_rows, path, title):
    from wsss.plots import plt, save_figure

    names = [r["experiment"] for r in table_rows]
    miou = [100 * read_json(r["seeds"])["miou"] for r in table_rows]
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(table_rows) + 1.2))
    ax.barh(names[::-1], miou[::-1], color="tab:blue")
    for y, v in enumerate(miou[::-1]):
        ax.text(v, y, f" {v:.1f}", va="center")
    ax.set_xlim(0, max(miou + [1]) * 1.15)  # room for the value labels
    ax.set_xlabel("seeds mIoU % on train (unlabelled = miss)")
    ax.set_title(title)
    save_figure(fig, path)
