"""Compare every metrics JSON of two results trees (e.g. before / after a refactor, same seed).

    python bench/compare_metrics.py ../before/results/demo results/demo

Files are matched by their path below each root; classifier metrics (under hash-named directories)
by (method, backbone, final loss). Timing fields are ignored.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

IGNORED = {"train_seconds", "seconds", "peak_rss_mb", "title"}  # costs differ run to run


def load(root: Path) -> dict:
    out = {}
    for p in sorted(root.rglob("*.json")):
        rel = p.relative_to(root)
        if rel.parts[0] in ("classifiers", "cams", "data") or "scores" in p.name:
            continue
        out[str(rel)] = json.loads(p.read_text())
    for p in sorted((root / "classifiers").glob("*/metrics.json")):
        m = json.loads(p.read_text())
        out[f"classifiers/{m['method']}:{m['backbone']}:{m.get('final_loss')}"] = m
    return out


def added_keys(a, b) -> set:
    """Top-level fields only one side has (a version may add fields, e.g. train.json "loss"): reported."""
    return (set(a) ^ set(b)) - IGNORED if isinstance(a, dict) and isinstance(b, dict) else set()


def same(a, b) -> bool:
    """Equal on every field both sides have (timings ignored); added fields are reported by added_keys."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = (set(a) & set(b)) - IGNORED
        return all(same(a.get(k), b.get(k)) for k in keys)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    a = ap.parse_args(argv)
    before, after = load(a.before), load(a.after)
    common = sorted(set(before) & set(after))
    differ = [k for k in common if not same(before[k], after[k])]
    for k in sorted(set(before) ^ set(after)):
        print(f"only in {'before' if k in before else 'after'}: {k}")
    for k in differ:
        print(f"DIFFERS: {k}")
    for k in common:
        if added_keys(before[k], after[k]):
            print(f"fields on one side only (not compared): {k}: {sorted(added_keys(before[k], after[k]))}")
    print(f"{len(common)} metrics files in both, {len(common) - len(differ)} identical, {len(differ)} differ; "
          f"{len(set(before) - set(after))} only before, {len(set(after) - set(before))} only after")
    return 1 if differ or set(before) ^ set(after) else 0


if __name__ == "__main__":
    raise SystemExit(main())
