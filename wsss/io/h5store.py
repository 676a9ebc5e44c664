"""HDF5 shards: one file per shard, written by one job, read-only for everyone else.

Layout of a CAM shard::

    attrs: method, scales, flip, backbone, class_names (JSON)
    /<image id>      float16 (K, H, W), attrs: class_ids (int, 1..C, background excluded)
    /<group>/<image id>  extra per-image arrays of the localizer (wsss.localizers: Maps.groups)

Layout of a superpixel shard::

    attrs: algorithm, n_segments, compactness
    /<image id>      int32 (H, W) superpixel index map
"""
from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from wsss.io.artifacts import open_checked, record_size
from wsss.io.files import atomic_path


class ShardWriter:
    """Collect datasets into a temp HDF5 file; it becomes visible only on `close(ok=True)`."""

    def __init__(self, path, attrs: dict | None = None):
        self.path = Path(path)
        self._ctx = atomic_path(self.path)
        self._tmp = self._ctx.__enter__()
        self._f = h5py.File(self._tmp, "w")
        for k, v in (attrs or {}).items():
            self.set_attr(k, v)

    def set_attr(self, key: str, value) -> None:
        self._f.attrs[key] = json.dumps(value) if isinstance(value, (dict, list, tuple)) else value

    def put(self, key: str, data: np.ndarray, attrs: dict | None = None, compress: bool = True):
        # one chunk per image (maps are read whole); byte-shuffle makes float16 compress well
        kw = dict(compression="gzip", compression_opts=6, shuffle=True, chunks=data.shape) if compress else {}
        ds = self._f.create_dataset(key, data=data, **kw)
        for k, v in (attrs or {}).items():
            ds.attrs[k] = v

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self._f.close()
        if exc_type is None:
            record_size(self.path, self._tmp.stat().st_size)
        self._ctx.__exit__(exc_type, exc, tb)
        return False


def write_cam(writer: ShardWriter, image_id: str, cams: np.ndarray, class_ids) -> None:
    writer.put(image_id, cams.astype(np.float16), {"class_ids": np.asarray(class_ids, dtype=np.int32)},
               compress=cams.size > 0)  # an image may have no class (SPN as a segmenter finds none)


class ShardReader:
    """Read-only access to one or more shards, looked up by image id."""

    def __init__(self, paths):
        self._files = [open_checked(p, lambda q: h5py.File(q, "r"), "HDF5 shard") for p in paths]
        self._where = {k: f for f in self._files for k, v in f.items() if isinstance(v, h5py.Dataset)}

    @property
    def attrs(self) -> dict:
        if not self._files:
            return {}
        out = {}
        for k, v in self._files[0].attrs.items():
            try:
                out[k] = json.loads(v) if isinstance(v, str) else v
            except json.JSONDecodeError:
                out[k] = v
        return out

    def __contains__(self, image_id):
        return image_id in self._where

    def keys(self):
        return self._where.keys()

    def get(self, image_id):
        ds = self._where[image_id]
        return ds[image_id][()], dict(ds[image_id].attrs)

    def cam(self, image_id, group=None):
        """(float32 maps K x H x W, class ids); group: read the image's maps from that group instead."""
        ds = self._where[image_id][group][image_id] if group else self._where[image_id][image_id]
        return ds[()].astype(np.float32), [int(c) for c in ds.attrs.get("class_ids", [])]

    def group_array(self, image_id, group):
        """An extra per-image array a localizer stored in `group` (e.g. FickleNet's `fired`), as float32."""
        return self._where[image_id][group][image_id][()].astype(np.float32)

    def close(self):
        for f in self._files:
            f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
