"""FickleNet layer: expansion = ordinary conv, centre never dropped, drop rate p, no-expansion path
and batched stochastic Grad-CAM agree with their references."""
import json
import pytest
import torch
import torch.nn.functional as F

from wsss.models.ficklenet import FickleNet, expand, selection_masks


def _net(**kw):
    torch.manual_seed(0)
    return FickleNet("mobilenet_v2", 4, pretrained=False, width=16, **kw).eval()


@pytest.mark.parametrize("k", [3, 5])
def test_expanded_conv_equals_ordinary_conv(k):
    torch.manual_seed(0)
    x = torch.randn(2, 6, 7, 9, dtype=torch.float64)
    w = torch.randn(5, 6, k, k, dtype=torch.float64)
    ex = expand(x, k)
    assert ex.shape == (2, 6, 7 * k, 9 * k)
    assert torch.allclose(F.conv2d(ex, w, stride=k), F.conv2d(x, w, padding=k // 2), atol=1e-10)
    ones = torch.ones_like(ex)  # dropout off: all-ones masks
    assert torch.allclose(F.conv2d(ex * ones, w, stride=k), F.conv2d(x, w, padding=k // 2), atol=1e-10)


def test_center_is_never_dropped_and_rate_matches_p():
    g = torch.Generator().manual_seed(1)
    k, p = 3, 0.7
    m = selection_masks(20, 8, 6, 6, k, p, center_preserving=True, generator=g)
    centres = m.view(20, 8, 6, k, 6, k)[:, :, :, 1, :, 1]
    assert torch.all(centres == 1)
    others = m.view(20, 8, 6, k, 6, k).clone()
    others[:, :, :, 1, :, 1] = float("nan")
    others = others[~others.isnan()]
    assert abs((others == 0).float().mean().item() - p) < 0.02
    assert torch.allclose(others[others > 0], torch.tensor(1 / (1 - p)))
    plain = selection_masks(20, 8, 6, 6, k, p, center_preserving=False, generator=g)
    assert abs((plain.view(20, 8, 6, k, 6, k)[:, :, :, 1, :, 1] == 0).float().mean().item() - p) < 0.03


def test_no_expansion_path_gives_the_same_scores():
    net = _net()
    f = torch.randn(3, 16, 5, 4)
    masks = net.masks(3, f, torch.Generator().manual_seed(2))
    with_exp = net.score_maps(f, masks)
    net.expansion = False
    assert torch.allclose(net.score_maps(f, masks), with_exp, atol=1e-5)


def test_batched_grad_cams_equal_one_selection_at_a_time():
    net = _net()
    x = torch.randn(1, 3, 64, 64)
    f = net.feature_map(x)
    masks = net.masks(6, f, torch.Generator().manual_seed(3))
    batched = net.grad_cams(f, [0, 2], masks)
    loop = torch.cat([net.grad_cams(net.feature_map(x), [0, 2], masks[j:j + 1]) for j in range(6)])
    assert batched.shape == (6, 2, 4, 4)
    assert torch.allclose(batched, loop, atol=1e-5)
    assert not torch.allclose(batched[0], batched[1])  # selections differ


def test_training_is_stochastic_and_eval_is_not():
    net = _net(p=0.5)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(net(x), net(x))
        net.train()
        assert not torch.equal(net(x), net(x))
        net.stochastic_train = False  # the "stochastic at inference only" ablation trains without masks
        assert torch.equal(net(x), net(x))


@pytest.mark.parametrize("sampler", ["kept", "masks"])
@pytest.mark.parametrize("gradcam", ["elementwise", "mean"])
def test_stochastic_localization_batched_equals_naive_loop(gradcam, sampler):
    from wsss.ops.stochastic_cams import localization
    net = _net(p=0.5)
    x = torch.randn(1, 3, 64, 48)
    best, frac = localization(net, x, [1, 3], n=7, threshold=0.4, chunk=3, generator=torch.Generator().manual_seed(5),
                              sampler=sampler, gradcam=gradcam)
    best_n, frac_n = localization(net, x, [1, 3], n=7, threshold=0.4, naive=True, sampler=sampler,
                                  generator=torch.Generator().manual_seed(5), gradcam=gradcam)
    assert best.shape == frac.shape == (2, 64, 48)
    assert abs(best - best_n).max() < 1e-4 and abs(frac - frac_n).max() < 1e-6
    assert best.max() <= 1 + 1e-6 and torch.allclose(torch.from_numpy(frac * 7), torch.from_numpy(frac * 7).round(), atol=1e-4)
    # "any of the N maps" = the max over maps: where the max is below the threshold nothing fired
    assert (frac[best <= 0.4] == 0).all() and (frac[best > 0.4] > 0).all()


def test_ficklenet_train_and_stochastic_cams_through_the_stages(tmp_path):
    import h5py
    import numpy as np

    from stages import extract_cams, prepare_data, train_classifier
    from wsss.data import demo as demo_data
    from wsss.io.h5store import ShardReader
    demo_data.generate(tmp_path / "raw", n_train=8, n_val=4, size=64)
    prepare_data.main(["--dataset", "demo", "--root", str(tmp_path / "raw"), "--out", str(tmp_path / "data")])
    index = str(tmp_path / "data" / "index.json")
    settings = {"method": "ficklenet", "backbone": "mobilenet_v2", "pretrained": False, "weights_path": None,
                "batch_size": 4, "optimizer": "adam", "lr": 0.0001, "weight_decay": 0.0001,
                "ficklenet": {"p": 0.5, "kernel": 3, "center_preserving": True, "expansion": True,
                              "stochastic_train": True}}
    out = tmp_path / "clf"
    train_classifier.main(["--index", index, "--settings", json.dumps(settings), "--epochs", "1", "--crop", "64",
                           "--out", str(out / "model.pt"), "--log", str(out / "log.csv"), "--metrics",
                           str(out / "m.json"), "--curve", str(out / "c.png"), "--device", "cpu"])
    cams = tmp_path / "cams.h5"
    fickle = {"n_samples": 5, "threshold": 0.5, "chunk": 2, "stochastic": True, "sampler": "counts",
              "gradcam": "mean"}
    extract_cams.main(["--index", index, "--localizer", "ficklenet", "--checkpoint", str(out / "model.pt"),
                       "--settings", json.dumps({"method": "fickle", "scales": [1.0], "flip": False, "fickle": fickle}),
                       "--out", str(cams), "--device", "cpu"])
    with ShardReader([cams]) as r:
        key = sorted(r.keys())[0]
        maps, classes = r.cam(key)
        fired = r.group_array(key, "fired")
        assert maps.shape == fired.shape and maps.shape[1:] == (64, 64) and len(classes) == maps.shape[0]
        # fires in some selection <=> the max map passes (away from the threshold: float16 storage)
        assert np.all(fired[maps > 0.51] > 0) and np.all(fired[maps < 0.49] == 0)
    with h5py.File(cams) as f:
        assert f.attrs["method"] == "fickle"


def test_closed_form_grad_cams_equal_autograd():
    net = _net(p=0.6)
    f = torch.randn(1, 16, 5, 7)
    masks = net.masks(4, f, torch.Generator().manual_seed(7))
    for args in (([0, 3], masks), ([1], None)):  # with dropout masks; without (stochastic inference off)
        fast, ref = net.grad_cams_batched(f, *args), net.grad_cams(f, *args)
        assert ref.max() > 0 and torch.allclose(fast / ref.max(), ref / ref.max(), atol=1e-5)


def test_window_taps_count_each_tap_inside_the_map():
    net = _net(kernel=3)
    h, w = 4, 5
    ones = torch.ones(1, 2, h * 3, w * 3)
    # corner taps land inside on (h-1) x (w-1) windows, edge-centre taps on (h-1) x w or h x (w-1)
    expected = torch.tensor([[12., 15., 12.], [16., 20., 16.], [12., 15., 12.]])
    assert torch.equal(net.window_taps(ones, h, w)[0, 1], expected)
    assert torch.equal(net.valid_taps(h, w), expected.long())


@pytest.mark.parametrize("center_preserving", [True, False])
def test_sampled_tap_counts_have_the_law_of_counted_masks(center_preserving):
    """sample_taps draws window_taps(masks) directly: same mean and variance per tap over many selections."""
    net = _net(p=0.7, center_preserving=center_preserving)
    f = torch.zeros(1, 3, 4, 5)
    g = torch.Generator().manual_seed(11)
    counted = net.window_taps(net.masks(3000, f, g), 4, 5)
    sampled = net.sample_taps(3000, f, g)
    v = net.valid_taps(4, 5).float()
    keep = 1 - 0.7
    mean, var = v.expand(3, 3, 3).clone(), (v * 0.7 / keep).expand(3, 3, 3).clone()  # Binomial(v, 1-p) / (1-p)
    if center_preserving:
        mean[:, 1, 1], var[:, 1, 1] = v[1, 1], 0.0
    for taps in (counted, sampled):
        se = (var / 3000).sqrt().clamp_min(1e-6)
        assert ((taps.mean(0) - mean).abs() <= 5 * se + 1e-5).all()
        assert torch.allclose(taps.var(0), var, rtol=0.15, atol=1e-5)
    assert not torch.equal(sampled[0], sampled[1])


def test_sampled_counts_give_grad_cams_of_masks_with_those_counts():
    """Grad-CAM depends on a mask only through its tap counts: two different masks, same counts, same CAM."""
    net = _net(p=0.5)
    f = torch.randn(1, 16, 4, 4)
    masks = net.masks(1, f, torch.Generator().manual_seed(1))
    shuffled = masks.clone()  # swap the masks of two interior windows: same tap counts, another mask
    w = shuffled.view(1, 16, 4, 3, 4, 3)
    w[:, :, 1, :, 1], w[:, :, 2, :, 2] = masks.view(1, 16, 4, 3, 4, 3)[:, :, 2, :, 2], masks.view(1, 16, 4, 3, 4, 3)[:, :, 1, :, 1]
    assert not torch.equal(masks, shuffled)
    ref = net.grad_cams(f, [0, 2], masks)
    assert torch.allclose(net.grad_cams(f, [0, 2], shuffled), ref, atol=1e-5)
    assert torch.allclose(net.grad_cams_batched(f, [0, 2], taps=net.window_taps(masks, 4, 4)), ref, atol=1e-5)


def test_elementwise_grad_cams_equal_autograd_and_see_where_units_were_dropped():
    from wsss.ops.stochastic_cams import elementwise_grad_cams, localization
    net = _net(p=0.5)
    f = torch.rand(1, 16, 5, 6)
    masks = net.masks(3, f, torch.Generator().manual_seed(4))
    fr = f.expand(3, -1, -1, -1).clone().requires_grad_(True)
    scores = net.score_maps(fr, masks).mean(dim=(2, 3))
    ref = []
    for c in (0, 2):
        (g,) = torch.autograd.grad(scores[:, c].sum(), fr, retain_graph=True)
        ref.append(F.relu((g * fr).sum(1)))
    ref = torch.stack(ref, 1).detach()
    fast = elementwise_grad_cams(net, f, [0, 2], masks)
    assert ref.max() > 0 and torch.allclose(fast, ref, atol=1e-6)
    # swapping two interior windows' masks keeps the tap counts (standard Grad-CAM unchanged) but moves the map
    shuffled = masks.clone()
    w = shuffled.view(3, 16, 5, 3, 6, 3)
    w[:, :, 1, :, 1], w[:, :, 3, :, 4] = masks.view(3, 16, 5, 3, 6, 3)[:, :, 3, :, 4], masks.view(3, 16, 5, 3, 6, 3)[:, :, 1, :, 1]
    assert torch.allclose(net.grad_cams_batched(f, [0], shuffled), net.grad_cams_batched(f, [0], masks), atol=1e-6)
    assert not torch.allclose(elementwise_grad_cams(net, f, [0], shuffled), elementwise_grad_cams(net, f, [0], masks))
    with pytest.raises(ValueError, match="needs sampler 'kept' or 'masks'"):
        localization(net, torch.randn(1, 3, 64, 64), [1], n=2, threshold=0.5, gradcam="elementwise", sampler="counts")


def test_location_dropout_shares_a_mask_across_channels_and_keeps_the_closed_forms():
    from wsss.ops.stochastic_cams import elementwise_grad_cams
    net = _net(p=0.5)
    net.dropout = "location"
    f = torch.rand(1, 16, 5, 6)
    masks = net.masks(3, f, torch.Generator().manual_seed(2))
    assert masks.shape == (3, 1, 15, 18)
    assert torch.allclose(elementwise_grad_cams(net, f, [0, 2], masks),
                          net.grad_cams(f, [0, 2], masks, elementwise=True), atol=1e-6)
    assert torch.allclose(net.grad_cams_batched(f, [0, 2], masks), net.grad_cams(f, [0, 2], masks), atol=1e-5)
    taps = net.sample_taps(4, f, torch.Generator().manual_seed(0))
    assert taps.shape == (4, 16, 3, 3) and torch.equal(taps[:, :1].expand_as(taps), taps)


def test_elementwise_selections_differ_in_space_where_mean_grad_cam_selections_do_not():
    """The review's finding, as a known answer: with the linear head, mean Grad-CAMs of different
    selections are nearly proportional; element-wise ones follow the dropped locations."""
    from wsss.ops.stochastic_cams import selection_correlation
    net = _net(p=0.9)
    with torch.no_grad():
        net.classifier.weight.abs_()  # a class detector on ReLU features: positive evidence, as after training
    f = torch.rand(1, 16, 8, 8)
    mean = selection_correlation(net, f, [0], n=20, gradcam="mean", generator=torch.Generator().manual_seed(0))
    elem = selection_correlation(net, f, [0], n=20, gradcam="elementwise", generator=torch.Generator().manual_seed(0))
    assert mean > 0.95 and elem < 0.9


def test_bernoulli_positions_are_a_bernoulli_process():
    """Each position present independently with probability q: the share is q, the count in blocks of
    50 has the binomial variance, neighbours are uncorrelated; q = 1 and q = 0 are exact."""
    from wsss.models.ficklenet import bernoulli_positions
    g = torch.Generator().manual_seed(0)
    n, q = 200_000, 0.1
    pos = bernoulli_positions(n, q, g)
    assert pos.dtype == torch.long and (pos.diff() > 0).all() and pos.min() >= 0 and pos.max() < n
    hit = torch.zeros(n)
    hit[pos] = 1
    assert abs(hit.mean().item() - q) < 4 * (q * (1 - q) / n) ** 0.5
    blocks = hit.view(-1, 50).sum(1)
    assert abs(blocks.var().item() / (50 * q * (1 - q)) - 1) < 0.1
    assert abs(torch.corrcoef(torch.stack([hit[:-1], hit[1:]]))[0, 1].item()) < 0.02
    assert torch.equal(bernoulli_positions(7, 1.0, g), torch.arange(7))
    assert len(bernoulli_positions(7, 0.0, g)) == 0
    # batches of 1-2 gaps: every draw runs the loop that continues from the last arrival
    short = torch.zeros(3000, 12)
    for i in range(3000):
        pos = bernoulli_positions(12, 0.3, g, batch=2)
        assert (pos.diff() > 0).all() and (pos < 12).all()
        short[i, pos] = 1
    assert (short.mean(0) - 0.3).abs().max() < 4 * (0.3 * 0.7 / 3000) ** 0.5
    assert torch.corrcoef(short.t()).triu(1).abs().max() < 0.08


@pytest.mark.parametrize("dropout", ["unit", "location"])
@pytest.mark.parametrize("center_preserving", [True, False])
@pytest.mark.parametrize("k", [3, 5])
def test_kept_units_give_the_element_wise_grad_cam_of_their_masks(dropout, center_preserving, k):
    """kept_grad_cams from the kept units alone = the dense closed form = autograd, on the same selections;
    the densified masks keep the centre, scale kept units by 1/(1-p) and drop at rate p."""
    from wsss.ops.stochastic_cams import elementwise_grad_cams, kept_grad_cams
    net = _net(p=0.7, dropout=dropout, center_preserving=center_preserving, kernel=k)
    f = torch.rand(1, 16, 5 + k - 3, 6 + k - 3)
    kept = net.sample_kept(40, f, torch.Generator().manual_seed(3))
    masks = net.kept_masks(kept, f)
    h, w, r = f.shape[2], f.shape[3], k // 2
    assert masks.shape == (40, 1 if dropout == "location" else 16, h * k, w * k)
    fast = kept_grad_cams(net, f, [0, 2], kept)
    assert fast.max() > 0
    assert torch.allclose(fast, elementwise_grad_cams(net, f, [0, 2], masks), atol=1e-6)
    assert torch.allclose(fast[:3], net.grad_cams(f, [0, 2], masks[:3], elementwise=True), atol=1e-6)
    units = masks.view(40, -1, h, k, w, k)
    assert torch.all(units[:, :, 0, :r] == 0) and torch.all(units[:, :, :, :, -1, r + 1:] == 0)  # land in padding
    if center_preserving:
        assert torch.all(units[:, :, :, r, :, r] == 1)
    inner = units[:, :, r:h - r, :, r:w - r, :]  # windows whose every unit lands inside the map
    if center_preserving:
        inner = inner.clone()
        inner[:, :, :, r, :, r] = float("nan")
        inner = inner[~inner.isnan()]
    assert torch.allclose(inner[inner > 0], torch.tensor(1 / 0.3))
    assert abs((inner == 0).float().mean().item() - 0.7) < 0.03


@pytest.mark.parametrize("per_selection", [True, False])
def test_aggregate_folds_each_selection_as_the_slow_reference(per_selection):
    """aggregate (one selection at a time, or the batch at once) = a plain loop over selections: the
    running max of each selection's upsampled maps divided by their own max, and the firing count."""
    import torch.nn.functional as F

    from wsss.ops.stochastic_cams import aggregate
    g = torch.Generator().manual_seed(4)
    cams = torch.rand(7, 3, 5, 6, generator=g) * torch.rand(7, 3, 1, 1, generator=g) * 4
    cams[2, 1] = 0  # a selection whose map of one class is empty: divided by the floor, not by 0
    best, fired = torch.full((3, 20, 24), 0.05), torch.ones(3, 20, 24)  # folded into what came before
    aggregate(cams, (20, 24), 0.6, best, fired, per_selection=per_selection)
    want_best, want_fired = torch.full((3, 20, 24), 0.05), torch.ones(3, 20, 24)
    for s in range(7):
        for c in range(3):
            up = F.interpolate(cams[s:s + 1, c:c + 1], size=(20, 24), mode="bilinear", align_corners=False)[0, 0]
            m = up / max(up.max().item(), 1e-5)
            want_best[c] = torch.maximum(want_best[c], m)
            want_fired[c] += (m > 0.6).float()
    assert torch.allclose(best, want_best, atol=1e-6)
    assert torch.equal(fired, want_fired)
    assert fired.max() > 2 and fired.min() == 1 and best.max() == 1  # some pixels fire often, some never
    at_max = torch.zeros(3, 20, 24)
    aggregate(cams, (20, 24), 1.0, best, at_max, per_selection=per_selection)
    assert at_max.sum() == 0  # a normalised map reaches 1 at its max and never exceeds it: strictly above
