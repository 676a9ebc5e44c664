"""Classifier recipe check: val mAP of a linear probe on the frozen ImageNet backbone vs trained classifiers.

    python bench/linear_probe.py --index results/voc12/data/index.json --crop 320 \
        --classifiers results/voc12/classifiers/*/metrics.json

The probe: GAP features of the frozen backbone (the classifier's own, stride 16) of every whole image
resized to crop x crop (train: the image and its flip), standardised, a linear layer with bias,
multi-label soft-margin loss, full-batch AdamW (lr 1e-2, weight decay 1e-4, 500 steps). Those settings
are fixed here, never chosen on val. Prints the probe's val mAP and each classifier's (from its metrics.json).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from wsss.data.dataset import Index  # noqa: E402
from wsss.data.transforms import to_tensor  # noqa: E402
from wsss.io.files import read_image  # noqa: E402
from wsss.models.backbones import build_backbone  # noqa: E402
from wsss.ops.metrics import mean_average_precision  # noqa: E402


@torch.no_grad()
def features(net, index, ids, crop, flip):
    out, targets = [], []
    for image_id in ids:
        x = to_tensor(cv2.resize(read_image(index.images[image_id]), (crop, crop)))[None]
        views = [x, x.flip(-1)] if flip else [x]
        for v in views:
            out.append(F.adaptive_avg_pool2d(net(v), 1).flatten())
            targets.append(torch.from_numpy(index.multi_hot(image_id)))
    return torch.stack(out), torch.stack(targets).float()


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
    xtr, ytr = features(net, index, index.splits["train"], a.crop, flip=True)
    xva, yva = features(net, index, index.splits["val"], a.crop, flip=False)
    head = probe(xtr, ytr)
    with torch.no_grad():
        m = mean_average_precision(torch.sigmoid(head(xva)).numpy(), yva.numpy())
    print(f"linear probe ({a.backbone}, frozen, {len(index.splits['train'])} train images x 2 flips): "
          f"val mAP {100 * m:.1f}% ({time.time() - t0:.0f} s)")
    for p in a.classifiers:
        c = json.loads(Path(p).read_text())
        print(f"{p}: {c.get('method')} {c.get('backbone')}, {c.get('epochs')} epochs: val mAP {100 * c['val_mAP']:.1f}%")


if __name__ == "__main__":
    main()
