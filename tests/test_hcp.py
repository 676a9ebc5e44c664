"""HCP: the hierarchical grouping of superpixels, the hypotheses, cross-hypothesis max pooling and the
accumulated map, on known answers; one training step and an extraction on a tiny image."""
import numpy as np
import pytest
import torch

from wsss.localizers import get_localizer
from wsss.localizers.hcp import hypothesis_maps, pooled_logits
from wsss.ops.proposals import adjacency, hierarchy, hypotheses


def four_quadrants():
    sp = np.zeros((8, 8), np.int64)
    sp[:4, 4:], sp[4:, :4], sp[4:, 4:] = 1, 2, 3
    img = np.zeros((8, 8, 3), np.uint8)
    img[:, :4] = (200, 30, 30)          # superpixels 0 and 2 share a colour
    img[:4, 4:] = (30, 200, 30)
    img[4:, 4:] = (30, 30, 200)
    return img, sp


def test_adjacency_is_4_connected():
    _, sp = four_quadrants()
    assert adjacency(sp) == {(0, 1), (0, 2), (1, 3), (2, 3)}   # no diagonal pairs


def test_hierarchy_merges_the_most_similar_neighbours_first():
    img, sp = four_quadrants()
    regions = hierarchy(img, sp)
    assert regions[:4] == [frozenset([i]) for i in range(4)]
    assert regions[4] == frozenset([0, 2])                      # same colour, adjacent
    assert regions[-1] == frozenset(range(4)) and len(regions) == 7


def test_hypotheses_start_with_the_whole_image_and_are_distinct():
    img, sp = four_quadrants()
    hyps = hypotheses(img, sp, n=3, min_area=0.2)
    assert hyps[0][0].all() and hyps[0][1] == (0, 0, 8, 8)
    boxes = [b for _, b in hyps]
    assert len(set(boxes)) == len(boxes) and len(hyps) <= 4
    assert all(m.mean() >= 0.2 for m, _ in hyps)


def test_pooled_logits_max_over_valid_hypotheses():
    class Fixed(torch.nn.Module):
        def forward(self, x):
            return x.flatten(1)[:, :2]

    x = torch.zeros(1, 3, 3, 2, 2)
    x[0, 0, 0, 0, 0], x[0, 1, 0, 0, 1], x[0, 2, 0, 0, 0] = 1.0, 2.0, 9.0
    out = pooled_logits(Fixed(), x, torch.tensor([[True, True, False]]))
    assert out.tolist() == [[1.0, 2.0]]                         # the invalid third hypothesis is ignored


def test_hypothesis_maps_sum_confident_hypotheses():
    masks = [np.ones((2, 2), bool), np.array([[1, 0], [0, 0]], bool), np.array([[0, 1], [0, 0]], bool)]
    probs = np.array([[0.9, 0.2], [0.6, 0.3], [0.1, 0.4]])
    maps = hypothesis_maps(probs, masks, [1, 2], threshold=0.5)
    np.testing.assert_allclose(maps[0], [[1.5, 0.9], [0.9, 0.9]])   # hypotheses 1 and 2 are confident
    np.testing.assert_allclose(maps[1], [[0.5, 0.6], [0.2, 0.2]])   # none confident: every hypothesis


def test_step_and_extraction_run():
    from skimage.segmentation import slic

    loc = get_localizer("hcp")
    settings = {"backbone": "mobilenet_v2", "pretrained": False, "hcp": {"n_hypotheses": 4, "size": 32}}
    torch.manual_seed(0)
    net = loc.build(settings, 3)
    img = (np.random.default_rng(0).random((48, 64, 3)) * 255).astype(np.uint8)
    sp = slic(img, n_segments=12, start_label=0)
    loss = loc.step(net.train(), (torch.randn(2, 5, 3, 32, 32), torch.ones(2, 5, dtype=torch.bool),
                                  torch.tensor([[1.0, 0, 0], [0, 1, 1]])), "cpu")
    loss.backward()
    assert torch.isfinite(loss) and net.classifier.weight.grad.abs().sum() > 0
    extract = loc.extractor(net.eval(), {"hcp": {"threshold": 0.5}, "flip": True}, "cpu", 0)
    maps = extract(img, [1, 3], sp).cams
    assert maps.shape == (2, 48, 64) and maps.max() == pytest.approx(1.0, abs=1e-4) and maps.min() >= 0
    assert np.isfinite(loc.image_logits(net, img, 32, "cpu", sp)).all()


def test_batches_from_the_index_pad_hypotheses(tmp_path):
    """The real training path: HCP.batches on a tiny demo index with its superpixels."""
    from skimage.segmentation import slic

    from stages import prepare_data
    from wsss.data import demo as demo_data
    from wsss.data.dataset import Index

    demo_data.generate(tmp_path / "raw", n_train=3, n_val=1, size=48)
    prepare_data.main(["--dataset", "demo", "--root", str(tmp_path / "raw"), "--out", str(tmp_path / "data")])
    index = Index(tmp_path / "data" / "index.json")
    ids = [i for i in index.splits["train"] if index.labels[i]]

    class Reader:
        def get(self, image_id):
            from wsss.io.files import read_image
            return slic(read_image(index.images[image_id]), n_segments=8, start_label=0), None

    settings = {"batch_size": 2, "hcp": {"n_hypotheses": 6, "size": 32}}
    x, valid, y = next(iter(get_localizer("hcp").batches(index, ids, settings, 48, 0, Reader())(0)))
    assert x.shape == (2, 7, 3, 32, 32) and valid.shape == (2, 7) and valid[:, 0].all()
    assert (x[~valid] == 0).all() and y.shape[0] == 2
