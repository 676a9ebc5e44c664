"""The GPU path: run where CUDA is present, skipped (with the reason) where it is not.

Each checks the CUDA result against the CPU one of the same weights and inputs: an SPN and a FickleNet
training step (also under bf16 autocast), CAM extraction of one image, and batched stochastic
inference against the naive loop on the device."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from wsss.localizers.cam import image_cams
from wsss.models.cam_net import CAMNet
from wsss.models.ficklenet import FickleNet
from wsss.models.spn import SPN, STRIDE
from wsss.ops.stochastic_cams import localization
from wsss.training import autocast, configure

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")


def grads(model):
    return torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])


def test_spn_step_on_cuda_matches_cpu_and_runs_in_bf16():
    torch.manual_seed(0)
    net = SPN("mobilenet_v2", 20, pretrained=False, width=64).train()
    x = torch.randn(2, 3, 160, 160)
    sp = torch.randint(0, 40, (2, 160 // STRIDE, 160 // STRIDE))
    y = (torch.rand(2, 20) < 0.2).float()
    losses, gs = [], []
    for dev in ("cpu", "cuda"):
        net.to(dev).zero_grad()
        loss = net.loss(x.to(dev), sp.to(dev), y.to(dev))
        loss.backward()
        losses.append(loss.item())
        gs.append(grads(net).cpu())
    assert losses[1] == pytest.approx(losses[0], rel=1e-3)
    assert torch.allclose(gs[1], gs[0], atol=1e-3, rtol=1e-2)
    try:
        configure(precision="bf16")
        with autocast("cuda"):
            loss = net.loss(x.cuda(), sp.cuda(), y.cuda())
        loss.backward()
        assert torch.isfinite(loss) and loss.item() == pytest.approx(losses[0], rel=0.1)
    finally:
        configure()


def test_ficklenet_step_on_cuda_matches_cpu():
    torch.manual_seed(0)
    net = FickleNet("mobilenet_v2", 20, pretrained=False, p=0.9).eval()  # eval: no dropout draws
    x = torch.randn(2, 3, 192, 192)
    out = []
    for dev in ("cpu", "cuda"):
        net.to(dev).zero_grad()
        logits = net(x.to(dev))
        logits.sum().backward()
        out.append((logits.detach().cpu(), grads(net).cpu()))
    assert torch.allclose(out[1][0], out[0][0], atol=1e-3, rtol=1e-3)
    assert torch.allclose(out[1][1], out[0][1], atol=1e-3, rtol=1e-2)


def test_cam_extraction_of_an_image_on_cuda_matches_cpu():
    torch.manual_seed(0)
    net = CAMNet("mobilenet_v2", 20, pretrained=False).eval()
    img = (np.random.default_rng(0).random((150, 200, 3)) * 255).astype(np.uint8)
    cpu = image_cams(net, img, [3, 15], [1.0, 0.5], True, "cam", "cpu")
    gpu = image_cams(net.cuda(), img, [3, 15], [1.0, 0.5], True, "cam", "cuda")
    assert gpu.shape == cpu.shape == (2, 150, 200)
    assert np.abs(gpu - cpu).max() < 1e-3


def test_batched_stochastic_inference_on_cuda_matches_the_naive_loop():
    torch.manual_seed(0)
    net = FickleNet("mobilenet_v2", 20, pretrained=False, p=0.9).eval().cuda()
    x = F.interpolate(torch.rand(1, 3, 64, 64), size=(160, 160)).cuda()
    # one chunk holding every selection: both paths draw the same masks from the same CUDA stream
    batched = localization(net, x, [1, 15], 8, 0.5, 8, torch.Generator(device="cuda").manual_seed(0))
    naive = localization(net, x, [1, 15], 8, 0.5, 8, torch.Generator(device="cuda").manual_seed(0), naive=True)
    assert torch.allclose(torch.as_tensor(batched[0]), torch.as_tensor(naive[0]), atol=1e-4)
