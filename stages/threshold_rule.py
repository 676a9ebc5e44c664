"""threshold_rule: the background threshold of a set of maps by the written rule (wsss.ops.thresholds:
Otsu on the pooled per-pixel max of the labelled classes' maps over the train images). Reads no
ground truth.

    python -m stages.threshold_rule --cams cams/cam_x/train_000.h5 cams/cam_x/train_001.h5 \
        --out cams/cam_x/threshold.json
"""
from __future__ import annotations

from wsss import cli
from wsss.io.files import write_json
from wsss.io.h5store import ShardReader
from wsss.ops.thresholds import BINS, otsu_of_maps


def get_args_parser():
    ap = cli.parser(__doc__)
    ap.add_argument("--cams", nargs="+", required=True, help="the CAM shards of the train split")
    ap.add_argument("--out", required=True)
    return ap


def run(args):
    with ShardReader(args.cams) as reader:
        t, hist = otsu_of_maps(reader)
    write_json(args.out, {"rule": "otsu", "threshold": t, "bins": BINS, "histogram": hist.tolist()})
    print(f"Otsu threshold of {len(args.cams)} shard(s): {t:.3f}")


def main(argv=None):
    return run(get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
