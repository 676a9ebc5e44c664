"""The Snakemake DAG: full-VOC dry run job counts, schema errors before any job, end-to-end tiny demo."""
import json
import re
import subprocess

import h5py
import numpy as np
import pytest
import yaml

from wsss.models.backbones import weight_file
from tests.conftest import REPO


def snakemake(workdir, env, *args, configs=()):
    cmd = ["snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--workflow-profile", "none", "--cores", "2", *args, "--configfile", str(REPO / "config.yaml"), *configs]
    # targets go before --configfile, which would take them for more config files
    return subprocess.run(cmd, env=env, capture_output=True, text=True)


def job_counts(stdout: str) -> dict:
    lines = stdout.split("Job stats:")[1].splitlines()
    counts = {}
    for ln in lines[3:]:
        parts = ln.split()
        if len(parts) != 2:
            break
        counts[parts[0]] = int(parts[1])
    return counts


def write_yaml(path, obj):
    path.write_text(yaml.safe_dump(obj))
    return str(path)


def fake_full_voc(root):
    """List files only: VOC train 1,464 / val 1,449 and an SBD giving train_aug = 10,582."""
    train = [f"t{i:05d}" for i in range(1464)]
    val = [f"v{i:05d}" for i in range(1449)]
    sbd = [f"s{i:05d}" for i in range(9118)] + train[:500] + val[:300]  # overlaps as in the real SBD
    seg = root / "VOC2012" / "ImageSets" / "Segmentation"
    seg.mkdir(parents=True)
    (seg / "train.txt").write_text("\n".join(train))
    (seg / "val.txt").write_text("\n".join(val))
    d = root / "benchmark_RELEASE" / "dataset"
    d.mkdir(parents=True)
    (d / "train.txt").write_text("\n".join(sbd[:6000]))
    (d / "val.txt").write_text("\n".join(sbd[6000:]))


@pytest.mark.parametrize("rounds,expected_total", [(1, 61), (2, 89)])
def test_full_voc_dry_run_job_counts(tmp_path, env, rounds, expected_total):
    fake_full_voc(tmp_path)
    over = write_yaml(tmp_path / "voc.yaml", {"dataset": "voc12", "segmentation": {"rounds": rounds},
                                              "voc12": {"root": "VOC2012", "sbd_root": "benchmark_RELEASE"}})
    r = snakemake(tmp_path, env, "-n", configs=[over])
    assert r.returncode == 0, r.stderr + r.stdout
    c = job_counts(r.stdout)
    # 10,582 train_aug images in 22 shards of <= 500, 1,449 val images in 3 shards
    assert c["extract_cams"] == 22 and c["pseudo_labels"] == 22
    # + the fullsup ceiling the report divides by: one GT-trained round, predicted on val's 3 shards
    assert c["predict_val"] == 3 * rounds + 3
    assert c.get("predict_train", 0) == 22 * (rounds - 1)
    assert c["train_classifier"] == 1 and c["train_segmentation"] == rounds + 1
    assert c["threshold_rule"] == 1  # the protocol threshold of the CAM set (no ground truth)
    assert c["total"] == expected_total < 200


def test_paper_preset_plans_full_voc_in_under_15_seconds(tmp_path, env):
    """workflow/configs/voc12-paper.yaml (the papers' full-VOC settings) over train_aug: its whole plan."""
    import time

    fake_full_voc(tmp_path)
    over = write_yaml(tmp_path / "voc.yaml", {"voc12": {"root": "VOC2012", "sbd_root": "benchmark_RELEASE"},
                                              "experiment": ["cam", "spn", "ficklenet", "dsrg_cam", "fullsup"]})
    start = time.monotonic()
    r = snakemake(tmp_path, env, "-n", "all", configs=[str(REPO / "workflow" / "configs" / "voc12-paper.yaml"), over])
    seconds = time.monotonic() - start
    assert r.returncode == 0, r.stderr[-4000:] + r.stdout[-2000:]
    c = job_counts(r.stdout)
    # three classifiers (CAM and DSRG-from-CAM share one: VGG16), each with 22 CAM shards of train_aug
    assert c["train_classifier"] == 3 and c["extract_cams"] == 3 * 22
    assert c["encoder_features"] == 22 and c["superpixels"] == 22 + 3  # the SPN's frozen VGG16, HED superpixels
    # rounds: cam 1, spn 2 (DecoupledNet), ficklenet 1, dsrg_cam 1, and the ceilings of DeepLab-v2 and DecoupledNet
    assert c["train_segmentation"] == 7 and c["predict_train"] == 2 * 22
    assert c["total"] == 360
    assert seconds < 15, seconds
    assert len(set(re.findall(r"classifiers/(vgg16_[0-9a-f]+)/", r.stdout))) == 3  # every localizer on VGG16
    assert "fullsup_decouplednet_vgg16/" in r.stdout


def test_invalid_config_stops_before_any_job(tmp_path, env):
    r = snakemake(tmp_path, env, "-n", "--config", "shard_size=0")
    assert r.returncode != 0
    assert "config key 'shard_size'" in r.stdout + r.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
