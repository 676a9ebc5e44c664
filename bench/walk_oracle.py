"""The random-walk oracle: PSA's walk of a localizer's maps with PERFECT semantic affinities, to locate
what limits a refiner (the affinity network, or the maps it starts from).

    python bench/walk_oracle.py --index results/voc12/data/index.json \
        --cams results/voc12/cams/<cam set>/train_*.h5 [--split train_gt] [--refined cams/<rw set>/train_*.h5]

The affinity features of each stride-8 cell are its ground-truth class distribution (void and padding
excluded) times a large constant, so exp(-mean_c |f_i - f_j|) is 1 inside a class region and ~0 across
a class boundary; everything else is PSA's walk as `cam_rw` runs it (wsss.ops.random_walk.refine:
radius 5, beta 8, 2^8 steps, background (1 - max)^16, the argmax). The walk then spreads each map only
within the true regions, so its labels are the best any affinity network can give these maps. It uses
the ground truth of the images it labels: a diagnosis, never a setting (nothing is tuned on it).
--refined scores a refiner's own maps beside it, at its own rule (--refined-threshold).
--checkpoint walks the same maps with a trained AffinityNet's affinities (a `random_walk` refiner's
model.pt, its radius / beta / logt) at each --alpha, to separate the walk's power from the network:

    python bench/walk_oracle.py --index ... --cams ... --checkpoint results/voc12/refiners/<rw set>/model.pt \
        --alpha 16 2.19
"""
import argparse
from contextlib import nullcontext

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from wsss.data.dataset import Index
from wsss.io.files import read_image, read_label
from wsss.io.h5store import ShardReader
from wsss.ops.metrics import ConfusionAccumulator
from wsss.ops.random_walk import IGNORE, refine
from wsss.ops.thresholds import thresholded
from wsss.refiners import load_trained

SHARPNESS = 1000.0  # different classes: exp(-1000 * 2 / 21) ~ 1e-41


def oracle_features(gt: np.ndarray, n_classes: int, stride: int) -> torch.Tensor:
    """(1, n_classes, h, w): each stride-`stride` cell's distribution of ground-truth classes, times SHARPNESS
    (a cell with no labelled pixel is all zeros: cut off from every labelled cell)."""
    H, W = gt.shape
    g = np.pad(gt, ((0, -H % stride), (0, -W % stride)), constant_values=IGNORE)
    onehot = np.zeros((n_classes, *g.shape), np.float32)
    valid = g != IGNORE
    onehot[g[valid], *np.nonzero(valid)] = 1
    counts = F.avg_pool2d(torch.from_numpy(onehot)[None], stride, stride) * stride * stride
    return SHARPNESS * counts / counts.sum(1, keepdim=True).clamp_min(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--cams", nargs="+", required=True, help="the localizer's map shards (max-normalised maps)")
    ap.add_argument("--refined", nargs="*", default=[], help="a refiner's map shards, scored beside the oracle")
    ap.add_argument("--refined-threshold", type=float, default=0.5,
                    help="the refiner's own rule: 0.5 is PSA's argmax (cam_rw), 0.25 IRN's (cam_irn)")
    ap.add_argument("--split", default="train_gt")
    ap.add_argument("--stride", type=int, default=8)
    ap.add_argument("--radius", type=int, default=5)
    ap.add_argument("--beta", type=float, default=8)
    ap.add_argument("--logt", type=int, default=8)
    ap.add_argument("--alpha", type=float, nargs="+", default=[16], help="the walked background's power(s)")
    ap.add_argument("--checkpoint", help="a random_walk refiner's model.pt: its learned walk beside the oracle's")
    a = ap.parse_args()
    index = Index(a.index)
    torch.set_num_threads(1)
    learned = load_trained(a.checkpoint, "random_walk", " (--checkpoint)") if a.checkpoint else None
    cms = {}
    for alpha in a.alpha:
        cms[f"oracle walk, alpha {alpha:g}"] = ConfusionAccumulator(index.n_classes)
        if learned:
            cms[f"learned walk, alpha {alpha:g}"] = ConfusionAccumulator(index.n_classes)
    if a.refined:
        cms["refiner's walk"] = ConfusionAccumulator(index.n_classes)
    n = 0
    with ShardReader(a.cams) as maps, (ShardReader(a.refined) if a.refined else nullcontext()) as refined:
        for image_id in tqdm(index.splits[a.split], desc="walk oracle"):
            if image_id not in maps:
                continue
            cams, class_ids = maps.cam(image_id)
            gt = read_label(index.masks[image_id])
            for alpha in a.alpha:
                walked = refine(cams.astype(np.float32), oracle_features(gt, index.n_classes, a.stride), gt.shape,
                                a.stride, a.radius, a.beta, a.logt, alpha)
                cms[f"oracle walk, alpha {alpha:g}"].add(gt, thresholded(walked, class_ids, 0.5))
                if learned:
                    refiner, model, settings = learned
                    walked = refiner.refine(model, read_image(index.images[image_id]), cams.astype(np.float32),
                                            class_ids, {**settings, "alpha": alpha}, "cpu")
                    cms[f"learned walk, alpha {alpha:g}"].add(gt, thresholded(walked, class_ids, 0.5))
            if refined is not None:
                cms["refiner's walk"].add(gt, thresholded(*refined.cam(image_id), a.refined_threshold))
            n += 1
    print(f"{n} images of {a.split}; PSA's walk (radius {a.radius}, beta {a.beta:g}, 2^{a.logt} steps, "
          f"stride {a.stride}) at PSA's argmax (0.5); the refiner's maps at {a.refined_threshold:g}")
    print("| affinities | mIoU % | object pixels labelled background % | foreground labels on background % |")
    print("|---|---|---|---|")
    for name, cm in cms.items():
        r = cm.result()
        print(f"| {name} | {100 * r['miou']:.1f} | {100 * r['object_as_background']:.1f} | "
              f"{100 * r['foreground_on_background']:.1f} |")


if __name__ == "__main__":
    main()
