"""A trained classifier's val mAP with whole images resized to each given side: how much a small input
(e.g. HCP's 96 px hypothesis crops on a CPU) costs a network that sees the image at its training size.

    python bench/input_size_map.py --index results/voc12/data/index.json \
        --checkpoint results/voc12/classifiers/<set>/model.pt [--localizer cam] [--sizes 320 96]

The scores are the localizer's own image logits (Localizer.image_logits), as train_classifier's val mAP.
"""
import argparse

import numpy as np
import torch
from tqdm import tqdm

from wsss.data.dataset import Index
from wsss.io.artifacts import load_torch
from wsss.io.files import read_image
from wsss.localizers import get_localizer
from wsss.ops.metrics import mean_average_precision


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--checkpoint", required=True, help="train_classifier's model.pt")
    ap.add_argument("--localizer", default="cam", help="classifier.method of the checkpoint")
    ap.add_argument("--split", default="val")
    ap.add_argument("--sizes", type=int, nargs="+", default=[320, 96])
    a = ap.parse_args()
    torch.set_num_threads(1)
    index = Index(a.index)
    localizer = get_localizer(a.localizer)
    state = load_torch(a.checkpoint, "classifier checkpoint")
    model = localizer.build(state["settings"], state["n_fg"], pretrained=False)
    model.load_state_dict(state["model"])
    model.eval()
    ids = index.splits[a.split]
    targets = np.array([index.multi_hot(i) for i in ids])
    print(f"| input side (px) | {a.split} mAP % ({len(ids)} images) |\n|---|---|")
    for size in a.sizes:
        with torch.no_grad():
            scores = [localizer.image_logits(model, read_image(index.images[i]), size, "cpu")
                      for i in tqdm(ids, desc=f"{size} px")]
        print(f"| {size} | {100 * mean_average_precision(np.array(scores), targets):.1f} |")


if __name__ == "__main__":
    main()
