"""Reading artifacts that may be damaged (truncated HDF5 shards, checkpoints, weights files).

A damaged file becomes a BadInputError that names it and the remedy. An intermediate artifact (one the
DAG writes: a shard, a model.pt) is moved aside to <name>.damaged first, so the next `snakemake` sees it
missing and reruns exactly the job that writes it; nothing else is deleted. Inputs the DAG does not
write (weights in the torch hub cache, dataset files) are left in place: the message says how to
replace them.
"""
from __future__ import annotations

import os
from pathlib import Path

from wsss.errors import BadInputError


def size_record(path) -> Path:
    path = Path(path)
    return path.with_name(f".{path.name}.size")


def record_size(path, size: int) -> None:
    """Remember the size of an artifact (HDF5 shard, model.pt) beside it, hidden. Written BEFORE the artifact
    is renamed into place, so a check never sees a new file with an old record (at worst it sees the old
    file with the new record, and rebuilds it)."""
    size_record(path).write_text(str(size))


def damaged_artifacts(root) -> list[Path]:
    """Artifacts under root whose size differs from the size recorded when they were written (truncated or
    overwritten): moved aside to <name>.damaged, so the same `snakemake` command rebuilds them."""
    moved = []
    for rec in sorted(Path(root).rglob(".*.size")):
        path = rec.with_name(rec.name[1:-len(".size")])
        if path.is_file() and str(path.stat().st_size) != rec.read_text().strip():
            moved.append(move_aside(path))
            rec.unlink()
    return moved


def move_aside(path) -> Path:
    aside = Path(f"{path}.damaged")
    os.replace(path, aside)
    return aside


def open_checked(path, opener, kind: str, artifact: bool = True, remedy: str = ""):
    """opener(path), or a BadInputError naming the file, what is wrong and the fix."""
    try:
        return opener(path)
    except BadInputError:
        raise
    except FileNotFoundError:
        raise BadInputError(f"{path}: {kind} is missing. {remedy or 'Rerun snakemake to build it.'}") from None
    except Exception as e:  # noqa: BLE001 -- h5py, zipfile and torch raise many types for a truncated file
        reason = f"{type(e).__name__}: {e}".splitlines()[0]
        if artifact and Path(path).is_file():
            aside = move_aside(path)
            raise BadInputError(f"{path}: damaged {kind} ({reason}). Moved to {aside}; rerun snakemake and the job "
                                "that writes it runs again.") from None
        raise BadInputError(f"{path}: damaged {kind} ({reason}). {remedy}") from None


def load_torch(path, kind: str = "checkpoint", artifact: bool = True, remedy: str = "", weights_only: bool = False):
    import torch

    return open_checked(path, lambda p: torch.load(p, map_location="cpu", weights_only=weights_only), kind,
                        artifact, remedy)
