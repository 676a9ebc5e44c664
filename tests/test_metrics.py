import numpy as np
import pytest

from wsss.ops.metrics import ConfusionAccumulator, confusion, scores


def test_known_answer_two_classes():
    gt = np.array([[0, 0, 1, 1]], np.uint8)
    pred = np.array([[0, 1, 1, 1]], np.uint8)
    r = scores(confusion(gt, pred, 2))
    # class 0: TP 1, FP 0, FN 1 -> 1/2; class 1: TP 2, FP 1, FN 0 -> 2/3
    assert r["iou"] == pytest.approx([0.5, 2 / 3])
    assert r["miou"] == pytest.approx((0.5 + 2 / 3) / 2)
    assert r["pixel_accuracy"] == pytest.approx(0.75)


def test_ignore_and_unlabelled_prediction():
    gt = np.array([[0, 1, 255, 1]], np.uint8)
    pred = np.array([[0, 255, 1, 1]], np.uint8)  # 255 predicted on a class-1 pixel = a miss, not an FP
    acc = ConfusionAccumulator(2)
    acc.add(gt, pred)
    r = acc.result()
    assert r["iou"] == pytest.approx([1.0, 0.5])
    assert r["pixel_accuracy"] == pytest.approx(2 / 3)


def test_sparse_seed_coverage_and_accuracy():
    gt = np.array([[0, 0, 1, 1, 1, 255]], np.uint8)
    pred = np.array([[0, 255, 1, 0, 255, 1]], np.uint8)  # 3 of 5 valid pixels labelled, 2 of them right
    acc = ConfusionAccumulator(2)
    acc.add(gt, pred)
    r = acc.result()
    assert r["labelled_fraction"] == pytest.approx(3 / 5)
    assert r["labelled_accuracy"] == pytest.approx(2 / 3)
    # of the 3 object pixels 1 is seeded as background; of the 1 foreground seed on valid gt, none is on background
    assert r["object_as_background"] == pytest.approx(1 / 3)
    assert r["foreground_on_background"] == pytest.approx(0.0)


def test_one_matrix_over_split_not_mean_of_images():
    acc = ConfusionAccumulator(2)
    acc.add(np.zeros((1, 10), np.uint8), np.zeros((1, 10), np.uint8))           # perfect, bg only
    acc.add(np.ones((1, 2), np.uint8), np.array([[1, 0]], np.uint8))            # one fg miss
    r = acc.result()
    assert r["iou"][0] == pytest.approx(10 / 11)
    assert r["iou"][1] == pytest.approx(1 / 2)


def test_absent_class_is_nan_and_left_out():
    r = scores(confusion(np.zeros((2, 2), np.uint8), np.zeros((2, 2), np.uint8), 3))
    assert r["iou"][1] is None and r["iou"][2] is None
    assert r["miou"] == 1.0


def test_gt_out_of_range_is_an_error():
    with pytest.raises(ValueError):
        confusion(np.full((1, 1), 5, np.uint8), np.zeros((1, 1), np.uint8), 3)
