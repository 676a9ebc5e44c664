"""DSRG as the official code: growth on refined probabilities restricted to the image's classes,
8-connected, thresholds per fg/bg, seeds fixed, padding never grows or counts; per-image balanced
seed loss; clipped boundary loss; against hand-made known answers."""
import numpy as np
import torch
import torch.nn.functional as F

from wsss.io.files import PAD
from wsss.ops.dsrg import at_output, balanced_seed_loss, boundary_loss, grow

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


def test_growth_is_8_connected():
    fg = np.zeros((4, 4), np.float32)
    fg[[0, 1, 2, 3], [0, 1, 2, 3]] = 0.9       # a diagonal line
    seeds = np.full((4, 4), I, np.int64)
    seeds[0, 0] = 1
    out = grow(seeds, _probs(fg), [1], fg_threshold=0.8, bg_threshold=0.99)
    assert [out[i, i] for i in range(4)] == [1, 1, 1, 1]


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


def test_argmax_runs_over_the_images_classes_only():
    """Pixel 1's overall argmax is class 2, absent from the image: among the image's classes (0, 1)
    class 1 wins with 0.45 > 0.4, so it grows (the official layer restricts the argmax)."""
    probs = np.zeros((3, 1, 4), np.float32)
    probs[1] = [[0.9, 0.45, 0.9, 0.05]]
    probs[2] = [[0.05, 0.5, 0.05, 0.9]]
    probs[0] = 1 - probs[1] - probs[2]
    seeds = np.array([[1, I, I, I]])
    out = grow(seeds, probs, [1], fg_threshold=0.4, bg_threshold=0.9)
    assert out.tolist() == [[1, 1, 1, I]]      # the last pixel: class 1 at 0.05 is not confident


def test_padding_never_grows_and_does_not_connect():
    fg = np.full((1, 5), 0.95, np.float32)
    seeds = np.array([[1, I, PAD, I, I]])
    out = grow(seeds, _probs(fg), [1], fg_threshold=0.8, bg_threshold=0.99)
    assert out.tolist() == [[1, 1, PAD, I, I]]


def test_balanced_seed_loss_is_per_image_and_skips_padding():
    logits = torch.randn(2, 3, 2, 4)
    labels = torch.tensor([[[0, 0, 0, 0], [0, 0, 2, I]],
                           [[1, PAD, PAD, PAD], [I, I, I, I]]])
    ce = F.cross_entropy(logits, labels.masked_fill(labels == PAD, I), ignore_index=I, reduction="none")
    image0 = ce[0][labels[0] == 0].mean() + ce[0][labels[0] == 2].mean()
    image1 = ce[1][labels[1] == 1].mean()          # no background seeds: that part adds 0
    assert torch.allclose(balanced_seed_loss(logits, labels), (image0 + image1) / 2)


def test_boundary_loss_is_clipped_kl_over_valid_pixels():
    p = torch.softmax(torch.randn(2, 4, 3, 3), 1)
    assert boundary_loss(p, p).abs() < 1e-6
    q = torch.softmax(torch.randn(2, 4, 3, 3), 1)
    kl = (q * (q / p).clamp(0.05, 20).log()).sum(1)
    assert torch.allclose(boundary_loss(p, q), kl.mean(), atol=1e-6)
    valid = torch.zeros(2, 3, 3)
    valid[0, :2] = 1
    assert torch.allclose(boundary_loss(p, q, valid), kl[0, :2].mean(), atol=1e-6)


def test_labels_are_sampled_at_output_cell_centres():
    label = torch.arange(64).view(1, 8, 8)
    assert at_output(label, (2, 2)).tolist() == [[[18, 22], [50, 54]]]


def test_dsrg_step_runs_at_the_output_stride_with_padding():
    from wsss.losses import get_loss
    from wsss.models.deeplab import DeepLab
    torch.manual_seed(0)
    net = DeepLab("deeplab_mobilenet_v2", 3, pretrained=False).train()
    x = torch.randn(2, 3, 64, 64)
    seeds = torch.full((2, 64, 64), I, dtype=torch.long)
    seeds[:, :16, :16] = 1
    seeds[:, 40:, :] = 0
    seeds[1, :, 48:] = PAD
    targets = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    settings = {"fg_threshold": 0.85, "bg_threshold": 0.99,
                "crf": {"iterations": 5, "gauss_sxy": 0.25, "gauss_compat": 3, "bilat_sxy": 6.667, "bilat_srgb": 13,
                        "bilat_compat": 10, "unary": "neg_prob"}}
    loss = get_loss("dsrg")(net, x, seeds, targets, {"dsrg": settings})
    assert torch.isfinite(loss)
    loss.backward()
    assert net.head.parameters().__next__().grad is not None
    assert net.logits(x).shape[-2:] == (4, 4)   # stride 16: the losses run on this grid
