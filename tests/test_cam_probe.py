"""cam_probe: the CAM layer is the cross-validated linear probe of the frozen features, folded so that the
classifier's GAP logits are the probe's up to a per-class constant, and the backbone does not change."""
import numpy as np
import pytest
import torch
import torch.nn as nn
from PIL import Image

from wsss.localizers import get_localizer
from wsss.localizers.cam_probe import gap_features
from wsss.ops.linear_probe import Probe, cv_l2, fit_l2

SETTINGS = {"method": "cam_probe", "backbone": "mobilenet_v2", "pretrained": False,
            "cam_probe": {"l2_grid": [1e-3, 1e-1], "folds": 3, "lbfgs_iters": 50}}


class ToyIndex:
    """Images with a red square (class 1) and / or a green square (class 2) on grey, at random places."""

    def __init__(self, root, n=24, seed=0):
        rng = np.random.default_rng(seed)
        self.images, self.labels = {}, {}
        for i in range(n):
            img = np.full((48, 48, 3), 128, np.uint8)
            labels = np.array([i % 3 != 2, i % 3 != 0], np.float32)
            for c, on in enumerate(labels):
                if on:
                    y, x = rng.integers(0, 32, 2)
                    img[y:y + 16, x:x + 16] = (255, 0, 0) if c == 0 else (0, 255, 0)
            self.images[f"im{i}"] = root / f"im{i}.png"
            Image.fromarray(img).save(self.images[f"im{i}"])
            self.labels[f"im{i}"] = labels

    def multi_hot(self, image_id):
        return self.labels[image_id]


def toy_model():
    model = get_localizer("cam_probe").build(SETTINGS, 2)
    conv = nn.Conv2d(3, 3, 1)  # a fixed "backbone": the positive part of each normalised colour channel
    with torch.no_grad():
        conv.weight.copy_(torch.eye(3)[..., None, None])
        conv.bias.zero_()
    model.features = nn.Sequential(conv, nn.ReLU())
    model.classifier = nn.Conv2d(3, 2, 1, bias=False)
    return model


def test_probe_raw_weight_gives_the_logits_up_to_a_per_class_constant():
    torch.manual_seed(0)
    x = torch.rand(10, 6)
    probe = Probe(x.mean(0), x.std(0), 3)
    diff = probe(x) - x @ probe.raw_weight().T
    torch.testing.assert_close(diff, diff[:1].expand_as(diff))


def test_cv_picks_weak_l2_when_the_labels_are_linear_and_strong_when_they_are_noise():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(80, 20, generator=g)
    y_linear = (x[:, :2] > 0).float()
    y_noise = (torch.rand(80, 2, generator=g) > 0.5).float()
    grid = (1e-4, 10.0)
    linear, noise = cv_l2(x, y_linear, views=1, grid=grid), cv_l2(x, y_noise, views=1, grid=grid)
    assert max(linear, key=linear.get) == 1e-4 and linear[1e-4] > 0.9
    assert abs(noise[1e-4] - 0.5) < 0.15
    assert fit_l2(x, y_linear, 10.0).linear.weight.norm() < fit_l2(x, y_linear, 1e-4).linear.weight.norm() / 5


def test_train_folds_the_probe_into_the_cam_layer_and_keeps_the_backbone(tmp_path):
    torch.manual_seed(0)
    index, model = ToyIndex(tmp_path), toy_model()
    backbone = {k: v.clone() for k, v in model.features.state_dict().items()}
    loop_called = []
    rows = get_localizer("cam_probe").train(model, index, list(index.images), SETTINGS, 48, "cpu",
                                            lambda: loop_called.append(1))
    assert not loop_called and rows[0]["lr"] in (1e-3, 1e-1)
    for k, v in model.features.state_dict().items():
        torch.testing.assert_close(v, backbone[k])
    x, y = gap_features(model, index, list(index.images), 48, "cpu")
    probe = fit_l2(x, y, rows[0]["lr"], 50)
    from wsss.data.transforms import to_tensor
    batch = torch.stack([to_tensor(np.asarray(Image.open(index.images[i]))) for i in index.images])
    with torch.no_grad():
        diff = model(batch) - probe(x[::2])
    torch.testing.assert_close(diff, diff[:1].expand_as(diff), atol=1e-4, rtol=0)
    # the fitted classifier separates the classes on its training images
    with torch.no_grad():
        logits = model(batch)
    for c in range(2):
        on, off = logits[y[::2, c] == 1, c], logits[y[::2, c] == 0, c]
        assert on.min() > off.max()


