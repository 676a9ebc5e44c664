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
