"""select_reliable: manifest of the K least scattered (most reliable) annotations per class.

    python -m stages.select_reliable --scores pseudo/shard_*.scores.json --k 300 --out reliable.json
"""
from __future__ import annotations

from wsss import cli
from wsss.io.files import read_json, write_json
from wsss.ops.reliability import select_top_k


def get_args_parser():
    ap = cli.parser(__doc__)
    ap.add_argument("--scores", nargs="+", required=True)
    ap.add_argument("--k", type=int, default=None, help="per class; omit to keep every annotation")
    ap.add_argument("--out", required=True)
    return ap


def run(args):
    k, scores = args.k, {}
    for p in args.scores:
        scores.update({i: {int(c): s for c, s in v.items()} for i, v in read_json(p).items()})
    per_class = select_top_k(scores, k)
    ids = sorted({i for v in per_class.values() for i in v})
    write_json(args.out, {"k": k, "n_candidates": len(scores), "n_selected": len(ids),
                     "per_class": {str(c): v for c, v in per_class.items()}, "ids": ids})
    print(f"selected {len(ids)} of {len(scores)} annotations (k={k})")


def main(argv=None):
    return run(get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