def test_cam_peaks_on_the_class_square(tmp_path):
    torch.manual_seed(0)
    index, model = ToyIndex(tmp_path), toy_model()
    get_localizer("cam_probe").train(model, index, list(index.images), SETTINGS, 48, "cpu", lambda: None)
    from wsss.data.transforms import to_tensor
    img = np.full((48, 48, 3), 128, np.uint8)
    img[4:20, 4:20] = (255, 0, 0)
    img[28:44, 28:44] = (0, 255, 0)
    with torch.no_grad():
        cam = model.cam(to_tensor(img)[None])[0]
    for c, (y0, x0) in enumerate([(4, 4), (28, 28)]):
        peak = np.unravel_index(int(cam[c].argmax()), cam[c].shape)
        assert y0 <= peak[0] < y0 + 16 and x0 <= peak[1] < x0 + 16, (c, peak)


@pytest.mark.parametrize("method", ["cam", "cam_probe"])
def test_the_epoch_loop_runs_only_for_the_localizers_that_use_it(method):
    calls = []
    if method == "cam":
        assert get_localizer(method).train(None, None, [], {}, 0, "cpu", lambda: calls.append(1) or [{}]) == [{}]
        assert calls == [1]
    else:
        assert type(get_localizer(method)).train is not type(get_localizer("cam")).train


LPFT = {**SETTINGS, "method": "cam_lpft", "cam_lpft": SETTINGS["cam_probe"], "lr": 1e-4, "weight_decay": 0.0,
        "optimizer": "adam"}


def test_lpft_starts_fine_tuning_from_the_probe_logits_with_one_learning_rate(tmp_path):
    """LP-FT: the epoch loop starts from the probe folded in WITH its bias (the logits are the probe's, not
    only up to a constant), and the CAM layer trains at the backbone's rate (no 10x new-layer group)."""
    from wsss.training import make_optimizer

    torch.manual_seed(0)
    index, model = ToyIndex(tmp_path), get_localizer("cam_lpft").build(LPFT, 2)
    conv = toy_model().features
    model.features = conv
    model.classifier = nn.Conv2d(3, 2, 1, bias=True)
    from wsss.data.transforms import to_tensor
    batch = torch.stack([to_tensor(np.asarray(Image.open(index.images[i]))) for i in index.images])
    seen = {}

    def epoch_loop():
        with torch.no_grad():
            seen["logits"] = model.eval()(batch)
        seen["groups"] = [(len(g["params"]), g["lr"]) for g in make_optimizer(model, LPFT).param_groups]
        return [{"epoch": 1, "loss": 0.1, "steps": 3, "lr": 1e-4, "seconds": 0.0}]

    rows = get_localizer("cam_lpft").train(model, index, list(index.images), LPFT, 48, "cpu", epoch_loop)
    x, y = gap_features(model, index, list(index.images), 48, "cpu")
    probe = fit_l2(x, y, rows[0]["lr"], 50)
    with torch.no_grad():
        torch.testing.assert_close(seen["logits"], probe(x[::2]), atol=1e-4, rtol=0)
    assert seen["groups"] == [(4, 1e-4), (0, 1e-3)]  # conv w, b, CAM layer w, b: all at lr
    assert [r["epoch"] for r in rows] == [0, 1] and rows[0]["steps"] == 0


def test_lpft_network_keeps_cam_maps_and_checkpoint_layout():
    """Its maps are CAM's (the bias never enters them); a checkpoint rebuilds through the same build."""
    torch.manual_seed(0)
    model = get_localizer("cam_lpft").build(LPFT, 2)
    assert model.classifier.bias is not None
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        model.classifier.bias.fill_(5.0)
        before = model.eval().cam(x)
        model.classifier.bias.zero_()
        torch.testing.assert_close(model.cam(x), before)
    again = get_localizer("cam_lpft").build(LPFT, 2)
    again.load_state_dict(model.state_dict())
