"""Fault injection: resume checkpoints of another run or damaged ones, and lost outputs after training."""
import errno
import json
import os

import pytest
import torch

from tests.test_stage_units import Batches, Killed, KilledAt, Linear, mse_step
from wsss.errors import BadInputError
from wsss.io.files import atomic_path, write_json
from wsss.training import fingerprint, fit


def opt(model, lr):
    return torch.optim.SGD([{"params": model.parameters(), "lr": lr, "base_lr": lr}])


def train(work, lr, batches=None, epochs=3):
    torch.manual_seed(0)
    model = Linear()
    fit(model, batches or Batches(), mse_step, opt(model, lr), epochs=epochs, device="cpu", work_dir=work, seed=0,
        desc="t", log_path=work / "log.csv", run_id=fingerprint(lr=lr))
    return model


def same(a, b):
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_checkpoint_of_other_settings_is_not_resumed(tmp_path, capsys):
    clean = train(tmp_path / "clean", lr=0.01)
    with pytest.raises(Killed):  # the lr = 0.1 run dies after epoch 2 ...
        train(tmp_path / "w", lr=0.1, batches=KilledAt(2))
    assert (tmp_path / "w" / "last.pt").is_file()
    rerun = train(tmp_path / "w", lr=0.01)  # ... and the user reruns with lr = 0.01
    assert "belongs to other settings" in capsys.readouterr().out
    assert same(rerun, clean)  # the numbers of a clean lr = 0.01 run, not of the old optimiser


def test_checkpoint_of_the_same_run_is_resumed(tmp_path, capsys):
    clean = train(tmp_path / "clean", lr=0.05)
    with pytest.raises(Killed):
        train(tmp_path / "w", lr=0.05, batches=KilledAt(2))
    resumed = train(tmp_path / "w", lr=0.05)
    assert "resumed from" in capsys.readouterr().out and same(resumed, clean)


def test_damaged_checkpoint_is_moved_aside(tmp_path, capsys):
    clean = train(tmp_path / "clean", lr=0.05)
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "last.pt").write_bytes(b"PK\x03\x04 truncated")
    again = train(tmp_path / "w", lr=0.05)
    out = capsys.readouterr().out
    assert "is damaged" in out and (tmp_path / "w" / "last.pt.corrupt").is_file() and same(again, clean)


def test_stale_tmp_siblings_are_removed(tmp_path):
    stale = tmp_path / ".m.json.abc123.tmp"
    stale.write_text("half")
    (tmp_path / ".m.json.dir99.tmp").mkdir()
    write_json(tmp_path / "m.json", {"a": 1})
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]


def test_failed_write_reports_free_space(tmp_path, monkeypatch):
    def full(*_):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(BadInputError, match=r"m.json: writing it failed .*GiB free"):
        with atomic_path(tmp_path / "m.json") as tmp:
            tmp.write_text("x")
    assert list(tmp_path.iterdir()) == []  # no debris


def test_resume_checkpoint_survives_a_failure_after_training(tmp_path, capsys):
    """The checkpoint goes only once every output exists: a failed metrics write does not cost the training."""
    from stages import prepare_data, train_classifier
    from wsss.data import demo as demo_data

    demo_data.generate(tmp_path / "raw", n_train=8, n_val=2, size=48)
    prepare_data.main(["--dataset", "demo", "--root", str(tmp_path / "raw"), "--out", str(tmp_path / "data")])
    settings = {"method": "cam", "backbone": "mobilenet_v2", "pretrained": False, "weights_path": None,
                "batch_size": 4, "optimizer": "adam", "lr": 0.0001, "weight_decay": 0.0001}
    out = tmp_path / "clf"
    (tmp_path / "blocked").write_text("a file where a directory is expected")
    args = ["--index", str(tmp_path / "data" / "index.json"), "--settings", json.dumps(settings), "--epochs", "1",
            "--crop", "48", "--out", str(out / "model.pt"), "--log", str(out / "log.csv"), "--curve",
            str(out / "c.png"), "--device", "cpu"]
    with pytest.raises(OSError):
        train_classifier.main(args + ["--metrics", str(tmp_path / "blocked" / "m.json")])
    assert (out / "model.resume" / "last.pt").is_file()
    train_classifier.main(args + ["--metrics", str(out / "m.json")])
    assert "resumed from" in capsys.readouterr().out
    assert (out / "m.json").is_file() and not (out / "model.resume" / "last.pt").exists()


def test_stage_rerun_with_new_settings_or_code_matches_a_clean_run(tmp_path, capsys, monkeypatch):
    """The reported case, through the CLI: a job dies after training (its checkpoint stays), the user changes
    the learning rate -- or the code changes -- and reruns. The result is bit-identical to a clean run."""
    from stages import prepare_data, train_classifier
    from wsss.data import demo as demo_data

    demo_data.generate(tmp_path / "raw", n_train=8, n_val=2, size=48)
    prepare_data.main(["--dataset", "demo", "--root", str(tmp_path / "raw"), "--out", str(tmp_path / "data")])
    (tmp_path / "blocked").write_text("a file where a directory is expected")

    def run(out, lr, metrics):
        settings = {"method": "cam", "backbone": "mobilenet_v2", "pretrained": False, "weights_path": None,
                    "batch_size": 4, "optimizer": "adam", "lr": lr, "weight_decay": 0.0001}
        train_classifier.main(["--index", str(tmp_path / "data" / "index.json"), "--settings", json.dumps(settings),
                               "--epochs", "1", "--crop", "48", "--out", str(out / "model.pt"), "--log",
                               str(out / "log.csv"), "--curve", str(out / "c.png"), "--metrics", str(metrics),
                               "--device", "cpu"])
        return torch.load(out / "model.pt", weights_only=False)["model"]

    clean = run(tmp_path / "clean", 0.01, tmp_path / "clean.json")
    work = tmp_path / "w"
    with pytest.raises(OSError):
        run(work, 0.0001, tmp_path / "blocked" / "m.json")  # trained with lr 1e-4, died writing its metrics
    rerun = run(work, 0.01, tmp_path / "m.json")
    assert "belongs to other settings" in capsys.readouterr().out
    assert all(torch.equal(clean[k], rerun[k]) for k in clean)

    with pytest.raises(OSError):
        run(work, 0.01, tmp_path / "blocked" / "m.json")  # same settings, dies again ...
    monkeypatch.setattr(train_classifier, "code_hash", lambda module, **narrowing: "edited")  # ... then the code changes
    again = run(work, 0.01, tmp_path / "m.json")
    assert "belongs to other settings" in capsys.readouterr().out
    assert all(torch.equal(clean[k], again[k]) for k in clean)
