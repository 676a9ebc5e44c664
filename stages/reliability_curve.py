"""reliability_curve: SPN Fig. 3a on our data -- annotation accuracy against the number selected
in reliability order.

    python -m stages.reliability_curve --index results/demo/data/index.json \
        --labels spn/pseudo/shard_000 --scores spn/pseudo/shard_000.scores.json --k 300 \
        --json spn/eval/reliability_curve.json --png spn/report/reliability_curve.png

Each (image, class) annotation on an image with ground truth gets its IoU with the ground-truth
mask of that class (255 ignored). Per class the annotations are sorted by scatter (least first,
as select_reliable does); the curve at k is the mean IoU of the k most reliable annotations of
every class pooled together. A falling curve means scatter ranks the annotations by quality.
"""
from __future__ import annotations

import numpy as np

from wsss import cli
from wsss.data.dataset import Index
from wsss.io.files import IGNORE, read_json, read_label, write_json
from wsss.io.labels import label_paths, read_annotation


def annotation_ious(index: Index, labels: dict, scores: dict) -> dict[int, list[tuple[float, float]]]:
    """class -> [(scatter, IoU)] over the annotations whose image has a ground-truth mask."""
    with_gt = set(index.splits["train_gt"])
    out: dict[int, list[tuple[float, float]]] = {}
    for image_id, by_class in scores.items():
        if image_id not in with_gt or image_id not in labels:
            continue
        gt, ann = read_label(index.masks[image_id]), read_annotation(labels[image_id])
        valid = gt != IGNORE
        for c, s in by_class.items():
            a, g = (ann == int(c)) & valid, (gt == int(c)) & valid
            union = (a | g).sum()
            out.setdefault(int(c), []).append((float(s), float((a & g).sum() / union) if union else 0.0))
    return out


def curve(per_class: dict[int, list[tuple[float, float]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(k = 1..max per class, mean IoU of the top-k of every class, number of annotations selected)."""
    ranked = [np.asarray([iou for _, iou in sorted(v)]) for v in per_class.values() if v]
    if not ranked:
        return np.zeros(0, int), np.zeros(0), np.zeros(0, int)
    ks = np.arange(1, max(len(r) for r in ranked) + 1)
    sums = np.zeros(len(ks))
    counts = np.zeros(len(ks), int)
    for r in ranked:
        c = np.cumsum(r)
        idx = np.minimum(ks, len(r)) - 1
        sums += c[idx]
        counts += idx + 1
    return ks, sums / counts, counts


def plot(ks, mean_iou, counts, k_selected, path, title):
    from wsss.plots import plt, save_figure

    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(counts, 100 * mean_iou)
    if k_selected and len(ks) and k_selected <= ks[-1]:
        x = counts[k_selected - 1]
        ax.axvline(x, color="gray", ls="--", lw=1)
        ax.annotate(f"K={k_selected}/class", (x, 100 * mean_iou[k_selected - 1]), fontsize=8)
    ax.set_xlabel("annotations selected, in reliability order")
    ax.set_ylabel("mean annotation IoU (%)")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    save_figure(fig, path)


def get_args_parser():
    ap = cli.parser(__doc__)
    ap.add_argument("--index", required=True)
    ap.add_argument("--labels", nargs="+", required=True, help="shard directories of annotation PNGs")
    ap.add_argument("--scores", nargs="+", required=True, help="their per-image scatter JSONs")
    ap.add_argument("--k", type=int, default=None, help="the configured K, marked on the plot")
    ap.add_argument("--json", required=True)
    ap.add_argument("--png", required=True)
    ap.add_argument("--title", default="annotation accuracy vs reliability")
    return ap


def run(args):
    index = Index(args.index)
    scores = {}
    for p in args.scores:
        scores.update(read_json(p))
    per_class = annotation_ious(index, label_paths(args.labels), scores)
    ks, mean_iou, counts = curve(per_class)
    write_json(args.json, {"k": ks.tolist(), "n_selected": counts.tolist(), "mean_iou": mean_iou.tolist(),
                           "n_annotations": int(sum(len(v) for v in per_class.values())), "k_config": args.k})
    plot(ks, mean_iou, counts, args.k, args.png, args.title)
    if len(ks):
        print(f"mean IoU of the most reliable annotation per class {100 * mean_iou[0]:.1f}%, "
              f"of all {counts[-1]}: {100 * mean_iou[-1]:.1f}%")


def main(argv=None):
    return run(get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
