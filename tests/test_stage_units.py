"""Unit tests of evaluate, select_reliable, predict, augment and fit on hand-made data (known answers)."""
import json

import numpy as np
import pytest
import torch
import torch.nn as nn

from stages import evaluate, predict, select_reliable
from wsss.data.transforms import augment
from wsss.io.files import IGNORE, PAD, read_json, read_label, write_json, write_label
from wsss.training import fit


def tiny_index(tmp_path, masks: dict, labels: dict, split="val"):
    """An index.json over hand-made masks (images are grey squares of the mask's size)."""
    from PIL import Image

    images, mask_paths = {}, {}
    for i, m in masks.items():
        images[i] = str(tmp_path / f"{i}.jpg")
        Image.fromarray(np.full(m.shape + (3,), 128, np.uint8)).save(images[i])
        mask_paths[i] = str(tmp_path / f"{i}_gt.png")
        write_label(mask_paths[i], m)
    index = {"class_names": ["background", "a", "b"], "images": images, "masks": mask_paths, "labels": labels,
             "splits": {split: sorted(masks), "train": sorted(masks), "train_gt": sorted(masks)}}
    write_json(tmp_path / "index.json", index)
    return str(tmp_path / "index.json")


# -- evaluate ---------------------------------------------------------------------------------------------

def test_evaluate_known_answer_with_missing_image_and_manifest(tmp_path):
    gt1 = np.array([[0, 0, 1, 1]] * 2, np.uint8)
    gt2 = np.array([[2, 2, 0, IGNORE]] * 2, np.uint8)
    index = tiny_index(tmp_path, {"i1": gt1, "i2": gt2}, {"i1": [1], "i2": [2]})
    pred = tmp_path / "pred"
    write_label(pred / "i1.png", np.array([[0, 1, 1, 1]] * 2, np.uint8))  # one background pixel called a
    out = tmp_path / "e.json"
    evaluate.main(["--index", index, "--split", "val", "--pred", str(pred), "--json", str(out),
                   "--md", str(tmp_path / "e.md")])
    res = read_json(out)
    # i2 has no prediction: every one of its 6 non-ignored pixels is a miss
    assert res["n_missing"] == 1 and res["n_images"] == 2
    # background: 4 (i1) + 2 (i2) gt pixels, 2 predicted right, 2 predicted a -> IoU 2 / (6 + 2 - 2)
    assert res["iou"][0] == pytest.approx(2 / 6)
    assert res["iou"][1] == pytest.approx(4 / 6) and res["iou"][2] == pytest.approx(0.0)
    assert res["miou"] == pytest.approx((2 / 6 + 4 / 6 + 0) / 3)
    write_json(tmp_path / "m.json", {"ids": ["i1"]})
    evaluate.main(["--index", index, "--split", "val", "--pred", str(pred), "--json", str(out),
                   "--md", str(tmp_path / "e.md"), "--manifest", str(tmp_path / "m.json")])
    assert read_json(out)["n_images"] == 1 and read_json(out)["n_missing"] == 0


def test_evaluate_shape_mismatch_names_the_file(tmp_path):
    index = tiny_index(tmp_path, {"i1": np.zeros((4, 4), np.uint8)}, {"i1": []})
    write_label(tmp_path / "pred" / "i1.png", np.zeros((4, 5), np.uint8))
    with pytest.raises(SystemExit, match="i1.png: prediction"):
        evaluate.main(["--index", index, "--split", "val", "--pred", str(tmp_path / "pred"),
                       "--json", str(tmp_path / "e.json"), "--md", str(tmp_path / "e.md")])


# -- select_reliable --------------------------------------------------------------------------------------

