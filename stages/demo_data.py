"""demo_data: generate the synthetic demo dataset (VOC layout); see wsss/data/demo.py for what it holds.

    python -m stages.demo_data --out data/demo --n-train 400 --n-val 60 --size 128 --marker data/demo/.complete
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from wsss.data.demo import generate


def get_args_parser():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--n-train", type=int, default=200)
    ap.add_argument("--n-val", type=int, default=60)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--marker", required=True, help="file written last, when generation completed")
    return ap


def run(args):
    t = time.time()
    generate(args.out, args.n_train, args.n_val, args.size, args.seed)
    Path(args.marker).write_text(json.dumps(vars(args)) + "\n")
    print(f"demo dataset: {args.n_train} train + {args.n_val} val images of {args.size}px in {time.time() - t:.1f}s")


def main(argv=None):
    return run(get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
