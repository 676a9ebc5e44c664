"""DecoupledNet: decoupled objectives, per-(image, class) bridging, label map from binary segmentations."""
import torch

from wsss.models.decoupled_net import DecoupledNet


def _net():
    torch.manual_seed(0)
    return DecoupledNet("decouplednet_mobilenet_v2", 6, pretrained=False, width=32)


def test_segmentation_loss_does_not_reach_the_classification_net():
    net = _net().train()
    x = torch.randn(2, 3, 64, 64)
    f = net.features(x)
    seg = net.segment(f, torch.tensor([0, 0, 1]), torch.tensor([0, 2, 1]), x.shape[-2:])
    assert seg.shape == (3, 2, 64, 64)
    seg.sum().backward()
    assert all(p.grad is None for p in net.features.parameters())
    assert all(p.grad is None for p in net.cls_conv.parameters()) and net.cls_fc.weight.grad is None
    assert net.bridge[0].weight.grad is not None and net.deconv[0][0].weight.grad is not None


def test_class_gradients_are_per_pair():
    """Each (image, class) pair gets d score_class / d features of its own image alone."""
    net = _net().eval()
    f = torch.randn(2, 1280, 4, 4)
    g = net.class_gradients(f, torch.tensor([0, 0, 1]), torch.tensor([1, 3, 1]))
    for row, (b, c) in enumerate([(0, 1), (0, 3), (1, 1)]):
        fb = f[b:b + 1].clone().requires_grad_(True)
        (ref,) = torch.autograd.grad(net.classify(fb)[0, c], fb)
        assert torch.allclose(g[row], ref[0] / ref.abs().max(), atol=1e-6)
    assert not torch.allclose(g[0], g[1])


def test_loss_trains_both_parts():
    net = _net().train()
    x = torch.randn(2, 3, 64, 64)
    label = torch.zeros(2, 64, 64, dtype=torch.long)
    label[0, 10:30, 10:30] = 2
    label[1, :, :5] = 255
    label[1, 40:, 40:] = 4
    targets = torch.zeros(2, 5)
    targets[0, 1] = targets[1, 3] = 1
    loss = net.loss(x, label, targets)
    assert torch.isfinite(loss)
    loss.backward()
    assert any(p.grad is not None for p in net.features.parameters() if p.requires_grad)
    assert net.deconv[0][0].weight.grad is not None


def test_label_scores_keep_to_the_given_classes():
    net = _net().eval()
    scores = net.label_scores(torch.randn(1, 3, 64, 64), class_ids=[2, 5])
    assert scores.shape == (1, 6, 64, 64)
    assert torch.all(scores[:, 0] == 0.5)
    assert torch.all(scores[:, [1, 3, 4]] == 0)
    assert set(scores.argmax(1).unique().tolist()) <= {0, 2, 5}
    auto = net.label_scores(torch.randn(2, 3, 64, 64))  # classes from the classifier: at least one
    assert (auto[:, 1:].flatten(2).amax(2) > 0).sum() >= 1


def test_figure_ground_loss_skips_labelled_classes_without_annotated_pixels():
    """A labelled class with no pixels in the (cleaned, selected) annotation adds no segmentation term."""
    import torch.nn.functional as F
    net = _net().eval()  # eval: BN statistics fixed, so two forward passes agree
    x = torch.randn(1, 3, 64, 64)
    label = torch.zeros(1, 64, 64, dtype=torch.long)
    label[0, 10:30, 10:30] = 2
    label[0, 40:, 40:] = 255                     # e.g. class 4's pixels, not selected as reliable
    targets = torch.zeros(1, 5)
    targets[0, 1] = targets[0, 3] = 1           # classes 2 and 4 labelled; only 2 has pixels
    with torch.no_grad():
        f = net.features(x)
        seg = net.segment(f, torch.tensor([0]), torch.tensor([1]), x.shape[-2:])
        binary = (label == 2).long()
        binary[label == 255] = 255
        expected = F.multilabel_soft_margin_loss(net.classify(f), targets) + F.cross_entropy(seg, binary, ignore_index=255)
    assert torch.allclose(net.loss(x, label, targets), expected, atol=1e-6)
