"""train_segmentation: a DeepLab net (cross-entropy or DSRG from seeds) or a DecoupledNet, trained on
(pseudo) label PNGs of the reliable subset.

    python -m stages.train_segmentation --index results/demo/data/index.json \
        --labels pseudo/shard_000 pseudo/shard_001 --manifest reliable.json \
        --settings '{"arch": "deeplab_mobilenet_v2", ...}' --epochs 10 --crop 128 \
        --out round1/model.pt --log round1/log.csv --metrics round1/train.json --curve round1/curve.png
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from .dataset import Index
from .dsrg import dsrg_loss
from .io_utils import IGNORE, read_image, read_json, read_label, write_json
from .labels import label_paths
from .models.decoupled_net import DecoupledNet
from .models.segmenters import build_segmenter
from .plots import loss_curve
from .training import add_training_args, finish, fit, make_optimizer, pick_device, shuffled_loader
from .transforms import augment, to_tensor


class SegmentationSet(Dataset):
    def __init__(self, index: Index, ids, labels: dict, crop: int, seed: int):
        self.index, self.ids, self.labels, self.crop, self.seed, self.epoch = index, list(ids), labels, crop, seed, 0

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        image_id = self.ids[i]
        rng = np.random.default_rng([self.seed, self.epoch, i])
        img = read_image(self.index.images[image_id])
        label = read_label(self.labels[image_id])
        if label.shape != img.shape[:2]:
            raise ValueError(f"{self.labels[image_id]}: label {label.shape} does not match image {img.shape[:2]}")
        img, label = augment(img, label, self.crop, rng)
        return to_tensor(img), torch.from_numpy(label.astype(np.int64)), torch.from_numpy(self.index.multi_hot(image_id))


def load(path, device="cpu"):
    state = torch.load(path, map_location="cpu", weights_only=False)
    model = build_segmenter(state["settings"]["arch"], state["n_classes"], pretrained=False)
    model.load_state_dict(state["model"])
    return model.to(device).eval(), state


def segmentation_step(settings: dict):
    """DeepLab: pixel-wise cross-entropy, or DSRG's losses from seeds (loss: dsrg);
    DecoupledNet: its classification + figure-ground losses."""
    def step(model, batch, device):
        x, label, targets = (t.to(device) for t in batch)
        if isinstance(model, DecoupledNet):
            return model.loss(x, label, targets)
        if settings.get("loss") == "dsrg":
            return dsrg_loss(model, x, label, targets, settings["dsrg"])
        return F.cross_entropy(model(x), label, ignore_index=IGNORE)
    return step


def run(index_path, label_dirs, manifest, settings, epochs, crop, out, log, metrics, curve, device="auto", seed=0):
    dev = pick_device(device)
    index = Index(index_path)
    labels = label_paths(label_dirs)
    ids = read_json(manifest)["ids"] if manifest else sorted(labels)
    missing = [i for i in ids if i not in labels]
    if missing:
        raise SystemExit(f"{len(missing)} ids of {manifest} have no label PNG in {label_dirs}, e.g. {missing[:3]}")
    data = SegmentationSet(index, ids, labels, crop, seed)
    torch.manual_seed(seed)
    model = build_segmenter(settings["arch"], index.n_classes, settings["pretrained"], settings.get("weights_path"))
    opt = make_optimizer(model, settings)
    work = Path(out).parent / (Path(out).stem + ".resume")
    t0 = time.time()

    rows = fit(model, shuffled_loader(data, settings["batch_size"], seed), segmentation_step(settings), opt,
               epochs=epochs, device=dev, work_dir=work, seed=seed, desc="segmentation", log_path=log)
    finish(work, out, model=model.cpu().state_dict(), settings=settings, n_classes=index.n_classes)
    loss_curve(rows, curve, f"segmentation ({settings['arch']})")
    m = {"epochs": epochs, "final_loss": rows[-1]["loss"], "train_seconds": round(time.time() - t0, 1),
         "n_train_images": len(ids), "device": str(dev), "arch": settings["arch"]}
    write_json(metrics, m)
    print(json.dumps(m))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--labels", nargs="+", required=True, help="shard directories of label PNGs")
    ap.add_argument("--manifest", default=None, help="select_reliable output; omit to use every label")
    add_training_args(ap)
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    run(a.index, a.labels, a.manifest, json.loads(a.settings), a.epochs, a.crop, a.out, a.log, a.metrics,
        a.curve, a.device, a.seed)


if __name__ == "__main__":
    main()