def test_select_reliable_keeps_the_k_least_scattered_per_class(tmp_path):
    write_json(tmp_path / "s0.json", {"a": {"1": 16.0}, "b": {"1": 30.0, "2": 20.0}})
    write_json(tmp_path / "s1.json", {"c": {"1": 18.0}, "d": {"2": 50.0}})
    out = tmp_path / "r.json"
    select_reliable.main(["--scores", str(tmp_path / "s0.json"), str(tmp_path / "s1.json"), "--k", "1",
                          "--out", str(out)])
    r = read_json(out)
    assert r["per_class"] == {"1": ["a"], "2": ["b"]} and r["ids"] == ["a", "b"] and r["n_candidates"] == 4
    select_reliable.main(["--scores", str(tmp_path / "s0.json"), str(tmp_path / "s1.json"), "--out", str(out)])
    assert read_json(out)["ids"] == ["a", "b", "c", "d"]  # no k: every annotation


# -- predict ----------------------------------------------------------------------------------------------

class LeftRight(nn.Module):
    """Scores class 1 on the left half and class 2 on the right (any image): a known-answer segmenter."""

    def label_scores(self, x, class_ids=None):
        b, _, h, w = x.shape
        s = torch.full((b, 3, h, w), 0.1)
        s[:, 1, :, : w // 2] = 0.8
        s[:, 2, :, w // 2:] = 0.8
        return s


def test_predict_probs_averages_the_flip():
    probs = predict.predict_probs(LeftRight(), np.zeros((4, 6, 3), np.uint8), "cpu")
    # the flipped copy scores class 2 on the left: after un-flipping, both halves see both classes
    np.testing.assert_allclose(probs[1], 0.45) and np.testing.assert_allclose(probs[2], 0.45)
    no_flip = predict.predict_probs(LeftRight(), np.zeros((4, 6, 3), np.uint8), "cpu", flip=False)
    assert no_flip[1, 0, 0] == pytest.approx(0.8) and no_flip[2, 0, 5] == pytest.approx(0.8)


def test_predict_probs_multi_scale_comes_back_at_the_original_size():
    img = np.zeros((8, 12, 3), np.uint8)
    probs = predict.predict_probs(LeftRight(), img, "cpu", flip=False, scales=(0.5, 1.0, 1.5))
    assert probs.shape == (3, 8, 12)
    # every scale puts class 1 on the left half: the average does too
    assert (probs[1, :, :5] > probs[2, :, :5]).all() and (probs[2, :, 7:] > probs[1, :, 7:]).all()


def test_predict_cleans_by_image_labels_and_scores(tmp_path, monkeypatch):
    index = tiny_index(tmp_path, {"i1": np.zeros((4, 6), np.uint8)}, {"i1": [1]}, split="train")
    monkeypatch.setattr(predict, "load_segmenter", lambda path, device: (LeftRight(), {}))
    monkeypatch.setattr(predict, "predict_probs", lambda model, img, dev, classes=None, flip=True, scales=(1.0,):
                        model.label_scores(torch.zeros(1, 3, *img.shape[:2]))[0].numpy())
    out = tmp_path / "pred"
    predict.main(["--index", index, "--checkpoint", "unused.pt", "--split", "train", "--out-dir", str(out),
                  "--clean", "--scores", str(tmp_path / "s.json"), "--device", "cpu"])
    label = read_label(out / "i1.png")
    # class 2 is not in the image label: the right half falls back to background
    assert (label[:, :3] == 1).all() and (label[:, 3:] == 0).all()
    assert json.loads((tmp_path / "s.json").read_text())["i1"]["1"] == pytest.approx((4 + 3) ** 2 * 4 / 12)


# -- augment ----------------------------------------------------------------------------------------------

def test_augment_crop_padding_and_label_alignment():
    img = np.zeros((20, 40, 3), np.uint8)
    img[:, 20:] = 255  # right half white
    label = np.zeros((20, 40), np.uint8)
    label[:, 20:] = 1
    for seed in range(20):
        a, b = augment(img, label, 32, np.random.default_rng(seed))
        assert a.shape == (32, 32, 3) and b.shape == (32, 32)
        valid = b != PAD
        # the label moved with the image: pure white pixels are class 1, pure black ones class 0
        grey = a.astype(int).sum(-1)
        assert (b[valid & (grey == 3 * 255)] == 1).all() and (b[valid & (grey == 0)] == 0).all()
        # padding (the image is shorter than the crop) is PAD in the label and the mean colour in the image
        assert (~valid).any() and np.allclose(a[~valid].mean(0), [124, 116, 104], atol=1)
    a1, b1 = augment(img, label, 32, np.random.default_rng(7))
    a2, b2 = augment(img, label, 32, np.random.default_rng(7))
    assert (a1 == a2).all() and (b1 == b2).all()  # seeded: a resumed epoch sees the same crops


# -- fit --------------------------------------------------------------------------------------------------

class Batches:
    """make_loader for fit: a fixed linear-regression problem, the same batches every epoch."""

    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(64, 3, generator=g)
        self.y = self.x @ torch.tensor([[1.0], [-2.0], [0.5]])

    def __call__(self, epoch):
        return [(self.x[i:i + 16], self.y[i:i + 16]) for i in range(0, 64, 16)]


class Linear(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 1)

    def param_groups(self):
        return [], list(self.parameters())


def mse_step(model, batch, device):
    x, y = batch
    return ((model.fc(x) - y) ** 2).mean()


def optimizer(model):
    return torch.optim.SGD([{"params": model.parameters(), "lr": 0.1, "base_lr": 0.1}])


def test_fit_learns_logs_and_decays_the_learning_rate(tmp_path):
    torch.manual_seed(0)
    model = Linear()
    opt = optimizer(model)
    rows = fit(model, Batches(), mse_step, opt, epochs=4, device="cpu", work_dir=tmp_path / "w", seed=0,
               desc="t", log_path=tmp_path / "log.csv")
    assert [r["epoch"] for r in rows] == [1, 2, 3, 4] and rows[-1]["loss"] < 0.2 * rows[0]["loss"]
    # poly schedule: lr = base (1 - it / total)^0.9, at the last of 16 steps (it = 15)
    assert rows[-1]["lr"] == pytest.approx(0.1 * (1 - 15 / 16) ** 0.9)
    assert (tmp_path / "log.csv").read_text().startswith("epoch,loss,lr,seconds")


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_fit_in_mixed_precision_learns_and_resumes_only_its_own_precision(tmp_path, precision):
    from wsss import training

    seen = []

    def step(model, batch, device):
        out = model.fc(batch[0].to(device))
        seen.append(out.dtype)  # computed under autocast
        return mse_step(model, batch, device)
    try:
        training.configure(precision=precision)
        torch.manual_seed(0)
        model = Linear()
        rows = fit(model, Batches(), step, optimizer(model), epochs=4, device="cpu", work_dir=tmp_path / "w", seed=0,
                   desc="t", log_path=tmp_path / "log.csv")
        assert seen[0] == training.PRECISIONS[precision]
        assert rows[-1]["loss"] < 0.3 * rows[0]["loss"]
        ckpt = torch.load(tmp_path / "w" / "last.pt", weights_only=False)
        assert "scaler" in ckpt and ckpt["run_id"] is None
        training.configure(precision="fp32")
        assert training.loader_options("cpu") == {"num_workers": 0, "pin_memory": False, "persistent_workers": False}
        # a checkpoint of a bf16/fp16 run is not resumed at fp32 (precision changes the numbers)
        fit(model, Batches(), mse_step, optimizer(model), epochs=5, device="cpu", work_dir=tmp_path / "v", seed=0,
            desc="t", log_path=tmp_path / "l.csv", run_id="r")
        training.configure(precision=precision)
        fp32_ckpt = tmp_path / "v" / "last.pt"
        assert torch.load(fp32_ckpt, weights_only=False)["run_id"] == "r"
        assert training._resume_state(fp32_ckpt, training.fingerprint(run="r", precision=precision)) is None
    finally:
        training.configure()


def test_step_schedule_halves_the_learning_rate_every_10_epochs():
    from wsss.training import lr_factor

    step = {"lr_schedule": "step", "lr_step_epochs": 10, "lr_gamma": 0.5}
    # 5 steps per epoch, 30 epochs: epochs 1-10 at 1, 11-20 at 0.5, 21-30 at 0.25 (FickleNet's Adam schedule)
    assert [lr_factor(step, it, 150, 5) for it in (0, 49, 50, 99, 100, 149)] == [1, 1, 0.5, 0.5, 0.25, 0.25]
    assert lr_factor(None, 75, 150, 5) == (1 - 75 / 150) ** 0.9  # poly, the default


class Killed(Exception):
    pass


class KilledAt(Batches):
    def __init__(self, epoch):
        super().__init__()
        self.kill = epoch

    def __call__(self, epoch):
        if epoch == self.kill:
            raise Killed
        return super().__call__(epoch)


def test_fit_resumes_from_its_checkpoint_to_the_same_weights(tmp_path):
    torch.manual_seed(0)
    ref = Linear()
    fit(ref, Batches(), mse_step, optimizer(ref), epochs=3, device="cpu", work_dir=tmp_path / "ref", seed=0,
        desc="t", log_path=tmp_path / "ref.csv")
    torch.manual_seed(0)
    part = Linear()
    with pytest.raises(Killed):  # dies as epoch 3 starts; the checkpoint of epoch 2 stays
        fit(part, KilledAt(2), mse_step, optimizer(part), epochs=3, device="cpu", work_dir=tmp_path / "w", seed=0,
            desc="t", log_path=tmp_path / "a.csv")
    resumed = Linear()  # a fresh process: new weights, loaded from the checkpoint
    rows = fit(resumed, Batches(), mse_step, optimizer(resumed), epochs=3, device="cpu", work_dir=tmp_path / "w",
               seed=0, desc="t", log_path=tmp_path / "b.csv")
    assert len(rows) == 3
    for a, b in zip(ref.parameters(), resumed.parameters()):
        assert torch.equal(a, b)


def test_iterations_give_the_fewest_epochs_with_that_many_steps():
    from argparse import Namespace

    from wsss import cli

    loader = lambda epoch: [None] * 4  # noqa: E731 -- 4 steps per epoch
    assert cli.epochs_for(Namespace(epochs=7, iterations=None), loader) == 7
    assert cli.epochs_for(Namespace(epochs=7, iterations=9), loader) == 3
    assert cli.epochs_for(Namespace(epochs=7, iterations=8), loader) == 2


def test_augment_scales_relative_to_the_original_size():
    """The scale convention: scale_range (1, 1) crops at the original resolution, whatever the crop size."""
    rng0 = np.random.default_rng(3)
    img = rng0.integers(0, 255, (60, 80, 3)).astype(np.uint8)
    label = rng0.integers(0, 5, (60, 80)).astype(np.uint8)
    a, b = augment(img, label, 32, np.random.default_rng(0), scale_range=(1.0, 1.0))
    # the crop is a 32 x 32 window of the original or of its mirror image, pixel for pixel
    hits = [(y, x) for src_img, src_label in ((img, label), (img[:, ::-1], label[:, ::-1]))
            for y in range(60 - 31) for x in range(80 - 31)
            if (src_img[y:y + 32, x:x + 32] == a).all() and (src_label[y:y + 32, x:x + 32] == b).all()]
    assert len(hits) == 1


def test_files_digest_reads_large_shards_by_size_and_samples(tmp_path):
    import os

    from wsss import training

    small, big = tmp_path / "small.json", tmp_path / "big.h5"
    small.write_bytes(b"x" * 100)
    data = bytearray(np.random.default_rng(0).integers(0, 256, 3 * training.SAMPLED, dtype=np.uint8).tobytes())
    big.write_bytes(bytes(data))
    stamp = (big.stat().st_atime_ns, big.stat().st_mtime_ns)
    before = training.files_digest([small, big])

    def write(content, same_time=True):
        big.write_bytes(bytes(content))
        if same_time:
            os.utime(big, ns=stamp)
        return training.files_digest([small, big])
    for at in (10, len(data) // 2 + 10, len(data) - 10):  # header, middle, end: sampled bytes
        changed = bytearray(data)
        changed[at] ^= 1
        assert write(changed) != before
    assert write(data + b"\0") != before  # another size
    unsampled = bytearray(data)
    unsampled[len(data) // 4] ^= 1
    assert write(unsampled, same_time=False) != before  # a rewrite: a new file, a new mtime
    assert write(data) == before  # the same bytes and time: the same shard


# -- train_refiner / refine_cams -------------------------------------------------------------------------

def test_train_refiner_saves_the_resolved_powers_that_refine_cams_applies(tmp_path):
    from stages import refine_cams, train_refiner
    from wsss.io.artifacts import load_torch
    from wsss.io.files import read_image
    from wsss.io.h5store import ShardReader, ShardWriter, write_cam
    from wsss.ops.random_walk import power_threshold
    from wsss.ops.thresholds import otsu_of_maps
    from wsss.refiners import get_refiner

    ids = ["i0", "i1"]
    index = tiny_index(tmp_path, {i: np.zeros((32, 32), np.uint8) for i in ids}, {i: [1] for i in ids}, split="train")
    ramp = np.broadcast_to(np.linspace(0, 1, 32, dtype=np.float32), (1, 32, 32))   # a map whose scale matters
    with ShardWriter(tmp_path / "cams.h5") as w:
        for i in ids:
            write_cam(w, i, ramp, [1])
    rw = get_refiner("random_walk")
    settings = {k: v["default"] for k, v in rw.schema.items()}
    settings.update(pretrained=False, batch_size=2, iterations=1, powers="otsu")
    out = {n: str(tmp_path / f) for n, f in (("out", "model.pt"), ("log", "log.csv"), ("metrics", "m.json"),
                                              ("curve", "c.png"))}
    train_refiner.main(["--index", index, "--refiner", "random_walk", "--cams", str(tmp_path / "cams.h5"),
                        "--settings", json.dumps(settings), "--crop", "32", "--device", "cpu",
                        *[x for n, f in out.items() for x in (f"--{n}", f)]])
    state = load_torch(out["out"], "refiner checkpoint")
    with ShardReader([tmp_path / "cams.h5"]) as maps:
        t, _ = otsu_of_maps(maps)
    saved = state["settings"]
    assert saved["maps_threshold"] == pytest.approx(t) and power_threshold(saved["alpha"]) == pytest.approx(t)
    assert sorted(read_json(out["metrics"])["resolved"]) == ["alpha", "ha", "la", "maps_threshold"]
    refine_cams.main(["--index", index, "--refiner", "random_walk", "--cams", str(tmp_path / "cams.h5"),
                      "--checkpoint", out["out"], "--split", "train", "--shard", "0", "--shards", "1",
                      "--out", str(tmp_path / "walked.h5"), "--device", "cpu"])
    with ShardReader([tmp_path / "walked.h5"]) as walked:
        m, class_ids = walked.cam("i0")
    model = rw.build(saved, pretrained=False)
    model.load_state_dict(state["model"])
    model.eval()
    img = read_image(tmp_path / "i0.jpg")
    assert list(class_ids) == [1]
    np.testing.assert_allclose(m, rw.refine(model, img, ramp, [1], saved, "cpu"), atol=1e-3)   # the resolved powers
    assert np.abs(m - rw.refine(model, img, ramp, [1], settings, "cpu")).max() > 0.05          # not the paper's
