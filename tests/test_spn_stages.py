"""SPN through the stage CLIs on tiny data: superpixels -> SPN training -> SP-CAM shard."""
import json

import h5py
import numpy as np
import pytest

from wsss.data import demo as demo_data
from stages import extract_cams, prepare_data, superpixels, train_classifier
from wsss.models.backbones import weight_file


def prepare(raw, out):
    prepare_data.main(["--dataset", "demo", "--root", str(raw), "--out", str(out)])


def train(index, settings, crop, out, *extra):
    train_classifier.main(["--index", index, "--settings", json.dumps(settings), "--epochs", "1", "--crop", str(crop),
                           "--out", str(out / "model.pt"), "--log", str(out / "log.csv"), "--metrics",
                           str(out / "m.json"), "--curve", str(out / "c.png"), "--device", "cpu", *extra])


SETTINGS = {"method": "spn", "backbone": "mobilenet_v2", "pretrained": False, "weights_path": None,
            "batch_size": 4, "optimizer": "adam", "lr": 0.0001, "weight_decay": 0.0001}


def test_spn_train_and_spcam(tmp_path):
    demo_data.generate(tmp_path / "raw", n_train=12, n_val=4, size=64)
    prepare(tmp_path / "raw", tmp_path / "data")
    index = str(tmp_path / "data" / "index.json")
    sp = {s: str(tmp_path / f"sp_{s}.h5") for s in ("train", "val")}
    for split, path in sp.items():
        superpixels.main(["--index", index, "--split", split, "--n-segments", "40", "--out", path])
    out = tmp_path / "clf"
    train(index, SETTINGS, 64, out, "--superpixels", *sp.values(), "--spn-sizes", "48", "64")
    metrics = json.loads((out / "m.json").read_text())
    assert metrics["method"] == "spn" and 0 <= metrics["val_mAP"] <= 1
    cams = tmp_path / "cams.h5"
    extract_cams.main(["--index", index, "--localizer", "spn", "--checkpoint", str(out / "model.pt"), "--settings",
                       json.dumps({"method": "spcam", "scales": [1.0], "flip": True}), "--out", str(cams),
                       "--device", "cpu", "--superpixels", sp["train"], "--spn-sizes", "48", "64"])
    with h5py.File(cams) as f:
        assert f.attrs["method"] == "spcam"
        key = sorted(f.keys())[0]
        maps = f[key][()]
        assert maps.dtype == np.float16 and maps.shape[1:] == (64, 64)
        assert maps.min() >= 0 and maps.max() <= 1.0
        # the classes the SPN finds itself (not the image labels) are stored beside, for every image
        assert set(f["predicted"].keys()) == {k for k in f if k != "predicted"}
        assert f["predicted"][key].shape[1:] == (64, 64)


def test_spcam_needs_an_spn(tmp_path):
    demo_data.generate(tmp_path / "raw", n_train=4, n_val=2, size=48)
    prepare(tmp_path / "raw", tmp_path / "data")
    index = str(tmp_path / "data" / "index.json")
    s = dict(SETTINGS, method="cam")
    out = tmp_path / "clf"
    train(index, s, 48, out)
    args = ["--index", index, "--checkpoint", str(out / "model.pt"), "--out", str(tmp_path / "cams.h5"),
            "--settings", json.dumps({"method": "spcam", "scales": [1.0], "flip": False}), "--device", "cpu"]
    with pytest.raises(SystemExit, match="'spcam' is not a map method of localizer 'cam'"):
        extract_cams.main(args + ["--localizer", "cam"])
    with pytest.raises(SystemExit, match="is a 'cam' classifier, not 'spn'"):
        extract_cams.main(args + ["--localizer", "spn"])


@pytest.mark.skipif(not weight_file("mobilenet_v2").is_file(), reason="needs the MobileNetV2 ImageNet weights")
def test_training_on_cached_encoder_features_matches_training_on_images(tmp_path):
    from stages import encoder_features

    demo_data.generate(tmp_path / "raw", n_train=8, n_val=2, size=64)
    prepare(tmp_path / "raw", tmp_path / "data")
    index = str(tmp_path / "data" / "index.json")
    sp = {s: str(tmp_path / f"sp_{s}.h5") for s in ("train", "val")}
    for split, path in sp.items():
        superpixels.main(["--index", index, "--split", split, "--n-segments", "20", "--out", path])
    feats = str(tmp_path / "feats.h5")
    encoder_features.main(["--index", index, "--backbone", "mobilenet_v2", "--sizes", "48", "64", "--out", feats,
                           "--device", "cpu"])
    settings = dict(SETTINGS, pretrained=True, spn={"width": 16, "cache_features": True})
    common = ["--superpixels", *sp.values(), "--spn-sizes", "48", "64"]
    train(index, settings, 64, tmp_path / "live", *common)
    train(index, settings, 64, tmp_path / "cached", *common, "--features", feats)
    live = (tmp_path / "live" / "log.csv").read_text().splitlines()[1].split(",")
    cached = (tmp_path / "cached" / "log.csv").read_text().splitlines()[1].split(",")
    header = (tmp_path / "live" / "log.csv").read_text().splitlines()[0].split(",")
    loss = header.index("loss")
    assert np.isclose(float(live[loss]), float(cached[loss]), rtol=1e-4)
