"""IRN's inter-pixel relations: paths, boundary affinities, relation labels (known answers) and a walk
that fills a region and stops at a class boundary."""
import numpy as np
import pytest
import torch

from wsss.ops.inter_pixel import boundary_affinities, path_points, relation_labels
from wsss.ops.random_walk import IGNORE, offsets
from wsss.refiners import get_refiner


def test_paths_include_both_ends_and_stay_near_the_line():
    assert path_points(0, 3) == [(0, 0), (0, 1), (0, 2), (0, 3)]
    assert path_points(2, 2) == [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 1), (2, 2)]  # within 1 of the diagonal
    for dy, dx in offsets(10):
        pts = path_points(dy, dx)
        assert (0, 0) in pts and (dy, dx) in pts
        assert all(abs(y * dx - x * dy) / np.hypot(dy, dx) < 1 for y, x in pts)
    assert len(offsets(10)) == 152 and len(offsets(5)) == 34             # IRN's direction counts


def test_affinity_is_one_minus_the_strongest_boundary_on_the_path():
    b = torch.zeros(1, 6, 6)
    b[0, :, 3] = 0.8                                                     # a vertical boundary at column 3
    aff = boundary_affinities(b, 3)
    k_right = offsets(3).index((0, 2))
    assert aff[0, k_right, 2, 0] == 1.0                                  # (2,0) -> (2,2): no boundary crossed
    assert abs(float(aff[0, k_right, 2, 2]) - 0.2) < 1e-6                # (2,2) -> (2,4) crosses column 3
    assert aff[0, k_right, 2, 5] == 0.0                                  # the neighbour is outside: boundary 1


def test_relation_labels_known_answer():
    cams = np.array([[[0.9, 0.2, 0.01, 0.5]]], np.float32)               # one class, 1 x 4 pixels
    identity_crf = lambda img, probs: probs  # noqa: E731
    lab = relation_labels(np.zeros((1, 4, 3), np.uint8), cams, [7], identity_crf)
    # > 0.30: the class; < 0.05: background; between: ignored
    assert lab.tolist() == [[7, IGNORE, 0, 7]]


class _Wall(torch.nn.Module):
    """A boundary net stub: a strong boundary on the middle column of the stride-4 grid."""
    def forward(self, x):
        h, w = -(-x.shape[-2] // 4), -(-x.shape[-1] // 4)
        out = torch.full((x.shape[0], h, w), -20.0)
        out[:, :, w // 2] = 20.0
        return out


def test_walk_fills_the_region_and_stops_at_the_boundary():
    irn = get_refiner("irn")
    cams = np.zeros((1, 32, 64), np.float32)
    cams[0, 12:20, 4:10] = 1.0                                           # a seed in the left half
    out = irn.refine(_Wall(), np.zeros((32, 64, 3), np.uint8), cams, [1], {"walk_radius": 5, "beta": 10, "logt": 8},
                     "cpu")[0]
    assert out[:, :28].min() > 0.25 * out.max()                          # the left half is filled ...
    assert out[:, 40:].max() < 0.05 * out.max()                          # ... and nothing crosses the wall


def test_step_trains_only_the_branch():
    irn = get_refiner("irn")
    torch.manual_seed(0)
    net = irn.build({"backbone": "mobilenet_v2", "pretrained": False, "radius": 10}).train()
    loss = irn.step(net, (torch.randn(2, 3, 64, 64), torch.randint(0, 3, (2, 64, 64))), "cpu")
    loss.backward()
    assert torch.isfinite(loss) and net.out.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in net.features.parameters())
    backbone, head = net.param_groups()
    assert backbone == [] and len(head) > 0


def test_levels_land_on_the_stride4_cells_they_cover():
    """A stride-16 level holding each cell's centre (pixel coordinates) on the stride-4 grid of a 375 x 500
    image: every stride-4 cell gets its own centre, 4i + 1.5, up to the borders (IRN's upsample-and-crop;
    a resize of 24 -> 94 rows would drift by up to 9 px at the bottom)."""
    from wsss.models.irn_net import to_stride4

    rows = torch.arange(24, dtype=torch.float32) * 16 + 7.5                # centres of the 24 stride-16 rows
    level = rows.view(1, 1, 24, 1).expand(1, 1, 24, 32).contiguous()
    out = to_stride4(level, 375, (94, 125))[0, 0, :, 0]
    assert out.shape == (94,)
    inner = torch.arange(2, 92)                                           # away from the clamped border cells
    torch.testing.assert_close(out[inner], inner * 4 + 1.5)


def test_short_levels_are_padded_not_stretched():
    from wsss.models.irn_net import to_stride4

    level = torch.arange(23, dtype=torch.float32).view(1, 1, 23, 1).expand(1, 1, 23, 2).contiguous()
    out = to_stride4(level, 375, (94, 8))                                 # floor-sized (VGG): 23 x 4 = 92 < 94
    assert out.shape == (1, 1, 94, 8)
    assert torch.equal(out[0, 0, 92:, 0], out[0, 0, 91:92, 0].expand(2))


def test_constants_rescaled_to_the_maps_otsu_threshold(half_maps):
    from wsss.refiners.irn import scaled_constants

    settings = {"fg": 0.30, "bg": 0.05, "constants": "otsu", "reference_threshold": 0.15}
    # two populations, 0 and 0.9: Otsu splits right after the first bin, t = 1/256
    out = scaled_constants(half_maps(["a", "b"], 0.9), ["a", "b", "not_in_the_reader"], settings)
    t = 1 / 256
    assert out["fg"] == pytest.approx(0.30 * t / 0.15) and out["bg"] == pytest.approx(0.05 * t / 0.15)
    assert scaled_constants(None, [], out) is out                                        # resolved once
    assert scaled_constants(None, [], {**settings, "constants": "paper"})["fg"] == 0.30   # the paper's: reads nothing
    big = scaled_constants(half_maps(["a"], 0.9), ["a"], {**settings, "reference_threshold": 0.0001})
    assert big["fg"] == 0.95 and big["bg"] == 0.95                                       # capped below 1
