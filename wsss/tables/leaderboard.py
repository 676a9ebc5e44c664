"""The leaderboard: every selected experiment on the same data, against the fully-supervised ceiling.

One row per experiment: its classifier's val mAP (the recipe check of bench/linear_probe.py, per row),
pseudo labels on train_gt at the protocol threshold and at the oracle
threshold (the sweep; labelled as such), pixels labelled and labelled correct, each round's val mIoU,
the last round's val mIoU divided by the fullsup val mIoU of the same segmenter, and the cost (wall
seconds summed, peak RSS the max, over the benchmark files of every job the experiment ran or reused:
a shared classifier or CAM set counts in full for each experiment that uses it).
"""
from __future__ import annotations

import math

from wsss.io.files import read_json
from wsss.tables.pages import benchmark, published_value


def experiments(plan, selected, segment: bool = True) -> list[str]:
    """The selection, then the fullsup experiments it is measured against (each once). Without
    segmentation (the pseudo-label leaderboard) only the experiments that make pseudo labels."""
    if not segment:
        return [exp for exp in selected if not plan.ground_truth(exp)]
    out = list(selected)
    for exp in selected:
        ceiling = plan.fullsup_of(exp)
        if ceiling and ceiling not in out:
            out.append(ceiling)
    return out


def benchmarks(plan, exp: str, segment: bool = True) -> list[str]:
    """The benchmark TSVs of every job that made experiment exp's results (its pseudo labels only,
    without segment)."""
    files = []
    if not plan.ground_truth(exp):
        loc = plan.localizer(exp)
        if loc.trains:
            files.append(plan.path("classifier_bench", clf=plan.classifier_key(exp)))
        files += plan.shards("cams_bench", "train", cams=plan.raw_cams_key(exp))
        if plan.refiner(exp):  # the refiner's training and the refined maps
            files.append(plan.path("refiner_bench", cams=plan.cams_key(exp)))
            files += plan.shards("cams_bench", "train", cams=plan.cams_key(exp))
        if plan.otsu(exp):
            files.append(plan.path("threshold_bench", cams=plan.cams_key(exp)))
        files += plan.shards("pseudo_bench", "train", exp=exp)
    for r in plan.rounds(exp) if segment else []:
        if not (r == 1 and plan.ground_truth(exp)):
            files.append(plan.path("reliable_bench", exp=exp, r=r))
        files.append(plan.path("segmentation_bench", exp=exp, r=r))
        files += plan.shards("predict_bench", "val", exp=exp, r=r, split="val")
        if r < plan.rounds(exp)[-1]:
            files += plan.shards("predict_bench", "train", exp=exp, r=r, split="train")
    return files


def rows(plan, selected, segment: bool = True) -> list[dict]:
    """{experiment, classifier, pseudo, sweep, rounds, fullsup, benchmarks}: the files each row is read from.
    segment=False: the pseudo-label leaderboard, no rounds and no ceiling (nothing is segmented)."""
    out = []
    for exp in experiments(plan, selected, segment):
        gt = plan.ground_truth(exp)
        ceiling = plan.fullsup_of(exp)
        rule = plan.experiments[exp]["pseudo_labels"]
        trained = not gt and plan.localizer(exp).trains
        out.append(dict(
            experiment=exp, arch=plan.experiments[exp]["segmentation"]["arch"],
            classifier=plan.path("classifier", clf=plan.classifier_key(exp), file="metrics.json") if trained else None,
            plain_rule=rule["refine"] == "none" and rule["background_threshold"] is None
            and not rule.get("background_margin"),
            pseudo=None if gt else plan.eval_json(exp, "pseudo_train_gt"),
            sweep=None if gt else plan.eval_json(exp, "threshold_sweep"),
            rounds=[plan.eval_json(exp, f"round{r}_val") for r in plan.rounds(exp)] if segment else [],
            fullsup=plan.last_val(ceiling) if ceiling and segment else None, published=plan.published(exp),
            benchmarks=benchmarks(plan, exp, segment)))
    return out


def input_files(table_rows) -> list[str]:
    files = []
    for r in table_rows:
        files += [f for f in (r.get("classifier"), r["pseudo"], r["sweep"], r["fullsup"]) if f] + r["rounds"] + r["benchmarks"]
    return list(dict.fromkeys(files))


def _pct(v):
    """Percent with 4 decimals: the tables print 1, and rounding twice (to 2, then to 1) would turn
    0.31049 into 31.1."""
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(100 * v, 4)


