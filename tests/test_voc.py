"""The VOC reader on the real voc12-subset, the SBD merge on a fabricated SBD, and bad input."""

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

from stages import prepare_data
from wsss.data import voc
from wsss.errors import BadInputError
from wsss.io.files import read_image, read_label, write_label

prepare = prepare_data.main


def test_voc_subset_reader(voc_subset, tmp_path):
    index = prepare(["--dataset", "voc12", "--root", str(voc_subset), "--out", str(tmp_path / "data")])
    assert len(index["splits"]["train"]) == 330 and len(index["splits"]["val"]) == 231
    assert index["splits"]["train_gt"] == index["splits"]["train"]  # no SBD: train_aug falls back to VOC train
    lists = (tmp_path / "data" / "lists" / "val.txt").read_text().split()
    assert lists == index["splits"]["val"]
    # image-level labels are exactly the classes of the official mask
    some = index["splits"]["train"][0]
    mask = read_label(voc_subset / "SegmentationClass" / f"{some}.png")
    assert index["labels"][some] == sorted(int(v) for v in np.unique(mask) if 0 < v < 255)
    counts = np.zeros(21, int)
    for i in index["splits"]["train"]:
        counts[index["labels"][i]] += 1
    assert (counts[1:] > 0).all()  # every class appears in train


def _fake_voc(root, train, val, size=(8, 6)):
    (root / "JPEGImages").mkdir(parents=True)
    (root / "SegmentationClass").mkdir()
    (root / "ImageSets" / "Segmentation").mkdir(parents=True)
    for i, image_id in enumerate(train + val):
        Image.fromarray(np.full((size[1], size[0], 3), 100, np.uint8)).save(root / "JPEGImages" / f"{image_id}.jpg")
        m = np.zeros((size[1], size[0]), np.uint8)
        m[1:3, 1:3] = 1 + i % 20
        write_label(root / "SegmentationClass" / f"{image_id}.png", m)
    (root / "ImageSets" / "Segmentation" / "train.txt").write_text("\n".join(train) + "\n")
    (root / "ImageSets" / "Segmentation" / "val.txt").write_text("\n".join(val) + "\n")


def _fake_sbd(root, train, val, jpeg_dir, size=(8, 6)):
    d = root / "dataset"
    (d / "cls").mkdir(parents=True)
    for image_id in train + val:
        seg = np.zeros((size[1], size[0]), np.uint8)
        seg[2:5, 3:6] = 7
        savemat(d / "cls" / f"{image_id}.mat", {"GTcls": {"Segmentation": seg, "Boundaries": [], "CategoriesPresent": [7]}})
        if not (jpeg_dir / f"{image_id}.jpg").exists():
            Image.fromarray(np.zeros((size[1], size[0], 3), np.uint8)).save(jpeg_dir / f"{image_id}.jpg")
    (d / "train.txt").write_text("\n".join(train) + "\n")
    (d / "val.txt").write_text("\n".join(val) + "\n")


def test_sbd_merge_and_train_aug(tmp_path):
    voc_root, sbd_root = tmp_path / "VOC2012", tmp_path / "benchmark_RELEASE"
    _fake_voc(voc_root, ["a", "b"], ["v1", "v2"])
    # SBD overlaps VOC train (a) and VOC val (v1): v1 must stay out of train_aug
    _fake_sbd(sbd_root, ["a", "s1", "v1"], ["s2"], voc_root / "JPEGImages")
    ids = voc.split_ids(voc_root, sbd_root)
    assert ids["train"] == ["a", "b", "s1", "s2"]
    assert ids["train_gt"] == ["a", "b"] and ids["val"] == ["v1", "v2"]
    index = prepare(["--dataset", "voc12", "--root", str(voc_root), "--out", str(tmp_path / "out"),
                     "--sbd-root", str(sbd_root)])
    aug = tmp_path / "out" / "SegmentationClassAug"
    assert sorted(p.stem for p in aug.glob("*.png")) == ["s1", "s2"]  # VOC masks are used where they exist
    assert index["labels"]["s1"] == [7]
    assert index["masks"]["a"].endswith("SegmentationClass/a.png")
    assert Image.open(aug / "s1.png").mode == "P"


def test_mask_size_mismatch_names_file(tmp_path):
    root = tmp_path / "VOC2012"
    _fake_voc(root, ["a"], ["v"])
    write_label(root / "SegmentationClass" / "a.png", np.ones((3, 3), np.uint8))
    with pytest.raises(BadInputError, match=r"a\.png: mask is 3x3 but its image .*a\.jpg is 8x6"):
        prepare(["--dataset", "voc12", "--root", str(root), "--out", str(tmp_path / "out")])
    assert not (tmp_path / "out" / "index.json").exists()


def test_label_out_of_range_names_file(tmp_path):
    root = tmp_path / "VOC2012"
    _fake_voc(root, ["a"], ["v"])
    m = np.zeros((6, 8), np.uint8)
    m[0, 0] = 42
    write_label(root / "SegmentationClass" / "v.png", m)
    with pytest.raises(BadInputError, match=r"v\.png: label values \[42\] are outside 0\.\.20 and 255"):
        prepare(["--dataset", "voc12", "--root", str(root), "--out", str(tmp_path / "out")])


def test_image_without_class_is_skipped_from_train_with_warning(tmp_path, capsys):
    root = tmp_path / "VOC2012"
    _fake_voc(root, ["a", "b"], ["v"])
    write_label(root / "SegmentationClass" / "b.png", np.zeros((6, 8), np.uint8))
    index = prepare(["--dataset", "voc12", "--root", str(root), "--out", str(tmp_path / "out")])
    assert index["splits"]["train"] == ["a"] and "b" in index["skipped"]
    assert "b.png: no object class" in capsys.readouterr().out


def test_corrupt_jpeg_names_file(tmp_path):
    p = tmp_path / "broken.jpg"
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(p)
    p.write_bytes(p.read_bytes()[:200])
    with pytest.raises(BadInputError, match=r"broken\.jpg: cannot decode image"):
        read_image(p)


def test_not_a_voc_root(tmp_path):
    with pytest.raises(BadInputError, match="not a VOC2012 directory"):
        prepare(["--dataset", "voc12", "--root", str(tmp_path), "--out", str(tmp_path / "out")])
