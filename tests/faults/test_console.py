"""A failed job's error reaches the console: the default workflow profile prints failed logs."""
import subprocess

from tests.conftest import REPO
from tests.test_workflow import write_yaml


def test_the_console_names_the_damaged_file(tmp_path, env):
    over = write_yaml(tmp_path / "tiny.yaml", {"demo": {"n_train": 4, "n_val": 2, "image_size": 32}})
    base = ["snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path), "--cores", "1",
            "--workflow-profile", str(REPO / "profiles" / "default")]
    made = subprocess.run(base + ["data/demo/.complete", "--configfile", str(REPO / "config.yaml"), over],
                          env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr[-2000:]
    jpg = sorted((tmp_path / "data" / "demo" / "JPEGImages").glob("*.jpg"))[0]
    jpg.write_bytes(jpg.read_bytes()[:200])
    r = subprocess.run(base + ["results/demo/data/index.json", "--configfile", str(REPO / "config.yaml"), over],
                       env=env, capture_output=True, text=True)
    assert r.returncode != 0
    assert f"{jpg.name}: cannot decode image" in r.stdout + r.stderr


def test_a_truncated_shard_is_rebuilt_by_the_same_command(tmp_path, env):
    over = write_yaml(tmp_path / "tiny.yaml", {"demo": {"n_train": 4, "n_val": 2, "image_size": 32,
                                                         "n_superpixels": 20}})
    base = ["snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path), "--cores", "1",
            "--workflow-profile", "none"]
    target = "results/demo/superpixels/train_000.h5"
    made = subprocess.run(base + [target, "--configfile", str(REPO / "config.yaml"), over],
                          env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr[-2000:]
    index = tmp_path / "results" / "demo" / "data" / "index.json"
    index_mtime = index.stat().st_mtime
    shard = tmp_path / target
    shard.write_bytes(shard.read_bytes()[:100])
    r = subprocess.run(base + [target, "--configfile", str(REPO / "config.yaml"), over],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "does not have the size it was written with" in r.stderr and "rule superpixels" in r.stdout + r.stderr
    from wsss.io.h5store import ShardReader

    with ShardReader([shard]) as reader:  # rebuilt, readable; the valid index was not touched
        assert len(list(reader.keys())) == 4
    assert index.stat().st_mtime == index_mtime
