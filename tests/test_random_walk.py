"""AffinityNet's pairs, labels and loss, and the random walk against a dense matrix power (PSA)."""
import numpy as np
import pytest
import torch

from wsss.ops import random_walk as rw


def test_offsets_are_psas_half_plane():
    off = rw.offsets(5)
    assert len(off) == 34 and (0, 0) not in off and len(set(off)) == 34
    assert all((dy > 0 or (dy == 0 and dx > 0)) and dy * dy + dx * dx < 25 for dy, dx in off)
    assert not any((-dy, -dx) in off for dy, dx in off)  # one of each pair


def test_pair_labels_known_answer():
    # a 1 x 4 strip: bg, bg, class 3, ignore; radius 2 has offsets (0, 1), (1, -1), (1, 0), (1, 1)
    label = torch.tensor([[[0, 0, 3, 255]]])
    bg, fg, neg = rw.pair_labels(label, 2)
    k = rw.offsets(2).index((0, 1))
    assert bg[0, k, 0].tolist() == [1, 0, 0, 0]  # (0,1) bg-bg
    assert neg[0, k, 0].tolist() == [0, 1, 0, 0]  # (1,2) bg-class
    assert fg.sum() == 0 and bg.sum() == 1 and neg.sum() == 1  # nothing else is inside or labelled


def test_maps_smaller_than_the_radius_and_low_precision_loss():
    f = torch.rand(1, 3, 2, 3)  # fewer cells than radius 5 reaches
    aff = rw.affinities(f, 5)
    bg, fg, neg = rw.pair_labels(torch.zeros(1, 2, 3, dtype=torch.long), 5)
    assert aff.shape == bg.shape == (1, 34, 2, 3) and bg.sum() == rw.inside(2, 3, 5).sum()
    with torch.autocast("cpu", dtype=torch.bfloat16):  # in bf16 1 + 1e-5 == 1: identical features as negatives
        loss = rw.affinity_loss(rw.affinities(torch.zeros(1, 3, 2, 3).bfloat16(), 5), bg, fg, neg + 1)
    assert torch.isfinite(loss) and loss.item() == pytest.approx(-np.log(1e-5) / 2, rel=0.05)


def test_affinities_and_loss():
    f = torch.zeros(1, 2, 3, 3)
    f[0, :, :, 2] = 1.0  # the last column differs by 1 in both channels
    aff = rw.affinities(f, 2)
    k = rw.offsets(2).index((0, 1))
    assert torch.allclose(aff[0, k, :, 0], torch.ones(3)) and torch.allclose(aff[0, k, :, 1], torch.full((3,), np.exp(-1.0)))
    label = torch.tensor([[[1, 1, 0], [1, 1, 0], [1, 1, 0]]])
    loss = rw.affinity_loss(aff, *rw.pair_labels(label, 2))
    assert loss.item() == pytest.approx(-np.log(1 + 1e-5 - np.exp(-1.0)) / 2, rel=1e-3)  # fg+ pairs: a = 1


def test_walk_equals_the_dense_matrix_power():
    torch.manual_seed(0)
    h, w, radius, beta, steps = 5, 6, 3, 8, 16
    aff = torch.rand(len(rw.offsets(radius)), h, w, dtype=torch.float64)
    trans = rw.transition(aff, radius, beta)
    dense = trans.to_dense()
    # the slow reference: A cell by cell (unit diagonal, each in-map pair both ways), T = A D^-1
    a = torch.eye(h * w, dtype=torch.float64)
    for k, (dy, dx) in enumerate(rw.offsets(radius)):
        for i in range(h):
            for j in range(w):
                if 0 <= i + dy < h and 0 <= j + dx < w:
                    a[i * w + j, (i + dy) * w + j + dx] = a[(i + dy) * w + j + dx, i * w + j] = aff[k, i, j] ** beta
    assert torch.allclose(dense, a / a.sum(0), atol=1e-12)
    maps = torch.rand(3, h, w, dtype=torch.float64)
    ref = (maps.reshape(3, -1) @ torch.linalg.matrix_power(dense, steps)).reshape(3, h, w)
    assert torch.allclose(rw.walk(maps, trans, steps), ref, atol=1e-10)


def test_walk_spreads_within_a_region_and_not_across_an_edge():
    """Two regions of different features: a seed in the left one spreads over it, not into the right."""
    f = torch.zeros(1, 4, 8, 8)
    f[0, :, :, 4:] = 5.0
    cams = np.zeros((1, 64, 64), np.float32)
    cams[0, :, :24] = 1.0  # the class covers 3 of the left region's 4 columns of cells
    m = rw.refine(cams, f, (64, 64), 8, radius=5, beta=8, logt=8, alpha=16)
    assert m.shape == (1, 64, 64)
    # the left region mixes: 3/4 of its mass is the class, the uncovered column included; the right gets none
    assert np.allclose(m[0, :, :28], 0.75, atol=0.02) and m[0, :, 24:28].min() > 0.7 and m[0, :, 36:].max() < 1e-3


