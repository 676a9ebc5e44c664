import numpy as np
import pytest

from wsss.ops.reliability import class_scatter, perimeter, scatter, select_top_k


def test_square_scatter_is_16():
    m = np.zeros((20, 20), bool)
    m[5:15, 5:15] = True
    assert perimeter(m) == 40
    assert scatter(m) == pytest.approx(16.0)


def test_square_touching_border_counts_border_edges():
    m = np.zeros((10, 10), bool)
    m[:4, :4] = True
    assert perimeter(m) == 16


def test_fragmented_mask_is_more_scattered():
    one = np.zeros((30, 30), bool)
    one[0:10, 0:10] = True
    two = np.zeros((30, 30), bool)
    two[0:5, 0:10] = True
    two[20:25, 10:20] = True
    assert scatter(two) == pytest.approx(60 ** 2 / 100)  # two 5x10 blocks: perimeter 30 each
    assert scatter(two) > scatter(one)


def test_missing_class_is_infinitely_scattered():
    label = np.zeros((4, 4), np.uint8)
    assert class_scatter(label, [3]) == {3: float("inf")}


def test_top_k_per_class():
    scores = {"a": {1: 16.0}, "b": {1: 20.0, 2: 18.0}, "c": {1: 17.0, 2: float("inf")}, "d": {2: 30.0}}
    assert select_top_k(scores, 2) == {1: ["a", "c"], 2: ["b", "d"]}
    assert select_top_k(scores, None)[1] == ["a", "c", "b"]
