"""Backbones, CAM / Grad-CAM and DeepLab shapes; a missing weight file is a clear error."""
import pytest
import torch

from wsss.errors import BadInputError
from wsss.models import backbones
from wsss.models.cam_net import CAMNet
from wsss.models.deeplab import DeepLab


def test_missing_weights_offline_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))

    def no_network(*a, **k):
        raise OSError("no route to host")
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_network)
    with pytest.raises(BadInputError, match=r"vgg16.*vgg16-397923af\.pth is missing.*put it at"):
        backbones.build_backbone("vgg16", pretrained=True)


def test_weights_path_that_does_not_exist(tmp_path):
    with pytest.raises(BadInputError, match="does not exist"):
        backbones.build_backbone("resnet50", pretrained=True, weights_path=str(tmp_path / "nope.pth"))


def test_provided_vgg16_file_is_checked_against_the_hash_in_its_name(tmp_path, monkeypatch):
    """A VGG16 / ResNet file a user provides works when intact (its sha256 matches the prefix in
    torchvision's name) and is a clear error when not."""
    state = backbones.tvm.vgg16().features.state_dict()
    good = tmp_path / "good.pth"
    torch.save(state, good)
    import hashlib
    prefix = hashlib.sha256(good.read_bytes()).hexdigest()[:8]
    named = tmp_path / f"vgg16-{prefix}.pth"
    good.rename(named)
    backbones.check_hash_prefix(named)  # intact: no error
    hub = tmp_path / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    bad = hub / backbones.weight_file("vgg16").name  # vgg16-397923af.pth with other bytes
    bad.write_bytes(named.read_bytes()[:-100])
    with pytest.raises(BadInputError, match=r"vgg16-397923af\.pth: damaged vgg16 ImageNet weights file \(its name says sha256 397923af"):
        backbones.build_backbone("vgg16", pretrained=True)
    unnamed = tmp_path / "my_weights.pth"  # no hash in the name: nothing to check against
    unnamed.write_bytes(b"x")
    backbones.check_hash_prefix(unnamed)


def test_mobilenet_imagenet_weights_load_offline():
    if not backbones.weight_file("mobilenet_v2").is_file():
        pytest.skip("mobilenet_v2 ImageNet weights not installed (run scripts/setup.sh)")
    feats, ch, stride = backbones.build_backbone("mobilenet_v2", pretrained=True)
    assert ch == 1280 and stride == 16
    assert feats(torch.zeros(1, 3, 64, 64)).shape == (1, 1280, 4, 4)


@pytest.mark.parametrize("name,ch", [("mobilenet_v2", 1280), ("vgg16", 512), ("resnet50", 2048)])
def test_classifier_backbones_stride_16(name, ch):
    feats, c, stride = backbones.build_backbone(name, pretrained=False)
    assert (c, stride) == (ch, 16)
    assert feats(torch.zeros(1, 3, 64, 64)).shape == (1, ch, 4, 4)


def test_cam_equals_gap_classifier_decomposition():
    """The GAP logit of class c is the spatial mean of its (pre-ReLU) CAM: CAM is exact for this head."""
    torch.manual_seed(0)
    net = CAMNet("mobilenet_v2", 4, pretrained=False).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        f = net.features(x)
        raw = torch.nn.functional.conv2d(f, net.classifier.weight)
        assert torch.allclose(raw.mean((2, 3)), net(x), atol=1e-5)
        assert net.cam(x, [1, 3]).shape == (2, 2, 4, 4)
    g = net.grad_cam(x, [0, 2])
    assert g.shape == (2, 2, 4, 4) and (g >= 0).all()


@pytest.mark.parametrize("arch", ["deeplab_mobilenet_v2", "deeplab_largefov_vgg16", "deeplab_v2_resnet101"])
def test_deeplab_output_is_full_resolution(arch):
    net = DeepLab(arch, 21, pretrained=False).eval()
    with torch.no_grad():
        assert net(torch.zeros(1, 3, 65, 49)).shape == (1, 21, 65, 49)
