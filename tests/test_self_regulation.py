"""Self-regulation losses (SR-SS): exits of the DeepLab, the presence targets, SR-F's shallow hard labels,
SR-L's detached deep teacher, and the weighted total."""
import pytest
import torch
import torch.nn.functional as F

from wsss.losses import get_loss
from wsss.losses.self_regulation import presence, sr_losses
from wsss.segmenters import build_segmenter

SETTINGS = {"arch": "deeplab_mobilenet_v2", "loss": "self_regulation", "pretrained": False,
            "self_regulation": {"width": 8, "w_cls": 0.2, "w_seg": 0.8, "w_srl": 1.0, "w_srf": 1.0}}


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return build_segmenter(SETTINGS, 4).eval()


def test_presence_ignores_255_and_padding():
    label = torch.tensor([[[0, 2], [255, 254]], [[3, 3], [1, 255]]])
    assert presence(label, 4).tolist() == [[1, 0, 1, 0], [0, 1, 0, 1]]


def test_exits_shapes_and_prediction_unchanged(net):
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        outs = net.exit_outputs(x)
        assert [o[0].shape[-1] for o in outs] == [4, 32, 16, 8, 4]   # final (stride 16), stem, then deeper
        assert all(o[1].shape == (1, 4) for o in outs)
        torch.testing.assert_close(net(x), F.interpolate(outs[0][0], size=(64, 64), mode="bilinear",
                                                         align_corners=False))
    plain = build_segmenter({**SETTINGS, "loss": "ce"}, 4)
    assert not hasattr(plain, "exits")                           # exits exist only for this loss


def test_terms_known_structure(net):
    torch.manual_seed(1)
    label = torch.randint(0, 4, (2, 64, 64))
    label[:, :8] = 255
    outs = [(lo.requires_grad_(), c.requires_grad_()) for lo, c in
            [(torch.randn(2, 4, s, s), torch.randn(2, 4)) for s in (4, 32, 16, 8, 4)]]
    t = sr_losses(outs, label)
    up = [F.interpolate(lo, size=(64, 64), mode="bilinear", align_corners=False) for lo, _ in outs]
    shallow = up[1].argmax(1)
    expected_srf = sum(F.cross_entropy(u, shallow) for u in [up[0]] + up[2:])
    assert float(t["srf"]) == pytest.approx(float(expected_srf), rel=1e-5)
    expected_seg = sum(F.cross_entropy(u, label, ignore_index=255) for u in up)
    assert float(t["seg"]) == pytest.approx(float(expected_seg), rel=1e-5)
    present = presence(label, 4)
    expected_cls = sum(F.binary_cross_entropy(torch.sigmoid(c), present) for _, c in outs)
    assert float(t["cls"]) == pytest.approx(float(expected_cls), rel=1e-5)
    teacher = torch.sigmoid(outs[0][1]).detach()
    expected_srl = sum(F.binary_cross_entropy(torch.sigmoid(c), teacher) for _, c in outs[1:])
    assert float(t["srl"]) == pytest.approx(float(expected_srl), rel=1e-5)
    t["srl"].backward()
    assert outs[0][1].grad is None                                # the deep teacher is detached
    assert all(p.grad.abs().sum() > 0 for _, p in outs[1:])


def test_loss_is_the_weighted_sum_and_trains_the_exits(net):
    torch.manual_seed(2)
    x, label = torch.randn(2, 3, 64, 64), torch.randint(0, 4, (2, 64, 64))
    model = build_segmenter(SETTINGS, 4).eval()   # no dropout: the two evaluations below agree
    loss = get_loss("self_regulation")(model, x, label, None, SETTINGS)
    t = sr_losses(model.exit_outputs(x), label)
    assert float(loss.detach()) == pytest.approx(float(0.2 * t["cls"] + 0.8 * t["seg"] + t["srl"] + t["srf"]), rel=1e-5)
    loss.backward()
    assert model.exits[0].seg[0].weight.grad.abs().sum() > 0 and model.final_cls.weight.grad.abs().sum() > 0
    backbone, head = model.param_groups()
    assert any(p is model.exits[0].seg[0].weight for p in backbone)   # SR-SS: exits at the base lr
    assert any(p is model.final_cls.weight for p in head)


def test_building_the_exits_leaves_the_pretrained_statistics_alone():
    from wsss.models.backbones import build_backbone

    feats, _, _ = build_backbone("mobilenet_v2", pretrained=False)
    before = {k: v.clone() for k, v in feats.state_dict().items()}
    model = build_segmenter(SETTINGS, 4)
    for k, v in model.features.state_dict().items():
        if "running" in k or "num_batches" in k:
            assert torch.equal(v, before[k]), k
