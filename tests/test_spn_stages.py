"""SPN through the stage CLIs on tiny data: superpixels -> SPN training -> SP-CAM shard."""
import json

import h5py
import numpy as np
import pytest

from stages import demo_data, extract_cams, prepare_data, superpixels, train_classifier

SETTINGS = {"method": "spn", "backbone": "mobilenet_v2", "pretrained": False, "weights_path": None,
            "batch_size": 4, "optimizer": "adam", "lr": 0.0001, "weight_decay": 0.0001}


def test_spn_train_and_spcam(tmp_path):
    demo_data.generate(tmp_path / "raw", n_train=12, n_val=4, size=64)
    prepare_data.run("demo", str(tmp_path / "raw"), tmp_path / "data")
    index = str(tmp_path / "data" / "index.json")
    sp = {s: str(tmp_path / f"sp_{s}.h5") for s in ("train", "val")}
    for split, path in sp.items():
        superpixels.run(index, split, 0, 1, 40, 10.0, path)
    out = tmp_path / "clf"
    train_classifier.run(index, "train", SETTINGS, 1, 64, out / "model.pt", out / "log.csv", out / "m.json",
                         out / "c.png", device="cpu", superpixels=list(sp.values()), spn_sizes=[48, 64])
    metrics = json.loads((out / "m.json").read_text())
    assert metrics["method"] == "spn" and 0 <= metrics["val_mAP"] <= 1
    cams = tmp_path / "cams.h5"
    extract_cams.run(index, out / "model.pt", "train", 0, 1, {"method": "spcam", "scales": [1.0], "flip": True},
                     cams, device="cpu", superpixels=sp["train"], spn_sizes=[48, 64])
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
    prepare_data.run("demo", str(tmp_path / "raw"), tmp_path / "data")
    index = str(tmp_path / "data" / "index.json")
    s = dict(SETTINGS, method="cam")
    out = tmp_path / "clf"
    train_classifier.run(index, "train", s, 1, 48, out / "model.pt", out / "log.csv", out / "m.json", out / "c.png",
                         device="cpu")
    with pytest.raises(SystemExit, match="spcam needs an spn"):
        extract_cams.run(index, out / "model.pt", "train", 0, 1, {"method": "spcam", "scales": [1.0], "flip": False},
                         tmp_path / "cams.h5", device="cpu")
