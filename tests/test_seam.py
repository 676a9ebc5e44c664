"""SEAM: the pixel correlation module against a per-position reference, its seed, where its gradients
go, and the losses (ER, ECR with its top-20% mean, adaptive min-pooling) on known answers."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from wsss.localizers import get_localizer
from wsss.localizers.seam import max_norm, min_pool_loss, seam_losses, top_class_only, top_fraction_mean
from wsss.models.seam_net import pcm, pcm_seed


def test_pcm_matches_a_per_position_reference():
    torch.manual_seed(0)
    seed, feat = torch.rand(2, 4, 3, 5), torch.randn(2, 6, 3, 5)
    out = pcm(seed, feat)
    for b in range(2):
        f = feat[b].reshape(6, -1).T                       # (positions, D)
        s = seed[b].reshape(4, -1)
        for j in range(15):
            cos = torch.stack([F.relu(f[i] @ f[j] / (f[i].norm() + 1e-5) / (f[j].norm() + 1e-5)) for i in range(15)])
            expected = (s * cos).sum(1) / (cos.sum() + 1e-5)
            torch.testing.assert_close(out[b].reshape(4, -1)[:, j], expected, rtol=1e-4, atol=1e-5)


def test_pcm_of_identical_features_averages_the_seed():
    seed = torch.rand(1, 3, 2, 2)
    out = pcm(seed, torch.ones(1, 5, 2, 2))
    torch.testing.assert_close(out, seed.mean((2, 3), keepdim=True).expand_as(seed), rtol=1e-4, atol=1e-5)


def test_pcm_seed_known_answer():
    cam = torch.tensor([[[[2.0, -1.0]], [[1.0, 4.0]]]])      # 2 classes, 1x2 positions
    seed = pcm_seed(cam)
    # class 1: [2, 0] / 2 = [1, 0]; class 2: [1, 4] / 4 = [0.25, 1]; top class kept per position
    torch.testing.assert_close(seed[0, 1:], torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]]), atol=1e-4, rtol=0)
    torch.testing.assert_close(seed[0, 0], torch.tensor([[0.0, 0.0]]), atol=1e-4, rtol=0)
    assert not seed.requires_grad


def test_pcm_gradients_reach_only_its_convs():
    loc = get_localizer("seam")
    net = loc.build({"backbone": "mobilenet_v2", "pretrained": False, "seam": {"scale": 0.3, "ecr_fraction": 0.2}}, 3)
    _, rv = net.refined(torch.randn(1, 3, 64, 64))
    rv.sum().backward()
    for m in (net.reduce_mid, net.reduce_late, net.project):
        assert m.weight.grad.abs().sum() > 0
    assert net.classifier.weight.grad is None
    assert all(p.grad is None for p in net.features.parameters())


def test_max_norm_and_top_class():
    p = torch.tensor([[[[1.0, 3.0, -2.0]]]])
    torch.testing.assert_close(max_norm(p), torch.tensor([[[[1 / 3, 1.0, 0.0]]]]), atol=1e-4, rtol=0)
    maps = torch.tensor([[[[0.5, 0.2]], [[0.9, 0.1]], [[0.3, 0.6]]]])   # bg, class 1, class 2
    out = top_class_only(maps)
    torch.testing.assert_close(out, torch.tensor([[[[0.5, 0.2]], [[0.9, 0.0]], [[0.0, 0.6]]]]))
    assert maps[0, 1, 0, 1] == pytest.approx(0.1)           # a copy: the input is untouched


def test_top_fraction_and_min_pool():
    err = torch.arange(10.0).view(1, 10)
    assert float(top_fraction_mean(err, 0.2)) == pytest.approx(8.5)  # mean of 9 and 8
    maps = torch.tensor([[[[1.0, -1.0], [3.0, 0.5]], [[0.0, 2.0], [1.0, -4.0]]]])  # max over classes: 1, 2, 3, 0.5
    assert float(min_pool_loss(maps)) == pytest.approx(0.5)  # the lowest quarter (1 of 4): 0.5


def test_equivariant_branches_have_no_er_loss_and_losses_backprop():
    torch.manual_seed(0)
    y = torch.tensor([[1.0, 0.0, 1.0]])
    cam2 = torch.randn(1, 3, 8, 8)
    cam1 = F.interpolate(cam2, size=(29, 29), mode="bilinear", align_corners=True)   # 8 -> 29 -> 8 is exact (29 - 1 = 4 x (8 - 1))
    rv2 = torch.rand(1, 4, 8, 8, requires_grad=True)
    rv1 = F.interpolate(rv2.detach(), size=(29, 29), mode="bilinear", align_corners=True)
    losses = seam_losses(cam1, rv1, cam2, rv2, y)
    assert float(losses["er"]) == pytest.approx(0.0, abs=1e-5)
    assert set(losses) == {"cls", "rvmin", "er", "ecr"}
    losses["ecr"].backward()
    assert rv2.grad.abs().sum() > 0


def test_step_runs_both_branches_and_maps_are_normalised():
    loc = get_localizer("seam")
    torch.manual_seed(0)
    net = loc.build({"backbone": "mobilenet_v2", "pretrained": False, "seam": {"scale": 0.5, "ecr_fraction": 0.2}}, 3)
    loss = loc.step(net.train(), (torch.randn(2, 3, 64, 64), torch.tensor([[1.0, 0, 1], [0, 1, 0]])), "cpu")
    loss.backward()
    assert torch.isfinite(loss) and net.classifier.weight.grad.abs().sum() > 0
    extract = loc.extractor(net.eval(), {"scales": [1.0, 0.5], "flip": True, "method": "pcm"}, "cpu", 0)
    maps = extract((np.random.default_rng(0).random((40, 56, 3)) * 255).astype(np.uint8), [1, 3]).cams
    assert maps.shape == (2, 40, 56) and maps.min() >= 0 and maps.max() <= 1 and maps.max() > 0.9
