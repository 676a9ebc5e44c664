"""MDC (multi-dilated convolution): the fused map H_0 + mean of the dilated blocks' CAMs, the summed
block losses, and its config rule (the first rate is the undilated block)."""
import copy

import pytest
import torch
import torch.nn.functional as F
import yaml

from tests.conftest import REPO
from wsss.config import ConfigError, experiment_config, validate
from wsss.localizers import get_localizer
from wsss.models.mdc_net import MDCNet


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return MDCNet("mobilenet_v2", 3, pretrained=False, rates=(1, 3, 6, 9), width=8).eval()


def test_blocks_are_dilated_3x3_convs_of_the_same_features(net):
    x = torch.randn(1, 3, 64, 64)
    f = net.features(x)
    for block, rate in zip(net.blocks, (1, 3, 6, 9)):
        assert block.conv.dilation == (rate, rate) and block.conv.padding == (rate, rate)
        ref = F.relu(F.conv2d(f, block.conv.weight, block.conv.bias, padding=rate, dilation=rate))
        torch.testing.assert_close(block(f), ref)


def test_fused_map_is_h0_plus_mean_of_dilated_maps(net):
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        f = net.features(x)
        per_block = [F.relu(torch.einsum("bchw,kc->bkhw", b(f), b.classifier.weight[[0, 2], :, 0, 0]))
                     for b in net.blocks]
        fused = net.cam(x, [0, 2])
    torch.testing.assert_close(fused, per_block[0] + (per_block[1] + per_block[2] + per_block[3]) / 3)
    assert fused.shape == (2, 2, 4, 4)  # stride 16


def test_step_sums_the_blocks_losses(net):
    loc = get_localizer("mdc")
    x, y = torch.randn(2, 3, 64, 64), torch.tensor([[1.0, 0, 1], [0, 1, 0]])
    with torch.no_grad():
        expected = sum(F.multilabel_soft_margin_loss(lo, y) for lo in net.branch_logits(x))
        assert float(loc.step(net, (x, y), "cpu")) == pytest.approx(float(expected), rel=1e-6)
        torch.testing.assert_close(net(x), net.branch_logits(x).mean(0))


def test_gradients_reach_every_block():
    torch.manual_seed(1)
    net = MDCNet("mobilenet_v2", 3, pretrained=False, rates=(1, 6), width=4).train()
    loss = get_localizer("mdc").step(net, (torch.randn(2, 3, 48, 48), torch.tensor([[1.0, 0, 0], [0, 0, 1]])), "cpu")
    loss.backward()
    for block in net.blocks:
        assert block.conv.weight.grad.abs().sum() > 0 and block.classifier.weight.grad.abs().sum() > 0


def test_config_first_rate_must_be_undilated():
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    assert experiment_config(cfg, "mdc")["classifier"]["method"] == "mdc"
    bad = copy.deepcopy(cfg)
    bad["experiments"]["mdc"]["classifier"]["mdc"] = {"rates": [3, 6]}
    with pytest.raises(ConfigError, match="classifier.mdc.rates"):
        validate(experiment_config(bad, "mdc"))
