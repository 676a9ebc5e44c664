"""train_classifier: multi-label GAP classifier (the CAM network) from image-level labels.

    python -m stages.train_classifier --index results/demo/data/index.json --split train \
        --settings '{"backbone": "mobilenet_v2", ...}' --epochs 10 --crop 128 \
        --out model.pt --log log.csv --metrics metrics.json --curve curve.png
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
from .io_utils import read_image, write_json
from .models.cam_net import CAMNet
from .plots import loss_curve
from .training import (add_training_args, finish, fit, make_optimizer, pick_device, shuffled_loader,
                       supervised_step)
from .transforms import augment, to_tensor


class ClassificationSet(Dataset):
    def __init__(self, index: Index, ids, crop: int, seed: int):
        self.index, self.ids, self.crop, self.seed, self.epoch = index, list(ids), crop, seed, 0

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        image_id = self.ids[i]
        rng = np.random.default_rng([self.seed, self.epoch, i])
        img, _ = augment(read_image(self.index.images[image_id]), None, self.crop, rng)
        return to_tensor(img), torch.from_numpy(self.index.multi_hot(image_id))


def build(settings: dict, n_fg: int, pretrained=None) -> CAMNet:
    return CAMNet(settings["backbone"], n_fg, settings["pretrained"] if pretrained is None else pretrained,
                  settings.get("weights_path"))


def load(path, device="cpu") -> tuple[CAMNet, dict]:
    state = torch.load(path, map_location="cpu", weights_only=False)
    model = build(state["settings"], state["n_fg"], pretrained=False)
    model.load_state_dict(state["model"])
    return model.to(device).eval(), state


@torch.no_grad()
def mean_ap(model, index: Index, ids, crop: int, device) -> float:
    """Mean average precision of the classifier on `ids` (whole images resized to crop)."""
    import cv2

    model.eval()
    scores, targets = [], []
    for image_id in ids:
        img = read_image(index.images[image_id])
        img = cv2.resize(img, (crop, crop), interpolation=cv2.INTER_LINEAR)
        scores.append(torch.sigmoid(model(to_tensor(img)[None].to(device)))[0].cpu().numpy())
        targets.append(index.multi_hot(image_id))
    s, t = np.stack(scores), np.stack(targets)
    aps = []
    for c in range(t.shape[1]):
        if t[:, c].sum() == 0:
            continue
        order = np.argsort(-s[:, c])
        hits = t[order, c]
        prec = np.cumsum(hits) / (np.arange(len(hits)) + 1)
        aps.append(float((prec * hits).sum() / hits.sum()))
    return float(np.mean(aps)) if aps else float("nan")


def run(index_path, split, settings, epochs, crop, out, log, metrics, curve, device="auto", seed=0, eval_split="val"):
    dev = pick_device(device)
    index = Index(index_path)
    data = ClassificationSet(index, index.splits[split], crop, seed)
    torch.manual_seed(seed)
    model = build(settings, index.n_classes - 1)
    opt = make_optimizer(model, settings)
    t0 = time.time()
    rows = fit(model, shuffled_loader(data, settings["batch_size"], seed),
               supervised_step(F.multilabel_soft_margin_loss), opt, epochs=epochs, device=dev,
               work_dir=Path(out).parent / (Path(out).stem + ".resume"), seed=seed, desc="classifier", log_path=log)
    m = {"epochs": epochs, "final_loss": rows[-1]["loss"], "train_seconds": round(time.time() - t0, 1),
         "n_train_images": len(data), "device": str(dev), "backbone": settings["backbone"],
         f"{eval_split}_mAP": mean_ap(model, index, index.splits[eval_split], crop, dev)}
    finish(Path(out).parent / (Path(out).stem + ".resume"), out, model=model.cpu().state_dict(),
           settings=settings, n_fg=index.n_classes - 1, class_names=index.class_names)
    loss_curve(rows, curve, f"classifier ({settings['backbone']})")
    write_json(metrics, m)
    print(json.dumps(m))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--split", default="train")
    add_training_args(ap)
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    run(a.index, a.split, json.loads(a.settings), a.epochs, a.crop, a.out, a.log, a.metrics, a.curve, a.device, a.seed)


if __name__ == "__main__":
    main()
