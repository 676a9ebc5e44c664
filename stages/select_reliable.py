"""select_reliable: manifest of the K least scattered (most reliable) annotations per class.

    python -m stages.select_reliable --scores pseudo/shard_*.scores.json --k 300 --out reliable.json
"""
from __future__ import annotations

import argparse

from .io_utils import read_json, write_json
from .reliability import select_top_k


def run(score_paths, k, out):
    scores = {}
    for p in score_paths:
        scores.update({i: {int(c): s for c, s in v.items()} for i, v in read_json(p).items()})
    per_class = select_top_k(scores, k)
    ids = sorted({i for v in per_class.values() for i in v})
    write_json(out, {"k": k, "n_candidates": len(scores), "n_selected": len(ids),
                     "per_class": {str(c): v for c, v in per_class.items()}, "ids": ids})
    print(f"selected {len(ids)} of {len(scores)} annotations (k={k})")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scores", nargs="+", required=True)
    ap.add_argument("--k", type=int, default=None, help="per class; omit to keep every annotation")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    run(a.scores, a.k, a.out)


if __name__ == "__main__":
    main()
