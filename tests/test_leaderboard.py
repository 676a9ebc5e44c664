"""The leaderboard and the fullsup ceiling: rows from hand-made files, GT training, the DAG's selection."""
import json

import numpy as np
import pytest

from stages import leaderboard
from tests.test_ficklenet_table import BENCH_HEADER, write
from tests.test_stage_units import tiny_index
from tests.test_workflow import job_counts, snakemake


def test_rows_ratio_and_costs(tmp_path):
    ev = lambda name, miou, **kw: write(tmp_path / f"{name}.json", json.dumps({"miou": miou, **kw}))  # noqa: E731
    bench = [write(tmp_path / f"b{k}.tsv", BENCH_HEADER + f"{s}\t0\t{rss}\t1\t1\t1\t0\t0\t50\t1\n")
             for k, (s, rss) in enumerate([(10.0, 500.0), (5.5, 800.0)])]
    rows = [dict(experiment="cam", arch="deeplab_mobilenet_v2", classifier=ev("m", None, val_mAP=0.657),
                 pseudo=ev("p", 0.36, labelled_fraction=1.0, labelled_accuracy=0.7),
                 sweep=ev("s", 0.0, protocol_threshold=0.3, oracle_threshold=0.25, oracle_miou=0.4),
                 rounds=[ev("r1", 0.30), ev("r2", 0.32)], fullsup=ev("f", 0.40), benchmarks=bench),
            dict(experiment="fullsup", arch="deeplab_mobilenet_v2", pseudo=None, sweep=None,
                 rounds=[ev("f", 0.40)], fullsup=ev("f", 0.40), benchmarks=bench[:1])]
    out = tmp_path / "lb"
    leaderboard.main(["--rows", json.dumps(rows), "--dataset", "demo", "--md", str(out / "l.md"),
                      "--html", str(out / "l.html"), "--json", str(out / "l.json"), "--png", str(out / "l.png")])
    lb = json.loads((out / "l.json").read_text())
    assert lb["dataset"] == "demo"
    cam, full = lb["rows"]
    assert cam["pseudo_miou"] == 36.0 and cam["pseudo_miou_oracle"] == 40.0 and cam["val_miou"] == [30.0, 32.0]
    assert cam["fullsup_ratio"] == pytest.approx(0.8) and full["fullsup_ratio"] == 1.0
    assert cam["seconds"] == 15.5 and cam["peak_rss_mb"] == 800.0
    md = (out / "l.md").read_text()
    assert cam["classifier_val_map"] == 65.7 and full["classifier_val_map"] is None
    assert "| cam | deeplab_mobilenet_v2 | 65.7 | 36.0 (0.30) | 40.0 (0.25) | 100.0 | 70.0 | 30.0 | 32.0 | 0.80 | 16 | 800.0 |" in md
    assert "| fullsup | deeplab_mobilenet_v2 |  |  |" in md
    assert "ORACLE" in md and (out / "l.png").stat().st_size > 0


def test_ground_truth_training_reads_the_masks(tmp_path):
    from stages import train_segmentation

    masks = {f"i{k}": np.pad(np.ones((4, 4), np.uint8), 2) for k in range(4)}
    index = tiny_index(tmp_path, masks, {i: [1] for i in masks}, split="val")
    settings = {"arch": "deeplab_mobilenet_v2", "loss": "ce", "pretrained": False, "weights_path": None,
                "batch_size": 2, "optimizer": "adam", "lr": 0.0001, "weight_decay": 0.0001}
    out = tmp_path / "r"
    train_segmentation.main(["--index", index, "--ground-truth", "--settings", json.dumps(settings), "--epochs", "1",
                             "--crop", "8", "--out", str(out / "m.pt"), "--log", str(out / "l.csv"),
                             "--metrics", str(out / "t.json"), "--curve", str(out / "c.png"), "--device", "cpu"])
    m = json.loads((out / "t.json").read_text())
    assert m["labels"] == "ground truth" and m["n_train_images"] == 4


def test_leaderboard_dag_adds_each_segmenters_ceiling(tmp_path, env):
    r = snakemake(tmp_path, env, "-n", "leaderboard", "--config", "experiment=[cam,spn,center_prior]")
    assert r.returncode == 0, r.stderr[-3000:]
    # fullsup (DeepLab) and the generated fullsup_decouplednet_mobilenet_v2 (SPN's DecoupledNet) are trained
    assert "fullsup_decouplednet_mobilenet_v2/round1/model.pt" in r.stdout
    assert "results/demo/fullsup/round1/model.pt" in r.stdout
    # the GT-trained ceiling has no pseudo labels, CAMs or reliable subset
    assert "results/demo/fullsup/pseudo" not in r.stdout and "results/demo/fullsup/round1/reliable.json" not in r.stdout
    assert "rule threshold_rule" in r.stdout and "rule threshold_sweep" in r.stdout


