"""Bytes per image of the CAM store (float16, gzip+shuffle HDF5) vs float32 .npy of the same maps.

    python bench/cam_store_size.py results/demo/cam/cams/train_*.h5
"""
import io
import sys

import h5py
import numpy as np


def main(paths):
    n, h5_bytes, npy_bytes = 0, 0, 0
    for p in paths:
        with h5py.File(p, "r") as f:
            for key in f:
                maps = f[key][()].astype(np.float32)
                buf = io.BytesIO()
                np.save(buf, maps)
                npy_bytes += buf.getbuffer().nbytes
                n += 1
        h5_bytes += __import__("os").path.getsize(p)  # whole files: data, index and metadata
    print(f"{n} images in {len(paths)} shard(s)")
    print(f"HDF5 float16 store: {h5_bytes / n:,.0f} bytes/image")
    print(f"float32 .npy:       {npy_bytes / n:,.0f} bytes/image")
    print(f"ratio:              {h5_bytes / npy_bytes:.3f} (target <= 0.25)")


if __name__ == "__main__":
    main(sys.argv[1:])
