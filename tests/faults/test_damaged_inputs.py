"""Fault injection: damaged artifacts and bad datasets stop with the file's name and the fix."""
import h5py
import numpy as np
import pytest
import torch

from stages import prepare_data
from wsss.data import demo as demo_data
from wsss.errors import BadInputError
from wsss.io.h5store import ShardReader
from wsss.localizers import load_classifier
from wsss.models import backbones
from wsss.segmenters import load_segmenter


def truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def test_truncated_hdf5_shard_is_moved_aside_for_rebuild(tmp_path):
    shard = tmp_path / "train_000.h5"
    with h5py.File(shard, "w") as f:
        f.create_dataset("a", data=np.zeros((64, 64), np.float32))
    truncate(shard, 0.3)
    with pytest.raises(BadInputError, match=r"train_000.h5: damaged HDF5 shard .*rerun snakemake"):
        ShardReader([shard])
    assert not shard.exists() and (tmp_path / "train_000.h5.damaged").is_file()


@pytest.mark.parametrize("loader", [load_classifier, load_segmenter])
def test_truncated_model_checkpoint_is_moved_aside(tmp_path, loader):
    ckpt = tmp_path / "model.pt"
    torch.save({"model": {"w": torch.zeros(1000)}, "settings": {}}, ckpt)
    truncate(ckpt)
    with pytest.raises(BadInputError, match="model.pt: damaged .* checkpoint"):
        loader(ckpt)
    assert (tmp_path / "model.pt.damaged").is_file()


def test_truncated_weights_file_names_the_remedy_and_stays(tmp_path, monkeypatch):
    weights = tmp_path / "mobilenet_v2-b0353104.pth"
    torch.save({"w": torch.zeros(1000)}, weights)
    truncate(weights)
    monkeypatch.setattr(backbones, "weight_file", lambda name: weights)
    with pytest.raises(BadInputError, match="damaged mobilenet_v2 ImageNet weights file .*scripts/setup.sh"):
        backbones.load_imagenet_state("mobilenet_v2")
    assert weights.is_file()  # not an artifact of the DAG: left for the user to replace


@pytest.fixture
def raw(tmp_path):
    demo_data.generate(tmp_path / "raw", n_train=6, n_val=2, size=32)
    return tmp_path / "raw"


def prepare(raw, out):
    return prepare_data.main(["--dataset", "demo", "--root", str(raw), "--out", str(out)])


def test_truncated_jpeg_stops_prepare_data(raw, tmp_path):
    jpg = sorted((raw / "JPEGImages").glob("*.jpg"))[0]
    truncate(jpg, 0.4)
    with pytest.raises(BadInputError, match=rf"{jpg.name}: cannot decode image"):
        prepare(raw, tmp_path / "data")
    assert not (tmp_path / "data" / "index.json").exists()


def test_zero_byte_jpeg_is_a_clear_error(raw, tmp_path):
    jpg = sorted((raw / "JPEGImages").glob("*.jpg"))[-1]
    jpg.write_bytes(b"")
    with pytest.raises(BadInputError, match=rf"{jpg.name}: cannot decode image"):
        prepare(raw, tmp_path / "data")


def test_background_only_train_split_stops(raw, tmp_path):
    from wsss.io.files import read_label, write_label

    train = (raw / "ImageSets" / "Segmentation" / "train.txt").read_text().split()
    for i in train:
        mask = raw / "SegmentationClass" / f"{i}.png"
        write_label(mask, np.zeros_like(read_label(mask)))
    with pytest.raises(BadInputError, match=r"split 'train' is empty: 6 listed, 6 dropped as background-only"):
        prepare(raw, tmp_path / "data")


def test_empty_split_list_stops(raw, tmp_path):
    (raw / "ImageSets" / "Segmentation" / "train.txt").write_text("")
    with pytest.raises(BadInputError, match=r"split 'train' is empty: 0 listed"):
        prepare(raw, tmp_path / "data")
    assert not (tmp_path / "data" / "index.json").exists()


def test_damaged_label_png_moves_its_shard_directory_aside(tmp_path):
    from wsss.io.files import write_label
    from wsss.io.labels import read_annotation

    shard = tmp_path / "pseudo" / "shard_000"
    write_label(shard / "a.png", np.zeros((8, 8), np.uint8))
    (shard / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    assert read_annotation(shard / "a.png").shape == (8, 8)
    with pytest.raises(BadInputError, match=r"b.png: cannot decode label map .*moved to .*shard_000.damaged"):
        read_annotation(shard / "b.png")
    assert not shard.exists() and (tmp_path / "pseudo" / "shard_000.damaged" / "a.png").is_file()
