"""IRN's walk of a localizer's maps through class boundaries of three origins, to locate what limits the
`irn` refiner: its learned boundaries, the walk, or the maps.

    python bench/boundary_walk.py --index results/voc12/data/index.json \
        --cams results/voc12/cams/<cam set>/train_*.h5 \
        [--checkpoint results/voc12/refiners/<irn set>/model.pt] [--maps-threshold 0.367] [--limit N] \
        [--sources hed gt]

Every row is IRN's walk as `cam_irn` runs it (wsss.ops.inter_pixel.boundary_walk: stride 4, radius 5,
beta 10, 2^8 steps, the maps times 1 - boundary) labelled by IRN's 0.25 rule (or --thresholds); only the
boundary map differs:
- learned: the `irn` refiner's BoundaryNet (--checkpoint), as its refine stage computes it;
- hed: HED's edge probabilities (BSDS500-trained, wsss.models.hed; the weights the HED superpixels use),
  max-pooled to stride 4, as they come (nothing scaled or thresholded). HED is trained on human-drawn
  edges: a boundary source outside image-level supervision, measured here as a diagnosis, not a method;
- gt: the ground truth's boundaries (void, or a label change to the right or below), max-pooled to
  stride 4: the best any boundary map can give these maps. It reads the ground truth of the images it
  labels: a diagnosis, never a setting (nothing is tuned on it).
--maps-threshold scores the unrefined maps at the protocol rule's threshold beside them; --thresholds
0.25 0.4 0.5 sweeps the walked maps' background threshold (an oracle read against the ground truth);
--otsu labels each walked set at its own Otsu threshold (the protocol rule, `cam_irn_otsu`'s).
"""
import argparse

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from wsss.data.dataset import Index
from wsss.io.files import IGNORE, read_image, read_label
from wsss.io.h5store import ShardReader
from wsss.ops.inter_pixel import boundary_walk
from wsss.ops.metrics import ConfusionAccumulator
from wsss.ops.thresholds import BINS, map_histogram, otsu, thresholded
from wsss.refiners import load_trained

STRIDE = 4


def at_stride(full: np.ndarray) -> torch.Tensor:
    """(H, W) boundary in [0, 1] -> (ceil(H / 4), ceil(W / 4)): the max of each cell (a thin edge survives)."""
    H, W = full.shape
    t = F.pad(torch.from_numpy(full.astype(np.float32))[None, None], (0, -W % STRIDE, 0, -H % STRIDE))
    return F.max_pool2d(t, STRIDE, STRIDE)[0, 0]


def gt_boundary(gt: np.ndarray) -> np.ndarray:
    """1 on void and where the label changes to the right or below, else 0."""
    b = gt == IGNORE
    b[:, :-1] |= gt[:, :-1] != gt[:, 1:]
    b[:-1] |= gt[:-1] != gt[1:]
    return b.astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--cams", nargs="+", required=True, help="the localizer's map shards (max-normalised maps)")
    ap.add_argument("--checkpoint",
                    help="an irn refiner's model.pt: its learned boundaries beside HED's and the truth's")
    ap.add_argument("--maps-threshold", type=float, help="score the unrefined maps at this threshold too")
    ap.add_argument("--thresholds", type=float, nargs="+", default=[0.25],
                    help="the walked maps' background threshold(s): 0.25 is IRN's rule (sem_seg_bg_thres); more "
                         "than one is a sweep read against the ground truth (an oracle, a diagnosis only)")
    ap.add_argument("--otsu", action="store_true",
                    help="also label each walked set at its own Otsu threshold (the protocol rule, no ground truth; "
                         "keeps the walked maps in memory, float16)")
    ap.add_argument("--split", default="train_gt")
    ap.add_argument("--limit", type=int, help="only the first N images of the split")
    ap.add_argument("--sources", nargs="+", choices=("hed", "gt"), default=["hed", "gt"],
                    help="boundaries besides the checkpoint's (HED costs a VGG16 pass per image)")
    a = ap.parse_args()
    from wsss.models.hed import edge_map, load_hed

    index = Index(a.index)
    torch.set_num_threads(1)
    hed = load_hed() if "hed" in a.sources else None
    learned = load_trained(a.checkpoint, "irn", " (--checkpoint)") if a.checkpoint else None
    names = (["maps"] if a.maps_threshold else []) + (["learned"] if learned else []) + list(a.sources)
    cms = {(k, t): ConfusionAccumulator(index.n_classes) for k in names
           for t in ([a.maps_threshold] if k == "maps" else a.thresholds)}
    ids = index.splits[a.split][:a.limit]
    n, kept, hists = 0, {}, {}
    with ShardReader(a.cams) as maps:
        for image_id in tqdm(ids, desc="boundary walk"):
            if image_id not in maps:
                continue
            cams, class_ids = maps.cam(image_id)
            cams = cams.astype(np.float32)
            img, gt = read_image(index.images[image_id]), read_label(index.masks[image_id])
            size = gt.shape
            if a.maps_threshold:
                cms["maps", a.maps_threshold].add(gt, thresholded(cams, class_ids, a.maps_threshold))
            walked = {}
            if learned:
                refiner, model, settings = learned
                walked["learned"] = refiner.refine(model, img, cams, class_ids, settings, "cpu")
            for name in a.sources:
                full = edge_map(hed, img) if name == "hed" else gt_boundary(gt)
                walked[name] = boundary_walk(cams, at_stride(full), size)
            for name, m in walked.items():
                for t in a.thresholds:
                    cms[name, t].add(gt, thresholded(m, class_ids, t))
                if a.otsu:
                    kept.setdefault(name, []).append((m.astype(np.float16), class_ids, gt))
                    hists[name] = hists.get(name, np.zeros(BINS, np.int64)) + map_histogram(m)
            n += 1
    for name, items in kept.items():  # the protocol rule: one threshold from the set's pooled histogram
        t = otsu(hists[name])
        cm = cms[name, f"Otsu {t:.3f}"] = ConfusionAccumulator(index.n_classes)
        for m, class_ids, gt in items:
            cm.add(gt, thresholded(m.astype(np.float32), class_ids, t))
    print(f"{n} images of {a.split}; IRN's walk (stride 4, radius 5, beta 10, 2^8 steps); IRN's rule is 0.25")
    print("| boundaries | threshold | mIoU % | object pixels labelled background % "
          "| foreground labels on background % |")
    print("|---|---|---|---|---|")
    for (name, t), cm in cms.items():
        r = cm.result()
        rule = t if isinstance(t, str) else f"{t:g}"
        print(f"| {name} | {rule} | {100 * r['miou']:.1f} | {100 * r['object_as_background']:.1f} | "
              f"{100 * r['foreground_on_background']:.1f} |")


if __name__ == "__main__":
    main()