def measure(row: dict, published: dict | None = None) -> dict:
    """One leaderboard row's numbers (mIoU in percent), read from its files, and the published VOC
    numbers of the method it stands beside (published.yaml; not computed here)."""
    pseudo = read_json(row["pseudo"]) if row["pseudo"] else None
    clf = read_json(row["classifier"]) if row.get("classifier") else None
    sweep = read_json(row["sweep"]) if row["sweep"] else None
    val = [read_json(p)["miou"] for p in row["rounds"]]
    ceiling = read_json(row["fullsup"])["miou"] if row["fullsup"] else None
    bench = [benchmark(p) for p in row["benchmarks"]]
    rss = [b["max_rss"] for b in bench if b["max_rss"] is not None]
    return {"experiment": row["experiment"], "segmenter": row["arch"],
            "classifier_val_map": _pct(clf.get("val_mAP")) if clf else None,
            "pseudo_miou": _pct(pseudo["miou"]) if pseudo else None,
            "pseudo_threshold": sweep["protocol_threshold"] if sweep else None,
            "pseudo_miou_oracle": _pct(sweep["oracle_miou"]) if sweep else None,
            "oracle_threshold": sweep["oracle_threshold"] if sweep else None,
            "oracle_same_rule": row.get("plain_rule", True),
            "labelled_fraction": _pct(pseudo["labelled_fraction"]) if pseudo else None,
            "labelled_accuracy": _pct(pseudo["labelled_accuracy"]) if pseudo else None,
            "val_miou": [_pct(v) for v in val],
            "fullsup_ratio": round(val[-1] / ceiling, 3) if val and ceiling and not math.isnan(ceiling) else None,
            "seconds": round(sum(b["s"] for b in bench if b["s"] is not None), 1),
            "peak_rss_mb": round(max(rss), 1) if rss else None,
            "published": {"method": row.get("published"),
                          **{k: published_value(published, row.get("published"), k)
                             for k in ("pseudo_train", "val")}} if published else None}


def table(measured: list[dict]) -> list[str]:
    """The markdown rows; the segmenter, round and `val / fullsup` columns only where some row was segmented."""
    n_rounds = max(len(m["val_miou"]) for m in measured)
    segmented = [f"round {r} val mIoU %" for r in range(1, n_rounds + 1)] + ["val / fullsup"] if n_rounds else []
    header = ["experiment", *(["segmenter"] if n_rounds else []), "classifier val mAP %", "pseudo mIoU % (protocol threshold)",
              "pseudo mIoU % ORACLE threshold", "pixels labelled %", "labelled correct %", *segmented,
              "seconds", "peak RSS MB", "published (VOC, the paper's setup): pseudo / val"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    fmt = lambda v: "" if v is None else f"{v:.1f}"  # noqa: E731
    for m in measured:
        th = "" if m["pseudo_threshold"] is None else f" ({m['pseudo_threshold']:.2f})"
        oth = "" if m["oracle_threshold"] is None else f" ({m['oracle_threshold']:.2f})"
        vals = [fmt(v) for v in m["val_miou"]] + [""] * (n_rounds - len(m["val_miou"]))
        ratio = [] if not n_rounds else ["" if m["fullsup_ratio"] is None else f"{m['fullsup_ratio']:.2f}"]
        pseudo = "" if m["pseudo_miou"] is None else f"{fmt(m['pseudo_miou'])}{th}"
        oracle = "" if m["pseudo_miou_oracle"] is None else f"{fmt(m['pseudo_miou_oracle'])}{oth}"
        oracle += "" if m["oracle_same_rule"] or not oracle else " *"
        cells = [m["experiment"], *([m["segmenter"]] if n_rounds else []), fmt(m.get("classifier_val_map")), pseudo, oracle,
                 fmt(m["labelled_fraction"]), fmt(m["labelled_accuracy"]), *vals, *ratio, f"{m['seconds']:.0f}",
                 fmt(m["peak_rss_mb"]), published_text(m)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def published_text(m: dict) -> str:
    """'<method>: <pseudo> / <val>' of the published row beside m, '' where there is none."""
    pub = m.get("published") or {}
    if not pub.get("method") or (pub.get("pseudo_train") is None and pub.get("val") is None):
        return ""
    fmt = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
    return f"{pub['method']}: {fmt(pub.get('pseudo_train'))} / {fmt(pub.get('val'))}"


def chart(measured: list[dict], path, title: str) -> None:
    """Last-round val mIoU and pseudo-label mIoU per experiment, the fullsup ratio written beside; without
    rounds (the pseudo-label leaderboard) the pseudo labels at the protocol and at the oracle threshold."""
    import numpy as np

    from wsss.plots import plt, save_figure

    segmented = any(m["val_miou"] for m in measured)
    names = [m["experiment"] for m in measured][::-1]
    pseudo = [m["pseudo_miou"] or 0 for m in measured][::-1]
    if segmented:
        top = [(m["val_miou"] or [0])[-1] or 0 for m in measured][::-1]
        top_label, top_colour = "val mIoU (last round)", "tab:blue"
    else:
        top = [m["pseudo_miou_oracle"] or 0 for m in measured][::-1]
        top_label, top_colour = "pseudo labels mIoU (train_gt, ORACLE threshold)", "tab:gray"
    y = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(names) + 2))
    ax.barh(y + 0.2, top, 0.4, label=top_label, color=top_colour)
    ax.barh(y - 0.2, pseudo, 0.4, label="pseudo labels mIoU (train_gt, protocol)", color="tab:orange")
    for yi, v, m in zip(y, pseudo, measured[::-1]):
        if m["pseudo_miou"] is not None:  # fullsup has no pseudo labels: no bar, no "0.0"
            ax.text(v + 0.3, yi - 0.2, f"{v:.1f}", va="center", fontsize=7)
    for yi, v, m in zip(y, top, measured[::-1]):
        if m["fullsup_ratio"] is not None:
            ax.text(v + 0.5, yi + 0.2, f"{m['fullsup_ratio']:.2f} of fullsup", va="center", fontsize=8)
    ax.set_yticks(y, names)
    ax.set_xlim(0, max(top + pseudo + [1]) * 1.3)
    ax.set_xlabel("mIoU %")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)  # below: never over a bar
    save_figure(fig, path)