def test_end_to_end_tiny_demo_then_nothing_to_do(tmp_path, env):
    pretrained = weight_file("mobilenet_v2").is_file()
    over = write_yaml(tmp_path / "tiny.yaml", {
        "experiment": ["cam", "cam_sp", "cam_rw"],
        "shard_size": 10,
        "demo": {"n_train": 24, "n_val": 8, "image_size": 64, "crop_size": 64,
                 "classifier_epochs": 1, "segmentation_epochs": 1},
        "classifier": {"pretrained": pretrained, "batch_size": 8},
        "cams": {"scales": [1.0, 0.5]},
        "segmentation": {"pretrained": pretrained, "batch_size": 4, "rounds": 2},
        "reliable": {"k": 5},
        "report": {"n_examples": 2},
        "refiner": {"random_walk": {"epochs": 1, "batch_size": 4, "pretrained": pretrained}},
    })
    r = snakemake(tmp_path, env, "all", "leaderboard", configs=[over])
    assert r.returncode == 0, r.stderr[-4000:]
    res = tmp_path / "results" / "demo" / "cam"
    # the leaderboard: both experiments and the ceiling of their segmenter, with the protocol and oracle columns
    lb = json.loads((tmp_path / "results" / "demo" / "leaderboard" / "leaderboard.json").read_text())
    rows = {row["experiment"]: row for row in lb["rows"]}
    assert list(rows) == ["cam", "cam_sp", "cam_rw", "fullsup"] and rows["fullsup"]["fullsup_ratio"] == 1.0
    assert 0 < rows["cam"]["fullsup_ratio"] and len(rows["cam"]["val_miou"]) == 2
    assert rows["cam"]["pseudo_miou"] <= rows["cam"]["pseudo_miou_oracle"] + 5  # the sweep's grid is coarse
    assert rows["cam"]["seconds"] > 0 and (tmp_path / "results" / "demo" / "leaderboard" / "leaderboard.png").is_file()
    assert "last round / fullsup" in (res / "report" / "report.md").read_text()
    for f in ("report/report.md", "report/report.html", "eval/pseudo_train_gt.json", "eval/round2_val.json",
              "round2/model.pt"):
        assert (res / f).is_file(), f
    # both experiments share one classifier; cam_sp pulled in the superpixel stage
    clfs = list((tmp_path / "results" / "demo" / "classifiers").iterdir())
    assert len(clfs) == 1 and (clfs[0] / "curve.png").is_file()
    assert len(list((tmp_path / "results" / "demo" / "superpixels").glob("train_*.h5"))) == 3
    assert (tmp_path / "results" / "demo" / "cam_sp" / "report" / "report.md").is_file()
    # cam and cam_sp agree on classifier and CAM settings: one set of CAM shards serves both
    cam_sets = sorted((tmp_path / "results" / "demo" / "cams").iterdir())
    assert [d.name.split("_")[0] for d in cam_sets] == ["cam", "random"]  # cam_rw: the same CAMs, walked
    assert len(list(cam_sets[0].glob("train_*.h5"))) == 3  # 24 images, shards of 10
    with h5py.File(cam_sets[1] / "train_000.h5") as f:
        assert f.attrs["refiner"] == "random_walk" and f.attrs["method"] == "cam"
    assert rows["cam_rw"]["seconds"] > rows["cam"]["seconds"]  # it ran the AffinityNet too
    with h5py.File(cam_sets[0] / "train_000.h5") as f:
        assert f.attrs["method"] == "cam"
        key = next(iter(f.keys()))
        assert f[key].dtype == np.float16 and 0 <= f[key][()].min() and f[key][()].max() <= 1.0
    for name in ("pseudo_train_gt", "round1_val", "round2_val"):
        m = json.loads((res / "eval" / f"{name}.json").read_text())
        assert 0.0 <= m["miou"] <= 1.0 and m["n_missing"] == 0
        assert np.asarray(m["confusion"]).shape == (7, 7)
    manifest = json.loads((res / "round1" / "reliable.json").read_text())
    assert 0 < manifest["n_selected"] <= 24
    assert "Published numbers" in (res / "report" / "report.md").read_text()
    assert list((res / "report" / "figures").glob("*.png"))
    # per-rule logs and benchmarks exist
    assert list((tmp_path / "logs" / "demo" / "classifiers").glob("*/train_classifier.log"))
    assert list((tmp_path / "benchmarks" / "demo" / "classifiers").glob("*/train_classifier.tsv"))

    again = snakemake(tmp_path, env, "-n", "all", "leaderboard", configs=[over])
    assert again.returncode == 0
    assert "Nothing to be done" in again.stdout + again.stderr