def test_affinity_labels_follow_psas_rule():
    def fake_crf(img, probs):  # the identity: the labels come from the powers alone
        return probs
    cams = np.zeros((1, 4, 4), np.float32)
    cams[0, 0, 0], cams[0, 0, 1], cams[0, 0, 2] = 1.0, 0.9, 0.3
    label = rw.affinity_labels(None, cams, [7], fake_crf)
    # 1.0 and 0.9 beat (1 - cam)^4; 0.3 loses to 0.7^4 = 0.24? no: 0.3 > 0.24 -> class at la, but
    # 0.7^32 ~ 1e-5 < 0.3 -> not background at ha either: class 7. Zero cams: background at ha.
    assert label[0, :3].tolist() == [7, 7, 7] and label[1, 0] == 0
    cams[0, 0, 2] = 0.2  # 0.8^4 = 0.41 > 0.2 (not class) and 0.8^32 = 8e-4 < 0.2 (not background): don't care
    assert rw.affinity_labels(None, cams, [7], fake_crf)[0, 2] == rw.IGNORE


def test_power_threshold_is_where_psas_argmax_flips():
    assert rw.power_threshold(1) == pytest.approx(0.5)
    assert rw.power_threshold(16) == pytest.approx(0.1228, abs=1e-4)
    assert rw.threshold_power(rw.power_threshold(16)) == pytest.approx(16)
    assert rw.threshold_power(0.367) == pytest.approx(2.192, abs=1e-3)   # the LP-FT CAMs' Otsu threshold
    for alpha in (2.19, 16, 32):
        t = rw.power_threshold(alpha)
        cams = np.array([[[t - 1e-4, t + 1e-4]]], np.float32)
        assert rw.psa_background(cams, alpha).argmax(0).tolist() == [[0, 1]]   # background just below t only


def test_powers_moved_to_the_maps_otsu_threshold(half_maps):
    from wsss.refiners.random_walk import scaled_powers

    settings = {"alpha": 16, "la": 4, "ha": 32, "powers": "otsu"}
    out = scaled_powers(half_maps(["a", "b"], 0.9), ["a", "b"], settings)
    t = 1 / 256   # Otsu of two populations 0 and 0.9 (conftest.py)
    assert out["maps_threshold"] == pytest.approx(t) and rw.power_threshold(out["alpha"]) == pytest.approx(t)
    k = t / rw.power_threshold(16)
    assert rw.power_threshold(out["la"]) == pytest.approx(rw.power_threshold(4) * k)
    assert rw.power_threshold(out["ha"]) == pytest.approx(rw.power_threshold(32) * k)
    high = scaled_powers(half_maps(["a"], 0.9), ["a"], {**settings, "alpha": 1e5})     # k huge: la's edge capped
    assert rw.power_threshold(high["la"]) == pytest.approx(0.95)
    assert scaled_powers(None, [], out) is out                                   # resolved once, read nothing
    assert scaled_powers(None, [], {**settings, "powers": "paper"})["alpha"] == 16


def test_stored_maps_keep_psas_argmax_where_the_background_vanishes():
    # walked [bg; class a; class b]: the left pixel is an object's core at alpha 16 (bg ~0, b above a), the
    # middle one is background, the right one a near tie that float16 can still order
    walked = torch.tensor([[[1e-9, 0.8, 0.10]], [[0.3, 0.1, 0.500]], [[0.6, 0.2, 0.501]]])
    psa = walked.argmax(0)  # PSA's label: 0 = background, k = the k-th labelled class
    stored = rw.psa_label_maps(walked).astype(np.float16)  # the map files' dtype
    assert stored.max() <= 1
    labels = np.where(stored.max(0) > 0.5, stored.argmax(0) + 1, 0)
    assert labels.tolist() == psa.tolist() == [[2, 0, 2]]
    saturated = (walked[1:] / (walked[1:] + walked[:1])).numpy().astype(np.float16)  # the old w_k / (w_k + w_bg)
    assert saturated[0, 0, 0] == saturated[1, 0, 0] == 1  # both classes 1: the argmax fell to the first
    assert rw.psa_label_maps(torch.rand(1, 2, 3)).shape == (0, 2, 3)  # no labelled class: no maps
