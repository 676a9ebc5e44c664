import numpy as np

from wsss.ops.annotate import annotate
from wsss.ops.superpixels import superpixel_mean
from stages.superpixels import superpixel_map


def test_superpixel_mean_matches_loop_reference():
    rng = np.random.default_rng(0)
    sp = rng.integers(0, 7, (9, 11))
    maps = rng.random((2, 9, 11)).astype(np.float32)
    ref = np.empty_like(maps)
    for k in range(2):
        for s in np.unique(sp):
            ref[k][sp == s] = maps[k][sp == s].mean()
    assert np.allclose(superpixel_mean(maps, sp), ref, atol=1e-6)


def test_slic_map_is_int32_and_covers_image():
    img = np.zeros((40, 60, 3), np.uint8)
    img[:, 30:] = 200
    sp = superpixel_map(img, n_segments=8, compactness=10)
    assert sp.dtype == np.int32 and sp.shape == (40, 60)
    assert sp.min() == 0 and len(np.unique(sp)) >= 2
    assert not set(np.unique(sp[:, :30])) & set(np.unique(sp[:, 30:]))  # no superpixel crosses the edge


def test_annotation_threshold_and_cleaning():
    cams = np.array([[[0.9, 0.2, 0.1]], [[0.1, 0.6, 0.2]]], np.float32)  # classes 5 and 12
    label = annotate(cams, [5, 12], threshold=0.3)
    assert label.tolist() == [[5, 12, 0]]  # argmax of labelled classes, background below threshold


def test_seeds_leave_the_band_between_the_thresholds_unlabelled():
    cams = np.array([[[0.9, 0.6, 0.3, 0.1],
                      [0.2, 0.1, 0.05, 0.0]],
                     [[0.1, 0.7, 0.2, 0.05],
                      [0.95, 0.3, 0.1, 0.0]]], np.float32)     # classes 5 and 12, a 2 x 4 image
    seeds = annotate(cams, [5, 12], threshold=0.5, background_threshold=0.15)
    assert seeds.tolist() == [[5, 12, 255, 0],
                              [12, 255, 0, 0]]
    plain = annotate(cams, [5, 12], threshold=0.5)              # without the band: background
    assert plain.tolist() == [[5, 12, 0, 0], [12, 0, 0, 0]]
