"""SPN network: shapes, switches, frozen encoder, padding superpixels excluded, SP-CAM."""
import pytest
import torch

from wsss.models.spn import SPN, STRIDE


def _sp(b, h, w, n):
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, n, (b, h // STRIDE, w // STRIDE), generator=g)


@pytest.mark.parametrize("backbone", ["mobilenet_v2", "vgg16"])
def test_forward_shapes_and_gradients(backbone):
    torch.manual_seed(0)
    net = SPN(backbone, 5, pretrained=False, width=32).train()
    x = torch.randn(2, 3, 64, 64)
    sp = _sp(2, 64, 64, 7)
    img, gap, per_sp, image_of = net(x, sp)
    assert img.shape == (2, 5) and gap.shape == (2, 5)
    assert per_sp.shape[0] == image_of.shape[0] == int((sp[0].max() + 1) + (sp[1].max() + 1))
    net.loss(x, sp, torch.tensor([[1., 0, 0, 1, 0], [0, 1, 0, 0, 0]])).backward()
    assert all(p.grad is None for p in net.encoder.parameters()), "the encoder is frozen"
    assert net.extra[0].weight.grad is not None and net.deconv1[0].weight.grad is not None


def test_unpooling_uses_the_encoder_switches():
    net = SPN("mobilenet_v2", 3, pretrained=False, width=16).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        f = net.proj(net.encoder(x))
        _, switches = net.pool(f)
        z = net.extra(net.pool(f)[0])
        u = net.unpool(net.deconv2(net.deconv1(z)), switches, output_size=f.shape[-2:])
    nonzero = (u[0, 0] != 0).flatten().nonzero().flatten()
    assert set(nonzero.tolist()) <= set(switches[0, 0].flatten().tolist())  # values land only at the max positions


def test_padding_superpixel_does_not_change_image_score():
    torch.manual_seed(0)
    net = SPN("mobilenet_v2", 4, pretrained=False, width=16).eval()
    x = torch.randn(1, 3, 64, 64)
    sp = _sp(1, 64, 64, 4)
    padded = sp.clone()
    padded[:, :, -4:] = -1  # right border = padding
    with torch.no_grad():
        img_pad, _, per_sp, image_of = net(x, padded)
        feats, _ = net.upsampled_features(x)
        from wsss.models.sp_pool import superpixel_pool
        pooled, _, _ = superpixel_pool(feats, torch.where(padded >= 0, padded, padded.max() + 1))
        expected = net.sp_fc(pooled[: int(padded.max()) + 1]).mean(0)
    assert torch.allclose(img_pad[0], expected, atol=1e-5)


def test_sp_cam_is_constant_inside_a_superpixel():
    net = SPN("mobilenet_v2", 2, pretrained=False, width=16).eval()
    x = torch.randn(1, 3, 64, 64)
    sp = torch.zeros(1, 16, 16, dtype=torch.long)
    sp[:, :, 8:] = 1
    sp[:, :, 15] = -1
    cam = net.sp_cam(x, sp)
    assert cam.shape == (1, 2, 16, 16)
    assert torch.all(cam[0, :, :, :8] == cam[0, :, :1, :1])
    assert torch.all(cam[0, :, :, 15] == 0)


def test_image_spcam_follows_the_full_resolution_superpixels():
    """SP-CAM is painted at input resolution: constant inside each original superpixel, even ones
    narrower than the 1/4-resolution feature grid; max-normalised."""
    import numpy as np

    from wsss.localizers.spn import image_spcams
    torch.manual_seed(0)
    net = SPN("mobilenet_v2", 3, pretrained=False, width=16).eval()
    img = np.random.default_rng(0).integers(0, 255, (40, 56, 3), dtype=np.uint8)
    sp = np.zeros((40, 56), np.int64)
    sp[:, 20:] = 1
    sp[:, 21:23] = 2          # a 2-pixel-wide superpixel
    sp[30:, :] = 3
    cams, ids = image_spcams(net, img, sp, [1, 3], sizes=[32, 48], flip=True, device="cpu")
    assert ids == [1, 3]
    assert cams.shape == (2, 40, 56)
    for k in range(4):
        vals = cams[:, sp == k]
        assert np.allclose(vals, vals[:, :1]), f"superpixel {k} is not constant"
    assert np.allclose(cams.max(axis=(1, 2))[cams.max(axis=(1, 2)) > 0], 1)


def test_spn_as_segmenter_keeps_classes_with_positive_mean_superpixel_score():
    import numpy as np

    from wsss.localizers.spn import image_spcams
    torch.manual_seed(0)
    net = SPN("mobilenet_v2", 3, pretrained=False, width=16).eval()
    with torch.no_grad():  # f_ups features are >= 0 (ReLU): +1 weights score > 0, -1 < 0, 0 == 0
        net.sp_fc.weight.copy_(torch.stack([torch.ones(16), -torch.ones(16), torch.zeros(16)]))
    img = np.random.default_rng(1).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    sp = np.arange(16).reshape(4, 4).repeat(8, 0).repeat(8, 1)
    cams, ids = image_spcams(net, img, sp, None, sizes=[32], flip=False, device="cpu")
    assert ids == [1] and cams.shape == (1, 32, 32)


def test_spcam_keeps_a_labelled_class_whose_every_superpixel_scores_below_zero():
    """Min-max over the image's superpixels: the ranking survives a negative class prior."""
    import numpy as np

    from wsss.localizers.spn import spcam_maps
    best = np.array([[-3.0, -1.0, -2.0], [0.5, 2.5, 1.5]])  # class 1 below 0 everywhere
    sp = np.array([[0, 1], [2, 2]])
    maps = spcam_maps(best, sp, [1, 2])
    assert np.allclose(maps[0], [[0.0, 1.0], [0.5, 0.5]])
    assert np.allclose(maps[1], [[0.0, 1.0], [0.5, 0.5]])
    assert np.allclose(spcam_maps(np.array([[2.0, 2.0, 2.0]]), sp, [1]), 0)  # all tie: the only empty case


def test_cached_encoder_input_gives_the_same_outputs_as_the_image():
    """encoder[:-1]'s output fed with cached=True: the SPN runs the encoder's last module itself."""
    torch.manual_seed(0)
    net = SPN("mobilenet_v2", 3, pretrained=False, width=16).eval()
    x = torch.randn(2, 3, 64, 64)
    sp = _sp(2, 64, 64, 5)
    with torch.no_grad():
        live = net(x, sp)
        cached = net(net.encoder[:-1](x), sp, cached=True)
    for a, b in zip(live[:3], cached[:3]):
        assert torch.allclose(a, b, atol=1e-5)
