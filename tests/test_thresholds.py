"""The threshold protocol (Otsu, no ground truth) and the oracle sweep, on known answers."""
import json

import numpy as np
import pytest

from stages import threshold_rule, threshold_sweep
from tests.test_stage_units import tiny_index
from wsss.io.h5store import ShardWriter, write_cam
from wsss.ops.thresholds import BINS, Sweep, map_histogram, otsu, thresholded


def test_otsu_splits_two_modes():
    values = np.concatenate([np.full(1000, 0.1), np.full(300, 0.7)])
    t = otsu(np.histogram(values, bins=BINS, range=(0, 1))[0])
    assert 0.1 < t < 0.7
    # every split between the modes separates them perfectly; Otsu takes the first: right above 0.1's bin
    assert t == (int(0.1 * BINS) + 1) / BINS


def test_thresholded_is_the_pseudo_label_rule():
    maps = np.array([[[0.9, 0.2], [0.1, 0.6]], [[0.3, 0.8], [0.05, 0.5]]], np.float32)
    np.testing.assert_array_equal(thresholded(maps, [4, 9], 0.4), [[4, 9], [0, 4]])
    np.testing.assert_array_equal(thresholded(maps, [4, 9], 0.7), [[4, 9], [0, 0]])


def test_sweep_peaks_at_the_right_threshold():
    gt = np.array([[1, 1, 0, 0]], np.uint8)
    maps = np.array([[[0.9, 0.6, 0.4, 0.1]]], np.float32)  # object 0.6-0.9, background 0.1-0.4
    sweep = Sweep(2, thresholds=[0.2, 0.5, 0.8])
    sweep.add(gt, maps, [1])
    # 0.2: background pixel 0.4 called object (IoU 2/3 and 1/2); 0.5: exact; 0.8: object pixel 0.6 lost
    assert sweep.miou() == pytest.approx([7 / 12, 1.0, 7 / 12])


def test_rule_reads_no_ground_truth_and_sweep_marks_the_oracle(tmp_path):
    gt = np.zeros((8, 8), np.uint8)
    gt[2:6, 2:6] = 1
    index = tiny_index(tmp_path, {"i1": gt}, {"i1": [1]}, split="val")
    maps = np.where(gt[None] == 1, 0.8, 0.2).astype(np.float32)
    cams = tmp_path / "c.h5"
    with ShardWriter(cams) as w:
        write_cam(w, "i1", maps, [1])
    assert map_histogram(maps).sum() == 64
    threshold_rule.main(["--cams", str(cams), "--out", str(tmp_path / "t.json")])
    t = json.loads((tmp_path / "t.json").read_text())["threshold"]
    assert 0.2 < t < 0.8
    threshold_sweep.main(["--index", index, "--cams", str(cams), "--protocol", str(tmp_path / "t.json"),
                          "--json", str(tmp_path / "s.json"), "--png", str(tmp_path / "s.png")])
    s = json.loads((tmp_path / "s.json").read_text())
    assert s["protocol_miou"] == pytest.approx(1.0) and s["oracle_miou"] == pytest.approx(1.0)
    assert 0.2 <= s["oracle_threshold"] < 0.8 and (tmp_path / "s.png").stat().st_size > 0
    threshold_sweep.main(["--index", index, "--cams", str(cams), "--protocol", "0.9",
                          "--json", str(tmp_path / "s.json"), "--png", str(tmp_path / "s.png")])
    assert json.loads((tmp_path / "s.json").read_text())["protocol_miou"] < 1.0  # a fixed constant above the object


def test_background_seeds_keep_away_from_foreground_seeds():
    from wsss.io.files import IGNORE
    from wsss.ops.annotate import annotate

    cams = np.zeros((1, 20, 40), np.float32)
    cams[0, 8:12, 5:9] = 0.9                   # a discriminative part: the foreground seed
    plain = annotate(cams, [3], 0.5, background_threshold=0.2)
    assert (plain[8:12, 5:9] == 3).all() and (plain == 0).sum() == 20 * 40 - 16
    away = annotate(cams, [3], 0.5, background_threshold=0.2, background_margin=0.25)   # 5 px of the 20 px side
    assert (away[8:12, 5:9] == 3).all()
    assert (away[10, 10:14] == IGNORE).all() and away[10, 15] == 0   # within 5 px: unlabelled; beyond: background
    assert away[0, 39] == 0
    none = annotate(np.zeros((1, 8, 8), np.float32), [3], 0.5, background_threshold=0.2, background_margin=0.25)
    assert (none == 0).all()                   # no foreground seed: nothing to keep away from
