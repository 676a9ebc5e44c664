import h5py
import numpy as np
import pytest

from wsss.io.h5store import ShardReader, ShardWriter, write_cam


def test_cam_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    maps = rng.random((2, 17, 23)).astype(np.float32)
    path = tmp_path / "cams.h5"
    with ShardWriter(path, {"method": "cam", "scales": [1.0, 0.5]}) as w:
        write_cam(w, "img1", maps, [3, 15])
    with ShardReader([path]) as r:
        got, cls = r.cam("img1")
        assert r.attrs["scales"] == [1.0, 0.5] and r.attrs["method"] == "cam"
    assert cls == [3, 15]
    assert got.shape == (2, 17, 23)
    assert np.abs(got - maps).max() < 1e-3  # float16 storage
    with h5py.File(path) as f:
        assert f["img1"].dtype == np.float16


def test_failed_writer_leaves_no_file(tmp_path):
    path = tmp_path / "cams.h5"
    with pytest.raises(RuntimeError):
        with ShardWriter(path) as w:
            w.put("a", np.zeros((2, 2), np.int32))
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_reader_over_several_shards(tmp_path):
    for k in range(2):
        with ShardWriter(tmp_path / f"s{k}.h5") as w:
            w.put(f"id{k}", np.full((3, 3), k, np.int32))
    with ShardReader(sorted(tmp_path.glob("*.h5"))) as r:
        assert sorted(r.keys()) == ["id0", "id1"]
        assert r.get("id1")[0].max() == 1
