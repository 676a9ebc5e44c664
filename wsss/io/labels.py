"""Per-image label PNGs that the DAG writes (pseudo labels, predictions), spread over shard directories."""
from __future__ import annotations

from pathlib import Path

from wsss.errors import BadInputError
from wsss.io.artifacts import move_aside
from wsss.io.files import read_label


def label_paths(dirs) -> dict[str, Path]:
    """image id -> PNG path, over every given shard directory."""
    out = {}
    for d in dirs:
        for p in Path(d).glob("*.png"):
            out[p.stem] = p
    return out


def read_annotation(path):
    """read_label for a PNG the DAG wrote: a damaged one moves its whole shard directory (a Snakemake
    directory output) aside to <dir>.damaged, so the next snakemake reruns the job that writes it."""
    try:
        return read_label(path)
    except BadInputError as e:
        shard = Path(path).parent
        if not Path(path).is_file():
            raise
        aside = move_aside(shard)
        raise BadInputError(f"{e} Its shard directory was moved to {aside}; rerun snakemake and the job that "
                            "writes it runs again.") from None
