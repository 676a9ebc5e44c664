"""center_prior: the class-agnostic centred-Gaussian baseline, a localizer with no network."""
import json

import h5py
import numpy as np
import pytest

from stages import extract_cams, prepare_data
from tests.test_workflow import job_counts, snakemake
from wsss.data import demo as demo_data
from wsss.localizers.center_prior import center_gaussian


def test_center_gaussian_known_values():
    g = center_gaussian(4, 6, sigma=0.25)
    assert g.shape == (4, 6) and g.max() <= 1
    np.testing.assert_allclose(g, g[::-1, ::-1])  # symmetric about the centre
    # pixel (1, 2): centre offsets -0.5 / 4 rows and -0.5 / 6 columns, in units of sigma * side
    expected = np.exp(-0.5 * ((0.5 / (0.25 * 4)) ** 2 + (0.5 / (0.25 * 6)) ** 2))
    assert g[1, 2] == pytest.approx(expected, rel=1e-6)


def test_extract_without_a_classifier(tmp_path):
    demo_data.generate(tmp_path / "raw", n_train=4, n_val=2, size=32)
    prepare_data.main(["--dataset", "demo", "--root", str(tmp_path / "raw"), "--out", str(tmp_path / "data")])
    out = tmp_path / "cams.h5"
    settings = {"method": "center_prior", "scales": [1.0], "flip": False, "center_prior": {"sigma": 0.25}}
    extract_cams.main(["--index", str(tmp_path / "data" / "index.json"), "--localizer", "center_prior",
                       "--settings", json.dumps(settings), "--out", str(out), "--device", "cpu"])
    index = json.loads((tmp_path / "data" / "index.json").read_text())
    labels = index["labels"]
    with h5py.File(out) as f:
        assert set(f.keys()) == {i for i in index["splits"]["train"] if labels[i]}
        key = sorted(f.keys())[0]
        maps = f[key][()].astype(np.float32)
        assert list(f[key].attrs["class_ids"]) == labels[key]
        np.testing.assert_allclose(maps[0], center_gaussian(32, 32, 0.25), atol=1e-3)  # float16 storage


def test_dag_has_no_classifier_job(tmp_path, env):
    r = snakemake(tmp_path, env, "-n", "--config", "experiment=center_prior")
    assert r.returncode == 0, r.stderr[-3000:]
    jobs = job_counts(r.stdout)
    assert jobs.get("extract_cams") and "train_classifier" not in jobs
