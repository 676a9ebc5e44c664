"""Where an SPN's SP classifier puts its scores, for each (train_gt image, labelled class): the share of
superpixels scoring > 0, the mean score on superpixels that are mostly the object vs entirely background,
and the AUC of ranking object superpixels above background ones (0.5 = no localisation).

    python bench/spn_superpixel_scores.py --index results/demo/data/index.json \
        --checkpoint results/demo/classifiers/<spn>/model.pt --superpixels results/demo/superpixels/train_*.h5 \
        --sizes 96 128 160 192 [--images 60]
"""
import argparse

import numpy as np

from wsss.data.dataset import Index
from wsss.io.files import read_image, read_label
from wsss.io.h5store import ShardReader
from wsss.localizers import load_classifier
from wsss.localizers.spn import superpixel_scores


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--superpixels", nargs="+", required=True)
    ap.add_argument("--sizes", type=int, nargs="+", required=True)
    ap.add_argument("--images", type=int, default=60)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    model, _, _ = load_classifier(a.checkpoint, a.device)
    index = Index(a.index)
    sp_reader = ShardReader(a.superpixels)
    positive, object_share, obj_mean, bg_mean, auc = [], [], [], [], []
    for image_id in index.splits["train_gt"][: a.images]:
        img, sp = read_image(index.images[image_id]), sp_reader.get(image_id)[0]
        gt = read_label(index.masks[image_id])
        best, _ = superpixel_scores(model, img, sp, a.sizes, True, a.device)
        n = sp.max() + 1
        size = np.maximum(np.bincount(sp.ravel(), minlength=n), 1)
        for c in index.labels[image_id]:
            frac = np.bincount(sp.ravel(), (gt == c).ravel(), minlength=n) / size
            s = best[c - 1]
            obj, bg = frac > 0.5, frac == 0
            positive.append((s > 0).mean())
            object_share.append(obj.mean())
            if obj.any() and bg.any():
                obj_mean.append(s[obj].mean())
                bg_mean.append(s[bg].mean())
                auc.append((s[obj][:, None] > s[bg][None, :]).mean())
    print(f"{len(positive)} (image, class) pairs: superpixels scoring > 0: {np.mean(positive):.2f}; "
          f"superpixels mostly the object: {np.mean(object_share):.3f}")
    print(f"mean score on object superpixels {np.mean(obj_mean):.2f} vs background ones {np.mean(bg_mean):.2f}; "
          f"AUC of object-over-background ranking {np.mean(auc):.3f}")


if __name__ == "__main__":
    main()
