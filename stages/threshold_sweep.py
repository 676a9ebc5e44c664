"""threshold_sweep: pseudo-label mIoU on train_gt at every background threshold (the ORACLE curve: it
reads the ground truth, so it only stands beside the protocol threshold, never replaces it).

    python -m stages.threshold_sweep --index results/demo/data/index.json --cams cams/cam_x/train_*.h5 \
        --protocol cams/cam_x/threshold.json --json eval/threshold_sweep.json --png report/threshold_sweep.png

The rule swept is the pseudo-label rule without refinement (wsss.ops.thresholds.thresholded).
"""
from __future__ import annotations

from tqdm import tqdm

from wsss import cli
from wsss.data.dataset import Index
from wsss.io.files import read_json, read_label, write_json
from wsss.io.h5store import ShardReader
from wsss.ops.thresholds import Sweep


def plot(thresholds, miou, protocol, protocol_miou, path, title):
    from wsss.plots import plt, save_figure

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(thresholds, [100 * m for m in miou], marker=".", label="sweep on train_gt (oracle)")
    best = max(range(len(miou)), key=lambda i: miou[i])
    ax.scatter([thresholds[best]], [100 * miou[best]], color="tab:red", zorder=3,
               label=f"oracle {thresholds[best]:.2f}: {100 * miou[best]:.1f}")
    ax.scatter([protocol], [100 * protocol_miou], color="tab:green", marker="s", zorder=3,
               label=f"protocol {protocol:.2f}: {100 * protocol_miou:.1f}")
    ax.set_xlabel("background threshold (max-normalised maps)")
    ax.set_ylabel("pseudo-label mIoU % (train_gt)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    save_figure(fig, path)


def get_args_parser():
    ap = cli.parser(__doc__)
    ap.add_argument("--index", required=True)
    ap.add_argument("--cams", nargs="+", required=True, help="the CAM shards of the train split")
    ap.add_argument("--protocol", required=True, help="threshold_rule JSON, or a number (a fixed rule)")
    ap.add_argument("--json", required=True)
    ap.add_argument("--png", required=True)
    ap.add_argument("--title", default="background threshold")
    return ap


def run(args):
    index = Index(args.index)
    fixed = args.protocol.replace(".", "", 1).isdigit()
    protocol = float(args.protocol) if fixed else read_json(args.protocol)["threshold"]
    sweep, at_protocol = Sweep(index.n_classes), Sweep(index.n_classes, [protocol])
    with ShardReader(args.cams) as reader:
        ids = [i for i in index.splits["train_gt"] if i in reader]
        for image_id in tqdm(ids, desc="threshold sweep"):
            maps, class_ids = reader.cam(image_id)
            gt = read_label(index.masks[image_id])
            sweep.add(gt, maps, class_ids)
            at_protocol.add(gt, maps, class_ids)
    miou = sweep.miou()
    best = max(range(len(miou)), key=lambda i: miou[i])
    protocol_miou = at_protocol.miou()[0] if ids else float("nan")
    write_json(args.json, {"rule": "plain: argmax of the labelled classes, background below the threshold "
                                   "(no refinement, no seed band)",
                           "thresholds": sweep.thresholds, "miou": miou, "n_images": len(ids),
                           "oracle_threshold": sweep.thresholds[best], "oracle_miou": miou[best],
                           "protocol_threshold": protocol, "protocol_miou": protocol_miou})
    plot(sweep.thresholds, miou, protocol, protocol_miou, args.png, args.title)
    print(f"protocol {protocol:.3f}: {100 * protocol_miou:.1f}; "
          f"oracle {sweep.thresholds[best]}: {100 * miou[best]:.1f}")


def main(argv=None):
    return run(get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
