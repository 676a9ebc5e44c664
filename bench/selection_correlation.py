"""Mean pairwise correlation of single-selection FickleNet Grad-CAMs of a trained classifier, for the
mean (Selvaraju) and the element-wise (FickleNet) Grad-CAM on the same selections: near 1 means the
stochastic selections barely differ, so N cannot matter.

    python bench/selection_correlation.py --index results/demo/data/index.json \
        --checkpoint results/demo/classifiers/<ficklenet>/model.pt [--images 60] [--n 50] [--device cuda]
"""
import argparse

import numpy as np
import torch

from wsss.data.dataset import Index
from wsss.data.transforms import to_tensor
from wsss.io.files import read_image
from wsss.localizers import load_classifier
from wsss.ops.stochastic_cams import selection_correlation


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--images", type=int, default=60)
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    model, _, _ = load_classifier(a.checkpoint, a.device)
    index = Index(a.index)
    out = {"mean": [], "elementwise": []}
    g = torch.Generator(device=a.device).manual_seed(0)
    for image_id in index.splits["train"][: a.images]:
        x = to_tensor(read_image(index.images[image_id]))[None].to(a.device)
        with torch.no_grad():
            f = model.feature_map(x)
        idx = [c - 1 for c in index.labels[image_id]]
        for kind in out:
            out[kind].append(selection_correlation(model, f, idx, a.n, kind, g))
    for kind, v in out.items():
        print(f"{kind} Grad-CAM: mean pairwise correlation of {a.n} single-selection maps over {len(v)} images: "
              f"{np.mean(v):.3f}")


if __name__ == "__main__":
    main()
