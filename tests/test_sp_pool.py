"""Superpixel pooling vs a slow per-superpixel reference: forward values and gradient (gradcheck)."""
import torch

from wsss.models.sp_pool import mean_over_superpixels, paint_back, superpixel_pool


def slow_reference(features, superpixels):
    rows, owner = [], []
    for b in range(features.shape[0]):
        for s in range(int(superpixels[b].max()) + 1):
            mask = superpixels[b] == s
            rows.append(features[b][:, mask].mean(1) if mask.any() else features.new_zeros(features.shape[1]))
            owner.append(b)
    return torch.stack(rows), torch.tensor(owner)


def batch(seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    f = torch.randn(2, 3, 6, 7, generator=g, dtype=dtype)
    sp = torch.stack([torch.randint(0, 5, (6, 7), generator=g), torch.randint(0, 9, (6, 7), generator=g)])
    sp[0, 0, 0], sp[1, 0, 0] = 4, 8  # make the counts K_b = 5 and 9 certain
    return f, sp


def test_forward_matches_reference_with_different_counts():
    f, sp = batch()
    pooled, image_of, _ = superpixel_pool(f, sp)
    ref, owner = slow_reference(f, sp)
    assert pooled.shape == (14, 3)
    assert torch.equal(image_of, owner)
    assert torch.allclose(pooled, ref)


def test_gradient_is_grad_over_superpixel_size():
    f, sp = batch()
    f.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: superpixel_pool(x, sp)[0], (f,))
    pooled, _, counts = superpixel_pool(f, sp)
    upstream = torch.randn_like(pooled)
    (g,) = torch.autograd.grad((pooled * upstream).sum(), f)
    # explicit rule: grad at u = upstream[s(u)] / |s(u)|
    offs = torch.tensor([0, 5])
    ids = sp + offs[:, None, None]
    expected = (upstream[ids] / counts[ids][..., None]).permute(0, 3, 1, 2)
    assert torch.allclose(g, expected)


def test_image_mean_and_paint_back():
    f, sp = batch()
    pooled, image_of, _ = superpixel_pool(f, sp)
    img = mean_over_superpixels(pooled, image_of, 2)
    ref, owner = slow_reference(f, sp)
    assert torch.allclose(img[1], ref[owner == 1].mean(0))
    painted = paint_back(pooled, sp, image_of)
    assert painted.shape == f.shape
    assert torch.allclose(painted[1, :, 0, 0], pooled[5 + int(sp[1, 0, 0])])
