import numpy as np

from wsss.data.spn_data import ScaleBatchSampler, pad_square, resample


def test_pad_square_marks_padding():
    img = np.zeros((30, 50, 3), np.uint8)
    sp = np.arange(1500).reshape(30, 50) % 7
    img_sq, sp_sq = pad_square(img, sp)
    assert img_sq.shape == (50, 50, 3) and sp_sq.shape == (50, 50)
    assert (sp_sq[30:] == -1).all() and (sp_sq[:30] >= 0).all()


def test_resample_keeps_ids_contiguous_and_padding():
    sp = np.zeros((100, 100), np.int64)
    sp[:, 50:] = 5           # ids 0 and 5 -> must become 0 and 1
    sp[1, 1] = 9             # one pixel: not sampled by the nearest resampling (100 -> 50)
    sp[80:] = -1
    img = np.zeros((100, 100, 3), np.uint8)
    im, out = resample(img, sp, 200)
    assert im.shape == (200, 200, 3) and out.shape == (50, 50)
    assert set(np.unique(out).tolist()) == {-1, 0, 1}
    assert (out[41:] == -1).all()


def test_one_size_per_batch_and_deterministic():
    s = ScaleBatchSampler(10, 3, [250, 300, 500], seed=1)
    batches = list(s)
    assert len(batches) == 3 == len(s)
    for b in batches:
        assert len({size for _, size in b}) == 1
    assert batches == list(ScaleBatchSampler(10, 3, [250, 300, 500], seed=1))
