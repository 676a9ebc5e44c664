"""Adversarial erasing: each step's input is the image with the earlier steps' mined regions set to 0,
the erasing carries no gradient, and the map is the max over steps of the normalised CAMs."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from wsss.localizers import get_localizer
from wsss.models.ae_net import AENet, normalised


def pooled_step(net):
    """A step whose CAM of class 1 is input channel 0 itself (class 2: channel 1), at stride 1."""
    net.features = nn.Identity()
    net.classifier = nn.Conv2d(3, 2, 1, bias=False)
    with torch.no_grad():
        net.classifier.weight.copy_(torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])[..., None, None])
    return net


@pytest.fixture
def toy():
    ae = AENet("mobilenet_v2", 2, pretrained=False, steps=3, threshold=0.5)
    for net in ae.steps:
        pooled_step(net)
    x = torch.zeros(1, 3, 32, 64)
    x[0, 0, :16, :16] = 4.0     # the most discriminative part of class 1
    x[0, 0, 16:, 32:48] = 1.0   # a weaker part, found once the first is erased
    return ae, x


def test_views_erase_the_regions_mined_so_far(toy):
    ae, x = toy
    views = ae.erased_views(x, torch.tensor([[1.0, 0.0]]))
    assert views.shape == (3, 1, 3, 32, 64)
    torch.testing.assert_close(views[0], x)
    assert (views[1][0, 0, :16, :16] == 0).all()          # step 1's region erased ...
    assert (views[1][0, 0, 16:, 32:48] == 1).all()         # ... the weaker part kept
    assert (views[2][0, 0, 16:, 32:48] == 0).all()         # step 2 mines it, step 3 sees both erased
    assert (views[2][0, 0, :16, :16] == 0).all()           # mined regions accumulate
    assert views[2].abs().sum() == 0


def test_cam_is_the_max_over_steps_of_normalised_maps(toy):
    ae, x = toy
    views = ae.erased_views(x, torch.tensor([[1.0, 0.0]]))
    per_step = [normalised(F.relu(F.conv2d(net.features(v), net.classifier.weight[[0]]))).detach()
                for net, v in zip(ae.steps, views)]
    torch.testing.assert_close(ae.cam(x, [0]), torch.maximum(torch.maximum(per_step[0], per_step[1]), per_step[2]))
    # both parts reach 1 in the fused map, where step 1 alone saw the weaker part at 1/4
    fused = ae.cam(x, [0])[0, 0]
    assert fused[5, 5] == pytest.approx(1.0) and fused[20, 40] == pytest.approx(1.0)
    assert per_step[0][0, 0, 20, 40] == pytest.approx(0.25)


def test_step_loss_and_no_gradient_through_the_erasing():
    torch.manual_seed(0)
    ae = AENet("mobilenet_v2", 3, pretrained=False, steps=2)
    x, y = torch.randn(2, 3, 64, 64), torch.tensor([[1.0, 0, 1], [0, 1, 0]])
    loss = get_localizer("ae").step(ae.train(), (x, y), "cpu")
    logits = ae.step_logits(x, y)
    expected = sum(F.multilabel_soft_margin_loss(lo, y) for lo in logits)
    assert float(loss.detach()) == pytest.approx(float(expected.detach()), rel=1e-5)
    F.multilabel_soft_margin_loss(logits[1], y).backward()
    assert ae.steps[1].classifier.weight.grad.abs().sum() > 0
    backbone, head = ae.param_groups()
    assert len(head) == 2 and len(backbone) == 2 * len(ae.steps[0].param_groups()[0])


def test_a_steps_view_follows_the_earlier_steps_current_weights(toy):
    ae, x = toy
    y = torch.tensor([[1.0, 0.0]])
    before = ae.erased_views(x, y)[1].clone()
    with torch.no_grad():   # step 1 now looks at input channel 1, which is empty: it mines nothing
        ae.steps[0].classifier.weight.copy_(torch.tensor([[0.0, 1.0, 0], [1.0, 0, 0]])[..., None, None])
    after = ae.erased_views(x, y)[1]
    assert (before[0, 0, :16, :16] == 0).all() and torch.equal(after, x)


def test_psl_online_labels_prohibit_absent_classes():
    from wsss.losses.psl import prohibitive_labels

    logits = torch.zeros(1, 3, 1, 3)
    logits[0, 2, 0, 0] = 5.0     # pixel 0: class 2 scores highest, but the image is not labelled with it
    logits[0, 1, 0, 1] = 5.0     # pixel 1: class 1, labelled
    logits[0, 0, 0, 2] = 5.0     # pixel 2: background
    probs = torch.tensor([[0.9, 0.8, 0.99]])
    targets = torch.tensor([[1.0, 0.0]])
    # pixel 0: softmax(0, 0, 5) -> class 2 prohibited, background (weight 1) beats class 1 (weight 0.8)
    assert prohibitive_labels(logits, probs, targets).tolist() == [[[0, 1, 0]]]


def test_psl_loss_trains_the_class_branch_and_ignores_padding():
    from wsss.io.files import PAD
    from wsss.losses import get_loss
    from wsss.segmenters import build_segmenter

    torch.manual_seed(0)
    settings = {"arch": "deeplab_mobilenet_v2", "loss": "psl", "pretrained": False}
    model = build_segmenter(settings, 3).train()
    x = torch.randn(2, 3, 64, 64)
    label = torch.randint(0, 3, (2, 64, 64))
    label[:, :, 40:] = PAD
    targets = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    loss = get_loss("psl")(model, x, label, targets, settings)
    loss.backward()
    assert torch.isfinite(loss) and model.final_cls.weight.grad.abs().sum() > 0
    # padding-only labels: the mined and online terms ignore every pixel, only the branch's loss is left
    model.zero_grad()
    model.eval()  # no dropout: the same class probabilities in both calls
    with torch.no_grad():
        _, class_logits = model.logits_and_classes(x)
        cls = F.binary_cross_entropy(torch.sigmoid(class_logits[:, 1:]), targets)
    out = get_loss("psl")(model, x, torch.full_like(label, PAD), targets, settings)
    assert float(out.detach()) == pytest.approx(float(cls), rel=1e-4)
