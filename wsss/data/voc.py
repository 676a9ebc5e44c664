"""PASCAL VOC 2012 (+ SBD) in the VOCdevkit layout: split lists, SBD merge, image-level labels.

Splits the pipeline uses:
  train     images the classifier and the segmentation net learn from: train_aug
            (VOC train + SBD train + SBD val - VOC val, 10,582 ids) when SBD is there, else VOC train
  train_gt  VOC train (1,464): pseudo labels are scored on these, against the official masks
  val       VOC val (1,449): the segmentation net is scored here
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from wsss.errors import BadInputError
from wsss.io.files import IGNORE, read_image, read_label, write_label

CLASS_NAMES = ["background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
               "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant",
               "sheep", "sofa", "train", "tvmonitor"]

# Official sizes, used to plan shards before a download has happened.
OFFICIAL_SIZES = {"train": 10582, "train_gt": 1464, "val": 1449}


def read_list(path) -> list[str]:
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"{path}: image list is missing. Check the dataset root in config.yaml.")
    return [ln.split()[0] for ln in path.read_text().splitlines() if ln.strip()]


def split_ids(voc_root, sbd_root=None) -> dict[str, list[str]]:
    """Ids of each pipeline split, from list files only (fast enough to call when planning the DAG)."""
    seg = Path(voc_root) / "ImageSets" / "Segmentation"
    train, val = read_list(seg / "train.txt"), read_list(seg / "val.txt")
    if sbd_root and (Path(sbd_root) / "dataset" / "train.txt").is_file():
        d = Path(sbd_root) / "dataset"
        extra = set(read_list(d / "train.txt")) | set(read_list(d / "val.txt"))
        train_aug = sorted((set(train) | extra) - set(val))
    else:
        train_aug = sorted(train)
    return {"train": train_aug, "train_gt": sorted(train), "val": sorted(val)}


def sbd_to_png(mat_path, png_path) -> None:
    """Convert one SBD `cls/<id>.mat` (GTcls.Segmentation) to a palette PNG."""
    from scipy.io import loadmat

    try:
        m = loadmat(mat_path, mat_dtype=True, squeeze_me=True, struct_as_record=False)
        seg = np.asarray(m["GTcls"].Segmentation).astype(np.uint8)
    except Exception as e:
        raise BadInputError(f"{mat_path}: cannot read SBD class mask ({e}).") from None
    write_label(png_path, seg)


def mask_path(image_id: str, voc_root, aug_dir) -> Path:
    """The VOC mask where it exists (it has the void boundary), else the SBD-converted one."""
    p = Path(voc_root) / "SegmentationClass" / f"{image_id}.png"
    return p if p.is_file() else Path(aug_dir) / f"{image_id}.png"


def merge_sbd(ids, voc_root, sbd_root, aug_dir) -> None:
    """Write SegmentationClassAug PNGs for the ids that have no VOC mask (skips ones already done)."""
    aug_dir = Path(aug_dir)
    aug_dir.mkdir(parents=True, exist_ok=True)
    todo = [i for i in ids if not (Path(voc_root) / "SegmentationClass" / f"{i}.png").is_file()
            and not (aug_dir / f"{i}.png").is_file()]
    for image_id in tqdm(todo, desc="SBD -> SegmentationClassAug", disable=not todo):
        mat = Path(sbd_root) / "dataset" / "cls" / f"{image_id}.mat"
        if not mat.is_file():
            raise BadInputError(f"{mat}: SBD mask for {image_id} is missing although it is in SBD's lists.")
        sbd_to_png(mat, aug_dir / f"{image_id}.png")


def check_mask(mask: np.ndarray, mpath, image_path, n_classes: int) -> list[int]:
    """Validate one mask against its image; return the image-level labels (classes >= 1)."""
    with Image.open(image_path) as im:
        w, h = im.size
    if mask.shape != (h, w):
        raise BadInputError(f"{mpath}: mask is {mask.shape[1]}x{mask.shape[0]} but its image {image_path} is "
                            f"{w}x{h}. The mask belongs to another image or was resized; restore the original.")
    vals = np.unique(mask)
    bad = [int(v) for v in vals if v >= n_classes and v != IGNORE]
    if bad:
        raise BadInputError(f"{mpath}: label values {bad} are outside 0..{n_classes - 1} and 255 (void). "
                            f"The PNG must hold class indices (a palette PNG), not colours.")
    return [int(v) for v in vals if 0 < v < n_classes]


def build_index(ids_by_split, image_dir, mask_of, class_names) -> dict:
    """Image paths, mask paths and image-level labels for every id; images with no class are
    dropped from the training splits (a CAM classifier cannot learn from them) with a warning."""
    all_ids = sorted({i for ids in ids_by_split.values() for i in ids})
    index = {"class_names": class_names, "images": {}, "masks": {}, "labels": {}, "skipped": {}}
    for image_id in tqdm(all_ids, desc="index + label check"):
        ipath = Path(image_dir) / f"{image_id}.jpg"
        if not ipath.is_file():
            raise BadInputError(f"{ipath}: image listed in the split files is missing.")
        read_image(ipath)  # decoded in full once: a truncated JPEG stops here, not after training
        mpath = mask_of(image_id)
        mask = read_label(mpath)
        index["images"][image_id] = str(ipath)
        index["masks"][image_id] = str(mpath)
        index["labels"][image_id] = check_mask(mask, mpath, ipath, len(class_names))
    splits = {}
    for split, ids in ids_by_split.items():
        keep = [i for i in ids if index["labels"][i] or split == "val"]
        for i in sorted(set(ids) - set(keep)):
            index["skipped"][i] = "no object class in the mask (only background/void)"
            warnings.warn(f"{index['masks'][i]}: no object class; left out of split '{split}'")
        splits[split] = keep
        if not keep:
            raise BadInputError(f"split '{split}' is empty: {len(ids)} listed, {len(ids) - len(keep)} dropped as "
                                "background-only. Check the split's list file and its masks.")
    index["splits"] = splits
    return index
