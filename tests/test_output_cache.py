"""Snakemake's between-workflow output cache (SNAKEMAKE_OUTPUT_CACHE + --cache): a second workflow
directory with the same settings takes the classifier and the CAM shards from the cache instead of
training; other settings miss it."""
import subprocess

import pytest
import yaml

from tests.conftest import REPO


def run(workdir, env, cache, *config):
    tiny = workdir / "tiny.yaml"
    tiny.write_text(yaml.safe_dump({
        "experiment": "cam", "shard_size": 10,
        "demo": {"n_train": 12, "n_val": 4, "image_size": 64, "crop_size": 64, "classifier_epochs": 1},
        "classifier": {"pretrained": False, "batch_size": 4}, "cams": {"scales": [1.0], "flip": False}}))
    cmd = ["snakemake", "all", "--until", "extract_cams", "--snakefile", str(REPO / "Snakefile"),
           "--directory", str(workdir), "--workflow-profile", "none", "--cores", "2", "--cache",
           "--configfile", str(REPO / "config.yaml"), str(tiny), *(["--config", *config] if config else [])]
    r = subprocess.run(cmd, env={**env, "SNAKEMAKE_OUTPUT_CACHE": str(cache)}, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-4000:]
    return r.stdout + r.stderr


@pytest.mark.slow  # an end-to-end run (subprocesses of whole stages): the slow tier
def test_second_workflow_reuses_the_cached_classifier(tmp_path, env):
    cache = tmp_path / "cache"
    cache.mkdir()
    first, second, other = (tmp_path / name for name in ("first", "second", "other"))
    for d in (first, second, other):
        d.mkdir()
    out = run(first, env, cache)
    assert "Moving output file results/demo/classifiers/" in out  # trained, then stored in the cache
    model = next((first / "results" / "demo" / "classifiers").glob("*/model.pt"))
    assert model.is_symlink() and model.resolve().parent == cache.resolve()

    out = run(second, env, cache)
    clf = next((second / "results" / "demo" / "classifiers").iterdir())
    assert f"Symlinking output file results/demo/classifiers/{clf.name}/model.pt from cache" in out
    assert (clf / "model.pt").resolve() == model.resolve()
    logs = list((second / "logs" / "demo" / "classifiers").glob("*/train_classifier.log"))
    assert logs and all(log.stat().st_size == 0 for log in logs)  # Snakemake touched it; no training ran
    assert "Moving output file" not in out  # nothing new: the CAM shards came from the cache too
    # the cost of the cached job travels with it (the leaderboard reads it)
    assert next((second / "benchmarks" / "demo" / "classifiers").glob("*/train_classifier.tsv")).is_file()

    out = run(other, env, cache, "seed=1")  # other settings: a cache miss, trained here
    assert "Moving output file results/demo/classifiers/" in out
    assert next((other / "logs" / "demo" / "classifiers").glob("*/train_classifier.log")).stat().st_size > 0
