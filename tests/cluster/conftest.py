"""Shared by the cluster tests: the tiny demo DAG, run once locally as the reference."""
from __future__ import annotations

import importlib.util
import subprocess

import pytest
import yaml

from tests.conftest import BIN, REPO
from wsss.models.backbones import weight_file

TARGETS = ("all", "leaderboard")


def tiny_config() -> dict:
    pretrained = weight_file("mobilenet_v2").is_file()
    return {
        "experiment": ["cam"], "shard_size": 10,
        "demo": {"n_train": 24, "n_val": 8, "image_size": 64, "crop_size": 64,
                 "classifier_epochs": 1, "segmentation_epochs": 1},
        "classifier": {"pretrained": pretrained, "batch_size": 8},
        "cams": {"scales": [1.0, 0.5]},
        "segmentation": {"pretrained": pretrained, "batch_size": 4},
        "reliable": {"k": 5}, "report": {"n_examples": 2},
    }


def snakemake_cmd(workdir, *args, profile="none", config_file=None) -> list[str]:
    """snakemake on the tiny demo in workdir; targets first (options such as --set-threads take lists)."""
    return [str(BIN / "snakemake"), *TARGETS, "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
            "--workflow-profile", str(profile), *args, "--configfile", str(REPO / "config.yaml"), str(config_file)]


def compare_metrics():
    """bench/compare_metrics.py as a module: every metrics JSON of two results trees, timings ignored."""
    spec = importlib.util.spec_from_file_location("compare_metrics", REPO / "bench" / "compare_metrics.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def differing_metrics(reference, other) -> tuple[int, list[str]]:
    """(files compared, files that differ or exist on one side only)."""
    cm = compare_metrics()
    a, b = cm.load(reference), cm.load(other)
    bad = sorted(set(a) ^ set(b)) + [k for k in sorted(set(a) & set(b)) if not cm.same(a[k], b[k])]
    return len(set(a) | set(b)), bad


@pytest.fixture(scope="session")
def tiny_yaml(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_config()))
    return path


@pytest.fixture(scope="session")
def local_results(tmp_path_factory, tiny_yaml):
    """results/demo of the tiny DAG run locally (2 cores, no profile): what every other run must match."""
    work = tmp_path_factory.mktemp("local")
    r = subprocess.run(snakemake_cmd(work, "--cores", "2", config_file=tiny_yaml), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-4000:]
    return work / "results" / "demo"