@pytest.mark.slow
def test_end_to_end_tiny_spn_pipeline_and_table(tmp_path, env):
    """superpixels -> SPN -> SP-CAM -> reliable subset -> DecoupledNet x2 -> SPN table, on tiny data."""
    pretrained = weight_file("mobilenet_v2").is_file()
    over = write_yaml(tmp_path / "tiny.yaml", {
        "experiment": "spn",
        "shard_size": 12,
        "demo": {"n_train": 24, "n_val": 8, "image_size": 64, "crop_size": 64, "spn_sizes": [48, 64],
                 "classifier_epochs": 1, "segmentation_epochs": 1, "n_superpixels": 40},
        "classifier": {"pretrained": pretrained, "batch_size": 8},
        "cams": {"scales": [1.0]},
        "segmentation": {"pretrained": pretrained, "batch_size": 4},
        "experiments": {"spn": {"classifier": {"method": "spn"}, "cams": {"method": "spcam"},
                                "pseudo_labels": {"threshold": 0.5}, "reliable": {"k": 4},
                                "segmentation": {"arch": "decouplednet_mobilenet_v2", "rounds": 2}},
                        "cam_spn_rule": {"pseudo_labels": {"threshold": 0.5}}},
        "report": {"n_examples": 1},
    })
    r = snakemake(tmp_path, env, configs=[over])
    assert r.returncode == 0, r.stderr[-4000:]
    res = tmp_path / "results" / "demo" / "spn"
    table = (res / "report" / "spn_table.md").read_text()
    for row in ("CAM annotations, cleaned (0.5 of max)", "SPN annotations, not cleaned", "SPN as a segmenter",
                "round 2: decouplednet_mobilenet_v2", "round 2 annotations, reliable subset (K=4)"):
        assert row in table, row
    assert "| 43.8 |" in table and "| 30.5 |" in table  # the paper's numbers, in their own column
    curve = json.loads((res / "eval" / "reliability_curve.json").read_text())
    assert curve["n_selected"][-1] == curve["n_annotations"] > 0
    reliable = json.loads((res / "eval" / "table" / "pseudo_reliable.json").read_text())
    assert reliable["n_images"] == json.loads((res / "round1" / "reliable.json").read_text())["n_selected"]
    assert (res / "report" / "reliability_curve.png").is_file()
    again = snakemake(tmp_path, env, "-n", configs=[over])
    assert "Nothing to be done" in again.stdout + again.stderr


@pytest.mark.slow
def test_end_to_end_tiny_ficklenet_pipeline_and_table(tmp_path, env):
    """FickleNet classifier -> N stochastic Grad-CAMs -> seeds -> DSRG-trained DeepLab, and the FickleNet
    table with two inference-time ablations (which share the base classifier), on tiny data."""
    pretrained = weight_file("mobilenet_v2").is_file()
    over = write_yaml(tmp_path / "tiny.yaml", {
        "experiment": "ficklenet",
        "demo": {"n_train": 12, "n_val": 4, "image_size": 64, "crop_size": 64,
                 "classifier_epochs": 1, "segmentation_epochs": 1},
        "classifier": {"pretrained": pretrained, "batch_size": 4, "ficklenet": {"p": 0.5}},
        "cams": {"fickle": {"n_samples": 6, "chunk": 4}},
        "segmentation": {"pretrained": pretrained, "batch_size": 4},
        "report": {"n_examples": 1},
        "ficklenet_table": {"base": "ficklenet", "compare": [], "segment": ["ficklenet"]},
        "ablations": {"ficklenet": [{"n3": {"cams": {"fickle": {"n_samples": 3}}}},
                                    {"train_only": {"cams": {"fickle": {"stochastic": False}}}}]},
    })
    r = snakemake(tmp_path, env, "all", "ficklenet_tables", configs=[over])
    assert r.returncode == 0, r.stderr[-4000:]
    table = (tmp_path / "results" / "demo" / "ficklenet_table" / "ficklenet.md").read_text()
    for row in ("| ficklenet | base: ", "| ficklenet_n3 | cams.fickle.n_samples=3 |",
                "| ficklenet_train_only | cams.fickle.stochastic=false |"):
        assert row in table
    assert len(list((tmp_path / "results" / "demo" / "classifiers").iterdir())) == 1
    assert len(list((tmp_path / "results" / "demo" / "cams").glob("fickle_*"))) == 3
    again = snakemake(tmp_path, env, "-n", "all", "ficklenet_tables", configs=[over])
    assert "Nothing to be done" in again.stdout + again.stderr
    res = tmp_path / "results" / "demo" / "ficklenet"
    seeds = json.loads((res / "eval" / "pseudo_train_gt.json").read_text())
    assert 0 <= seeds["miou"] <= 1 and (res / "round1" / "model.pt").is_file()
    log = (tmp_path / "logs" / "demo" / "ficklenet" / "train_segmentation" / "round1.log").read_text()
    assert "segmentation epoch 1/1" in log
    with h5py.File(next((tmp_path / "results" / "demo" / "cams").glob("fickle_*/train_000.h5"))) as f:
        assert f.attrs["method"] == "fickle" and len(f["fired"]) == len([k for k in f if k != "fired"])
