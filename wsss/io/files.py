"""Atomic writes and image / label-map I/O shared by all stages.

Every artifact is written under a temporary name in the same directory and renamed
into place, so a killed job never leaves a file that looks complete.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from wsss.errors import BadInputError

IGNORE = 255
PAD = 254  # label of a training crop's padding: outside the image (losses that care tell it from IGNORE)


def remove_stale_tmp(path: Path) -> None:
    """Delete `.<name>.*.tmp` siblings a killed writer of `path` left behind (one writer per artifact)."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)


def free_space(path: Path) -> str:
    try:
        return f"{shutil.disk_usage(path).free / 2 ** 30:.2f} GiB free on its filesystem"
    except OSError:
        return "free space unknown"


def _is_write_failure(e: BaseException) -> bool:
    """A full disk, quota, read-only or permission error (torch reports a full disk as 'enforce fail')."""
    if isinstance(e, OSError):
        return e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES)
    return isinstance(e, RuntimeError) and ("enforce fail" in str(e) or "file write failed" in str(e))


@contextlib.contextmanager
def atomic_path(path, is_dir: bool = False):
    """Yield a temporary path next to `path`; rename it onto `path` only on success.

    Stale temporaries of an earlier killed writer are removed first; a failed write says how much
    space the target filesystem has left (a full disk otherwise surfaces as an obscure library error)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_tmp(path)
    if is_dir:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    else:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o755 if is_dir else 0o644)  # mkstemp/mkdtemp create private files
        if is_dir and path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException as e:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        if _is_write_failure(e):
            raise BadInputError(f"{path}: writing it failed ({e}); {free_space(path.parent)}. Free space or "
                                "fix the permissions of that directory, then rerun.") from e
        raise


def write_json(path, obj) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=1, sort_keys=False))


def read_json(path):
    with open(path) as f:
        return json.load(f)


def read_image(path) -> np.ndarray:
    """Decode an RGB image to uint8 HxWx3, naming the file if it is unreadable."""
    try:
        with Image.open(path) as im:
            im.load()
            return np.asarray(im.convert("RGB"))
    except FileNotFoundError:
        raise BadInputError(f"{path}: image file is missing. Check the dataset root in config.yaml "
                            f"or re-run prepare_data.") from None
    except Exception as e:  # PIL raises many types for truncated/corrupt files
        raise BadInputError(f"{path}: cannot decode image ({e}). The file is corrupt or truncated; "
                            f"re-download it or remove its id from the image list.") from None


def read_label(path) -> np.ndarray:
    """Read a palette/greyscale label PNG as its raw indices (uint8 HxW)."""
    try:
        with Image.open(path) as im:
            if im.mode not in ("P", "L"):
                raise BadInputError(f"{path}: label map has mode {im.mode}; expected a palette (P) or "
                                    f"greyscale (L) PNG holding class indices.")
            return np.asarray(im)
    except BadInputError:
        raise
    except FileNotFoundError:
        raise BadInputError(f"{path}: label file is missing.") from None
    except Exception as e:
        raise BadInputError(f"{path}: cannot decode label map ({e}). The file is corrupt or truncated: restore it "
                            "from the dataset archive (or, for a file the DAG wrote, delete it and rerun).") from None


def voc_palette() -> list[int]:
    """The standard PASCAL VOC colour map (256 entries, 255 = void is cream-white)."""
    pal = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal += [r, g, b]
    return pal


_PALETTE = voc_palette()


def write_label(path, label: np.ndarray) -> None:
    """Write a label map (uint8 class indices, 255 = ignore) as a VOC-palette PNG, atomically."""
    im = Image.fromarray(label.astype(np.uint8), mode="P")
    im.putpalette(_PALETTE)
    with atomic_path(path) as tmp:
        im.save(tmp, format="PNG")


def colorize(label: np.ndarray) -> np.ndarray:
    pal = np.asarray(_PALETTE, dtype=np.uint8).reshape(256, 3)
    return pal[label]
