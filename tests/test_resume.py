"""Kill training mid-run with SIGKILL, run it again: it resumes and ends with the same weights."""
import json
import signal
import subprocess
import sys
import time

import pytest
import torch

from wsss.data import demo as demo_data
from stages import prepare_data

SETTINGS = {"backbone": "mobilenet_v2", "pretrained": False, "weights_path": None, "batch_size": 4,
            "lr": 0.002, "weight_decay": 0.0001}


@pytest.fixture(scope="module")
def tiny_index(tmp_path_factory):
    d = tmp_path_factory.mktemp("demo")
    demo_data.generate(d / "raw", n_train=32, n_val=4, size=48)
    prepare_data.main(["--dataset", "demo", "--root", str(d / "raw"), "--out", str(d / "data")])
    return d / "data" / "index.json"


def _cmd(index, out, epochs):
    return [sys.executable, "-m", "stages.train_classifier", "--index", str(index), "--settings", json.dumps(SETTINGS),
            "--epochs", str(epochs), "--crop", "48", "--out", str(out / "model.pt"), "--log", str(out / "log.csv"),
            "--metrics", str(out / "m.json"), "--curve", str(out / "c.png"), "--device", "cpu", "--threads", "1"]


@pytest.mark.slow  # an end-to-end run (subprocesses of whole stages): the slow tier
def test_killed_training_resumes_to_identical_weights(tiny_index, tmp_path, env):
    epochs = 6
    ref, killed = tmp_path / "ref", tmp_path / "killed"
    subprocess.run(_cmd(tiny_index, ref, epochs), check=True, env=env, capture_output=True)

    proc = subprocess.Popen(_cmd(tiny_index, killed, epochs), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ckpt = killed / "model.resume" / "last.pt"
    deadline = time.time() + 120
    while not ckpt.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, "training finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (killed / "model.pt").exists(), "a killed run must not leave the final model"

    out = subprocess.run(_cmd(tiny_index, killed, epochs), check=True, env=env, capture_output=True, text=True)
    assert "resumed from" in out.stdout
    assert not ckpt.exists(), "the resume checkpoint is removed once the final model is written"
    a = torch.load(ref / "model.pt", weights_only=False)["model"]
    b = torch.load(killed / "model.pt", weights_only=False)["model"]
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert (killed / "log.csv").read_text().count("\n") == epochs + 1
