"""DSRG: seeded region growing (connected, thresholds per fg/bg, argmax only), balanced seed loss,
boundary loss; against hand-made known answers."""
import numpy as np
import torch
import torch.nn.functional as F

from wsss.ops.dsrg import balanced_seed_loss, boundary_loss, grow

I = 255


def _probs(fg_map):
    """Two-class (background, class 1) probabilities from a foreground probability map."""
    fg = np.asarray(fg_map, np.float32)
    return np.stack([1 - fg, fg])


def test_growth_stays_connected_to_the_seed():
    fg = np.zeros((5, 7), np.float32)
    fg[1:4, 0:3] = 0.9     # blob touching the seed
    fg[1:4, 5:7] = 0.9     # confident but disconnected blob
    seeds = np.full((5, 7), I, np.int64)
    seeds[2, 1] = 1
    out = grow(seeds, _probs(fg), [1], fg_threshold=0.8, bg_threshold=0.99)
    assert (out[1:4, 0:3] == 1).all()
    assert (out[1:4, 5:7] == I).all()          # never reached
    assert (out[0] == I).all()                 # background had no seed


def test_thresholds_are_separate_for_foreground_and_background():
    fg = np.full((3, 6), 0.3, np.float32)      # P(bg) = 0.7 everywhere but the seeds' columns
    fg[:, :2] = 0.85
    seeds = np.full((3, 6), I, np.int64)
    seeds[1, 0], seeds[1, 5] = 1, 0
    low_bg = grow(seeds, _probs(fg), [1], fg_threshold=0.8, bg_threshold=0.6)
    assert (low_bg[:, :2] == 1).all() and (low_bg[:, 2:] == 0).all()
    high_bg = grow(seeds, _probs(fg), [1], fg_threshold=0.9, bg_threshold=0.75)
    assert (high_bg[:, :2] == np.array([[I, I], [1, I], [I, I]])).all()   # 0.85 < 0.9: no growth
    assert (high_bg[:, 2:5] == I).all() and high_bg[1, 5] == 0            # 0.7 < 0.75: no growth


def test_growth_needs_the_class_to_be_the_argmax_and_in_the_image():
    probs = np.zeros((3, 1, 4), np.float32)
    probs[1] = [[0.9, 0.45, 0.9, 0.9]]
    probs[2] = [[0.05, 0.5, 0.05, 0.05]]
    probs[0] = 1 - probs[1] - probs[2]
    seeds = np.array([[1, I, I, 2]])
    out = grow(seeds, probs, [1], fg_threshold=0.4, bg_threshold=0.9)
    assert out.tolist() == [[1, I, I, 2]]      # pixel 1: argmax is class 2 (not in the image)


def test_balanced_seed_loss_weights_fg_and_bg_equally():
    logits = torch.randn(1, 3, 2, 4)
    labels = torch.tensor([[[0, 0, 0, 0], [0, 0, 2, I]]])
    ce = F.cross_entropy(logits, labels, ignore_index=I, reduction="none")
    expected = ce[labels == 2].mean() + ce[labels == 0].mean()
    assert torch.allclose(balanced_seed_loss(logits, labels), expected)


def test_boundary_loss_is_kl_and_zero_at_the_crf_fixed_point():
    p = torch.softmax(torch.randn(2, 4, 3, 3), 1)
    assert boundary_loss(p, p).abs() < 1e-6
    q = torch.softmax(torch.randn(2, 4, 3, 3), 1)
    expected = (q * (q / p).log()).sum(1).mean()
    assert torch.allclose(boundary_loss(p, q), expected, atol=1e-6)