def test_pseudo_leaderboard_dag_segments_nothing(tmp_path, env):
    r = snakemake(tmp_path, env, "-n", "pseudo_leaderboard", "--config", "experiment=[cam,fullsup,center_prior]")
    assert r.returncode == 0, r.stderr[-3000:]
    jobs = job_counts(r.stdout)
    assert jobs["leaderboard_table"] == 1 and jobs["evaluate_pseudo_labels"] == 2
    assert jobs["threshold_sweep"] == 2  # the oracle column of cam and center_prior
    # nothing is segmented: no round, no ceiling; fullsup (no pseudo labels) has no row
    assert not {"train_segmentation", "predict_val", "select_reliable"} & set(jobs)


def test_pseudo_only_rows_drop_the_round_columns(tmp_path):
    ev = lambda name, miou, **kw: write(tmp_path / f"{name}.json", json.dumps({"miou": miou, **kw}))  # noqa: E731
    bench = [write(tmp_path / "b.tsv", BENCH_HEADER + "12.0\t0\t300.0\t1\t1\t1\t0\t0\t50\t1\n")]
    rows = [dict(experiment=name, arch="deeplab_mobilenet_v2", pseudo=ev(f"p{name}", miou, labelled_fraction=1.0,
                                                                          labelled_accuracy=0.6),
                 sweep=ev(f"s{name}", 0.0, protocol_threshold=0.3, oracle_threshold=0.35, oracle_miou=miou + 0.02),
                 rounds=[], fullsup=None, benchmarks=bench) for name, miou in (("cam", 0.31049), ("cam_irn", 0.366))]
    out = tmp_path / "lb"
    leaderboard.main(["--rows", json.dumps(rows), "--dataset", "voc12", "--md", str(out / "p.md"),
                      "--html", str(out / "p.html"), "--json", str(out / "p.json"), "--png", str(out / "p.png")])
    cam, irn = json.loads((out / "p.json").read_text())["rows"]
    assert irn["pseudo_miou"] == 36.6 and irn["val_miou"] == [] and irn["fullsup_ratio"] is None
    md = (out / "p.md").read_text()
    # rounded once: 31.049 prints 31.0 (rounding to 31.05 first printed 31.1)
    assert cam["pseudo_miou"] == pytest.approx(31.049) and "| cam |  | 31.0 (0.30) | 33.0 (0.35) |" in md
    assert "# Pseudo-label leaderboard on voc12" in md and "round 1" not in md and "val / fullsup |" not in md
    assert "| cam_irn |  | 36.6 (0.30) | 38.6 (0.35) | 100.0 | 60.0 | 12 | 300.0 |  |" in md and "segmenter" not in md
    assert (out / "p.png").stat().st_size > 0


def test_spn_table_rows_name_an_otsu_threshold():
    from wsss.tables.spn import threshold_text

    assert threshold_text("otsu") == "Otsu threshold" and threshold_text(0.5) == "0.5 of max"


def test_spn_table_val_rows_carry_the_ratio_to_the_same_segmenters_ceiling(tmp_path):
    import json

    from wsss.tables.spn import table

    def ev(name, miou):
        p = tmp_path / f"{name}.json"
        p.write_text(json.dumps({"miou": miou, "n_images": 5}))
        return str(p)
    rows = [dict(label="round 1", data="val", eval=ev("r1", 0.30), published=None, fullsup=ev("fs", 0.60)),
            dict(label="annotations", data="train (GT)", eval=ev("a", 0.40), published=None)]
    lines = table(rows, {"rows": []})
    assert lines[2] == "| round 1 | val | 5 | 30.0 | 0.50 |  |"
    assert lines[3] == "| annotations | train (GT) | 5 | 40.0 |  |  |"


def test_ratio_to_a_zero_or_missing_ceiling_is_left_blank(tmp_path):
    import json

    from wsss.tables.pages import ratio_text
    zero = tmp_path / "zero.json"
    zero.write_text(json.dumps({"miou": 0.0}))
    half = tmp_path / "half.json"
    half.write_text(json.dumps({"miou": 0.5}))
    assert ratio_text(0.3, str(zero)) == "" and ratio_text(0.3, None) == "" and ratio_text(None, str(half)) == ""
    assert ratio_text(0.3, str(half)) == "0.60"


def test_chart_labels_no_pseudo_bar_for_fullsup(tmp_path, monkeypatch):
    """fullsup has no pseudo labels: the chart writes its ratio but no '0.0' for a bar that is not there."""
    import wsss.plots
    from wsss.tables.leaderboard import chart

    figures = []
    monkeypatch.setattr(wsss.plots, "save_figure", lambda fig, path: figures.append(fig))
    rows = [dict(experiment="cam", pseudo_miou=37.1, pseudo_miou_oracle=37.1, val_miou=[29.9], fullsup_ratio=0.64),
            dict(experiment="fullsup", pseudo_miou=None, pseudo_miou_oracle=None, val_miou=[47.1], fullsup_ratio=1.0)]
    chart(rows, tmp_path / "c.png", "t")
    texts = sorted(t.get_text() for t in figures[0].axes[0].texts)
    assert texts == ["0.64 of fullsup", "1.00 of fullsup", "37.1"]
