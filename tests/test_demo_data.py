"""The synthetic demo holds the premises its docstring claims (wsss/data/demo.py)."""
import numpy as np

from wsss.data import demo


def test_same_seed_same_sample_and_masks_match_the_classes():
    a_img, a_mask = demo.make_sample(7)
    b_img, b_mask = demo.make_sample(7)
    assert np.array_equal(a_img, b_img) and np.array_equal(a_mask, b_mask)
    assert a_img.shape == (192, 192, 3) and a_mask.shape == (192, 192)
    assert set(np.unique(a_mask)) <= set(range(len(demo.CLASS_NAMES)))
    assert not np.array_equal(a_img, demo.make_sample(8)[0])


def test_bodies_are_class_correlated_apart_from_background_and_follow_superpixels():
    stats = demo.premise_stats(n=30, n_superpixels=80)
    assert stats["bg_near_body"] < 0.02                  # background colours kept apart from bodies
    assert 0.5 < stats["body_hue_accuracy"] < 0.95       # body hue: class evidence, but ambiguous
    assert 2 <= stats["sp_per_object"] <= 8              # a few superpixels per object
    assert stats["sp_oracle_pixel_acc"] > 0.97           # superpixels align with the bodies
