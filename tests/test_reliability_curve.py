"""SPN Fig. 3a curve: known answer on hand-made annotations."""
import numpy as np

from stages.reliability_curve import curve


def test_curve_pools_the_top_k_of_every_class():
    per_class = {1: [(2.0, 0.5), (1.0, 0.9)], 2: [(0.5, 0.8)]}  # (scatter, IoU)
    ks, mean_iou, counts = curve(per_class)
    assert ks.tolist() == [1, 2] and counts.tolist() == [2, 3]
    assert np.allclose(mean_iou, [(0.9 + 0.8) / 2, (0.9 + 0.5 + 0.8) / 3])


def test_curve_of_nothing_is_empty():
    ks, mean_iou, counts = curve({})
    assert len(ks) == len(mean_iou) == len(counts) == 0
