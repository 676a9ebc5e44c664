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
from torch.utils.data import DataLoader, Dataset

from .dataset import Index
from .h5store import ShardReader
from .io_utils import read_image, write_json
from .models.cam_net import CAMNet
from .models.ficklenet import FickleNet
from .models.spn import SPN
from .plots import loss_curve
from .spn_data import DEFAULT_SIZES, ScaleBatchSampler, SPNTrainSet, pad_square, resample
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


def build(settings: dict, n_fg: int, pretrained=None):
    pretrained = settings["pretrained"] if pretrained is None else pretrained
    method = settings.get("method", "cam")
    if method == "spn":
        return SPN(settings["backbone"], n_fg, pretrained, settings.get("weights_path"))
    if method == "ficklenet":
        return FickleNet(settings["backbone"], n_fg, pretrained, settings.get("weights_path"), **settings["ficklenet"])
    return CAMNet(settings["backbone"], n_fg, pretrained, settings.get("weights_path"))


def load(path, device="cpu"):
    state = torch.load(path, map_location="cpu", weights_only=False)
    model = build(state["settings"], state["n_fg"], pretrained=False)
    model.load_state_dict(state["model"])
    return model.to(device).eval(), state


@torch.no_grad()
def mean_ap(model, index: Index, ids, crop: int, device, sp_reader=None) -> float:
    """Mean average precision of the classifier on `ids` (whole images at crop x crop).

    For an SPN the score is its SP branch, on the image padded to a square with its superpixels."""
    import cv2

    model.eval()
    scores, targets = [], []
    for image_id in ids:
        img = read_image(index.images[image_id])
        if isinstance(model, SPN):
            img, sp = resample(*pad_square(img, sp_reader.get(image_id)[0]), crop)
            logits = model(to_tensor(img)[None].to(device), torch.from_numpy(sp)[None].to(device))[0]
        else:
            logits = model(to_tensor(cv2.resize(img, (crop, crop), interpolation=cv2.INTER_LINEAR))[None].to(device))
        scores.append(torch.sigmoid(logits)[0].cpu().numpy())
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


def spn_loader(index, ids, sp_reader, batch_size, sizes, seed):
    data = SPNTrainSet(index, ids, sp_reader, seed)
    sampler = ScaleBatchSampler(len(data), batch_size, sizes, seed)

    def make(epoch):
        data.epoch = sampler.epoch = epoch
        return DataLoader(data, batch_sampler=sampler, num_workers=0)
    return make


def spn_step(model, batch, device):
    x, sp, y = batch
    return model.loss(x.to(device), sp.to(device), y.to(device))


def run(index_path, split, settings, epochs, crop, out, log, metrics, curve, device="auto", seed=0, eval_split="val",
        superpixels=(), spn_sizes=DEFAULT_SIZES):
    dev = pick_device(device)
    index = Index(index_path)
    ids = index.splits[split]
    torch.manual_seed(seed)
    model = build(settings, index.n_classes - 1)
    opt = make_optimizer(model, settings)
    sp_reader = ShardReader(superpixels) if superpixels else None
    if isinstance(model, SPN):
        if sp_reader is None:
            raise SystemExit("classifier.method: spn needs --superpixels (the superpixel shards of train and val)")
        make_loader, step = spn_loader(index, ids, sp_reader, settings["batch_size"], spn_sizes, seed), spn_step
    else:
        make_loader = shuffled_loader(ClassificationSet(index, ids, crop, seed), settings["batch_size"], seed)
        step = supervised_step(F.multilabel_soft_margin_loss)
    t0 = time.time()
    rows = fit(model, make_loader, step, opt, epochs=epochs, device=dev,
               work_dir=Path(out).parent / (Path(out).stem + ".resume"), seed=seed, desc="classifier", log_path=log)
    m = {"epochs": epochs, "final_loss": rows[-1]["loss"], "train_seconds": round(time.time() - t0, 1),
         "n_train_images": len(ids), "device": str(dev), "backbone": settings["backbone"],
         "method": settings.get("method", "cam"),
         f"{eval_split}_mAP": mean_ap(model, index, index.splits[eval_split], crop, dev, sp_reader)}
    finish(Path(out).parent / (Path(out).stem + ".resume"), out, model=model.cpu().state_dict(),
           settings=settings, n_fg=index.n_classes - 1, class_names=index.class_names)
    loss_curve(rows, curve, f"classifier ({settings['backbone']})")
    write_json(metrics, m)
    print(json.dumps(m))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--split", default="train")
    ap.add_argument("--superpixels", nargs="*", default=[], help="superpixel shards (SPN only)")
    ap.add_argument("--spn-sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="SPN training sizes")
    add_training_args(ap)
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    run(a.index, a.split, json.loads(a.settings), a.epochs, a.crop, a.out, a.log, a.metrics, a.curve, a.device, a.seed,
        superpixels=a.superpixels, spn_sizes=a.spn_sizes)


if __name__ == "__main__":
    main()
