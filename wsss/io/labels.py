"""Locate per-image label PNGs spread over shard directories."""
from __future__ import annotations

from pathlib import Path


def label_paths(dirs) -> dict[str, Path]:
    """image id -> PNG path, over every given shard directory."""
    out = {}
    for d in dirs:
        for p in Path(d).glob("*.png"):
            out[p.stem] = p
    return out
