"""Each exit of a self-regulation DeepLab (wsss.losses.self_regulation) scored on its own, to locate what
a round trained with the losses learned: SR-F makes the shallowest exit's argmax a hard label of the
final exit (weight 1, no ignore), so where the shallow exit cannot segment, the final exit is pulled
towards its answer.

    python bench/sr_exits.py --index results/voc12/data/index.json \
        --checkpoint results/voc12/cam_sr/round1/model.pt [--split val] [--limit 0]

Prints per exit: mIoU, object pixels predicted background, foreground predictions on background, and
the share of pixels where the final exit agrees with the shallowest exit. Reads ground truth: a
diagnosis, never a setting. One scale, no flip (the round's prediction averages the flip).
"""
import argparse

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from wsss.data.dataset import Index
from wsss.data.transforms import to_tensor
from wsss.io.files import read_image, read_label
from wsss.ops.metrics import ConfusionAccumulator
from wsss.segmenters import load_segmenter

NAMES = ["final", "exit 1 (shallowest)", "exit 2", "exit 3", "exit 4"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--split", default="val")
    ap.add_argument("--limit", type=int, default=0, help="first N images only (0: all)")
    a = ap.parse_args()
    index = Index(a.index)
    model, _ = load_segmenter(a.checkpoint)
    if not getattr(model, "exits", None):
        raise SystemExit(f"{a.checkpoint}: not a DeepLab trained with segmentation.loss self_regulation (no exits)")
    ids = index.splits[a.split][: a.limit or None]
    accs = [ConfusionAccumulator(index.n_classes) for _ in NAMES]
    agree, total = 0, 0
    with torch.no_grad():
        for image_id in tqdm(ids, desc="exits"):
            img, gt = read_image(index.images[image_id]), read_label(index.masks[image_id])
            outs = model.exit_outputs(to_tensor(img)[None])
            preds = [F.interpolate(lo, size=gt.shape, mode="bilinear", align_corners=False)[0].argmax(0).numpy()
                     for lo, _ in outs]
            for acc, p in zip(accs, preds):
                acc.add(gt, p.astype(np.uint8))
            agree, total = agree + int((preds[0] == preds[1]).sum()), total + preds[0].size
    print(f"{len(ids)} images of {a.split}, {a.checkpoint}")
    print("| exit | mIoU % | object pixels predicted background % | foreground predictions on background % |")
    print("|---|---|---|---|")
    for name, acc in zip(NAMES, accs):
        r = acc.result()
        print(f"| {name} | {100 * r['miou']:.1f} | {100 * r['object_as_background']:.1f} | "
              f"{100 * r['foreground_on_background']:.1f} |")
    print(f"final exit = shallowest exit's argmax on {100 * agree / max(total, 1):.1f}% of pixels")


if __name__ == "__main__":
    main()
