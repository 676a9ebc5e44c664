"""ECS-Net: the erase (Gaussian blur inside the high-response region) against OpenCV, the reliable-label
rule on a known answer, and a step whose segmentation loss covers exactly the reliable pixels."""
import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from wsss.localizers import get_localizer
from wsss.data.transforms import augment, to_tensor
from wsss.localizers.ecs import IGNORE, ecs_step, erase, gaussian_blur, normalised_cams, padding_mask, reliable_labels

SETTINGS = {"backbone": "mobilenet_v2", "pretrained": False,
            "ecs": {"delta": 0.6, "theta": 0.5, "blur_sigma": 0.025, "seg_weight": 1.0}}


def test_blur_matches_opencv():
    img = np.random.default_rng(0).random((17, 23, 3)).astype(np.float32)
    sigma = 1.5
    r = int(round(2 * sigma))
    ref = cv2.GaussianBlur(img, (2 * r + 1, 2 * r + 1), sigma, borderType=cv2.BORDER_REFLECT_101)
    out = gaussian_blur(torch.from_numpy(img).permute(2, 0, 1)[None], sigma)[0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(out, ref, atol=1e-5)


def test_erase_changes_only_the_region():
    x = torch.randn(1, 3, 12, 12)
    region = torch.zeros(1, 12, 12, dtype=torch.bool)
    region[0, 3:7, 4:9] = True
    out = erase(x, region, 1.0)
    torch.testing.assert_close(out[:, :, ~region[0]], x[:, :, ~region[0]])
    torch.testing.assert_close(out[:, :, region[0]], gaussian_blur(x, 1.0)[:, :, region[0]])


def test_reliable_labels_known_answer():
    maps = torch.tensor([[[[0.9, 0.2, 0.7, 0.1]], [[0.3, 0.8, 0.6, 0.2]]]])   # 2 classes, 1x4 pixels
    erased = torch.tensor([[[False, False, True, False]]])
    padding = torch.tensor([[[False, True, False, False]]])
    # pixel 0: class 1 (0.9); pixel 1: padding; pixel 2: erased; pixel 3: max 0.2 < theta -> background, ignored
    assert reliable_labels(maps, erased, 0.5, padding).tolist() == [[[1, IGNORE, IGNORE, IGNORE]]]
    assert reliable_labels(maps, erased, 0.5).tolist() == [[[1, 2, IGNORE, IGNORE]]]


def test_normalised_cams_zero_absent_classes():
    logits = torch.tensor([[[[2.0, -1.0]], [[1.0, 4.0]]]])
    out = normalised_cams(logits, torch.tensor([[1.0, 0.0]]))
    torch.testing.assert_close(out, torch.tensor([[[[1.0, 0.0]], [[0.0, 0.0]]]]), atol=1e-4, rtol=0)


def test_padding_of_the_augmentation_is_detected():
    img = (np.random.default_rng(0).random((40, 30, 3)) * 255).astype(np.uint8)
    padded, _ = augment(img, None, 64, np.random.default_rng(1), (1.0, 1.0))   # 40 x 30 -> padded to 64 x 64
    mask = padding_mask(to_tensor(np.ascontiguousarray(padded))[None])[0]
    assert mask[40:].all() and mask[:, 30:].all() and not mask[:40, :30].any()


def test_step_segmentation_loss_is_ce_on_the_reliable_pixels():
    torch.manual_seed(0)
    net = get_localizer("ecs").build(SETTINGS, 3).train()
    rng = np.random.default_rng(0)
    imgs = [(rng.random((64, 64, 3)) * 255).astype(np.uint8), (rng.random((64, 48, 3)) * 255).astype(np.uint8)]
    x = torch.stack([to_tensor(np.ascontiguousarray(augment(im, None, 64, np.random.default_rng(2), (1.0, 1.0))[0]))
                     for im in imgs])                         # the second image is padded on the right
    y = torch.tensor([[1.0, 0, 1], [0, 1, 0]])
    losses = ecs_step(net, x, y, delta=0.6, theta=0.3, sigma=2.0, seg_weight=1.0)
    with torch.no_grad():
        scores = net.class_scores(x)
        up = lambda t: F.interpolate(t, size=(64, 64), mode="bilinear", align_corners=False)  # noqa: E731
        region = up(normalised_cams(scores, y)).max(1).values > 0.6
        erased_maps = up(normalised_cams(net.class_scores(erase(x, region, 2.0)), y))
        target = reliable_labels(erased_maps, region, 0.3, padding_mask(x))
        expected = F.cross_entropy(up(scores), torch.where(target == IGNORE, target, target - 1), ignore_index=IGNORE)
    assert (target != IGNORE).any() and not (target[1, :, 48:] != IGNORE).any()
    assert set(target[target != IGNORE].unique().tolist()) <= {1, 2, 3}
    assert float(losses["seg"].detach()) == pytest.approx(float(expected), rel=1e-5)
    assert 0 < float(losses["erased_fraction"]) < 1
    get_localizer("ecs").step(net, (x, y), "cpu").backward()
    assert net.classifier.weight.grad.abs().sum() > 0
