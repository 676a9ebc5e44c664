"""Classifier recipe check: val mAP of a linear probe on the frozen ImageNet backbone vs trained classifiers.

    python bench/linear_probe.py --index results/voc12/data/index.json --crop 320 \
        --classifiers results/voc12/classifiers/*/metrics.json

The probe: GAP features of the frozen backbone (the classifier's own, stride 16) of every whole image
resized to crop x crop (train: the image and its flip), standardised, a linear layer with bias,
multi-label soft-margin loss. Two probes are printed:
- fixed: full-batch AdamW (lr 1e-2, weight decay 1e-4, 500 steps), the settings of the first version of
  this script; with 1,280 x 20 weights on 330 images it barely regularises;
- cv: an L2 penalty chosen from a fixed grid by 5-fold cross-validation ON THE TRAIN IMAGES (folds by
  image, the flip in its image's fold; score: mAP on the held-out fold), then fitted on all train images
  with L-BFGS (wsss/ops/linear_probe.py; the cam_probe localizer fits its CAM layer the same way).
  That is how a linear probe is normally run (CLIP's probes choose their C on a split of the
  training set); val is only scored, never used to choose anything.
Prints each probe's val mAP and each classifier's (from its metrics.json).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from wsss.data.dataset import Index  # noqa: E402
from wsss.models.backbones import build_backbone  # noqa: E402
from wsss.ops.linear_probe import cv_l2, fit_l2, image_features  # noqa: E402
from wsss.ops.metrics import mean_average_precision  # noqa: E402


def probe(xtr, ytr, steps=500):
    torch.manual_seed(0)
    layer = torch.nn.Linear(xtr.shape[1], ytr.shape[1])
    opt = torch.optim.AdamW(layer.parameters(), lr=1e-2, weight_decay=1e-4)
    mean, std = xtr.mean(0), xtr.std(0) + 1e-6
    for _ in range(steps):
        loss = F.multilabel_soft_margin_loss(layer((xtr - mean) / std), ytr)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return lambda x: layer((x - mean) / std)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--crop", type=int, default=320)
    ap.add_argument("--backbone", default="mobilenet_v2")
    ap.add_argument("--classifiers", nargs="*", default=[], help="metrics.json of trained classifiers")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    index = Index(a.index)
    net = build_backbone(a.backbone, True, dilate=False)[0].eval()
    t0 = time.time()
    xtr, ytr = image_features(net, index, index.splits["train"], a.crop, flip=True)
    xva, yva = image_features(net, index, index.splits["val"], a.crop, flip=False)
    n = len(index.splits["train"])

    def val_map(head):
        with torch.no_grad():
            return 100 * mean_average_precision(torch.sigmoid(head(xva)).numpy(), yva.numpy())

    print(f"linear probe, fixed settings ({a.backbone}, frozen, {n} train images x 2 flips): "
          f"val mAP {val_map(probe(xtr, ytr)):.1f}% ({time.time() - t0:.0f} s)")
    scores = cv_l2(xtr, ytr, views=2)
    best = max(scores, key=scores.get)
    print("  5-fold CV on train, held-out mAP per L2: " + ", ".join(f"{k:g}: {100 * v:.1f}" for k, v in scores.items()))
    print(f"linear probe, L2 {best:g} chosen by CV on train: val mAP {val_map(fit_l2(xtr, ytr, best)):.1f}% "
          f"({time.time() - t0:.0f} s)")
    for p in a.classifiers:
        c = json.loads(Path(p).read_text())
        print(f"{p}: {c.get('method')} {c.get('backbone')}, {c.get('iterations')} optimizer steps: val mAP {100 * c['val_mAP']:.1f}%")


if __name__ == "__main__":
    main()
