"""HCP: Hypotheses-CNN-Pooling (Wei et al., TPAMI 2016) and the proposal-based localization map built
on it (seed 001: Wei et al.'s proposal-based WSSS, about 43% mIoU on VOC).

Hypotheses: the whole image and up to `classifier.hcp.n_hypotheses` regions of a hierarchical
grouping of the DAG's superpixels (selective search style, wsss.ops.proposals; the paper: BING boxes
clustered by normalised cut), each cropped to its box and resized to `classifier.hcp.size`.
Training: one shared CNN (backbone + GAP + linear) scores every hypothesis; the image's scores are
the max over its hypotheses (cross-hypothesis max pooling); multi-label soft-margin loss.
Maps (`cams.method: hcp`): for each labelled class, the sum over hypotheses whose probability exceeds
`cams.hcp.threshold` of probability x the hypothesis' region mask (every hypothesis when none does),
max-normalised: pixels most confident hypotheses agree on light up (the seed's accumulation).
Departures: proposals from our superpixels (no BING / EdgeBoxes offline), the regions' masks rather
than their boxes in the map, no multi-instance re-ranking of the proposals, the project's backbone.
"""
from __future__ import annotations

import numpy as np

from wsss.localizers import register
from wsss.localizers.base import Localizer, Maps, max_normalise


def crops(img: np.ndarray, hyps, size: int, flip: bool = False) -> np.ndarray:
    """(n, 3, size, size) normalised crops of each hypothesis' box (optionally flipped)."""
    import cv2

    from wsss.data.transforms import to_tensor

    out = []
    for _, (y0, x0, y1, x1) in hyps:
        c = cv2.resize(np.ascontiguousarray(img[y0:y1, x0:x1]), (size, size), interpolation=cv2.INTER_LINEAR)
        out.append(to_tensor(c[:, ::-1].copy() if flip else c).numpy())
    return np.stack(out)


class HypothesisCrops:
    """Training items (crops (n + 1, 3, s, s), valid (n + 1,) bool, multi-hot labels); the hypotheses of
    each image are computed once (un-augmented image) and cached; each crop is flipped at random."""

    def __init__(self, index, ids, sp_reader, n: int, size: int, seed: int):
        self.index, self.ids, self.sp, self.n, self.size, self.seed, self.epoch = index, list(ids), sp_reader, n, size, seed, 0
        self.cache: dict = {}

    def __len__(self):
        return len(self.ids)

    def hyps(self, image_id, img):
        from wsss.ops.proposals import hypotheses

        if image_id not in self.cache:
            self.cache[image_id] = [(None, b) for _, b in hypotheses(img, self.sp.get(image_id)[0], self.n)]
        return self.cache[image_id]

    def __getitem__(self, i):
        import torch

        from wsss.io.files import read_image

        image_id = self.ids[i]
        img = read_image(self.index.images[image_id])
        hyps = self.hyps(image_id, img)
        rng = np.random.default_rng([self.seed, self.epoch, i])
        x = np.stack([crops(img, [h], self.size, flip=bool(rng.random() < 0.5))[0] for h in hyps])
        valid = np.zeros(self.n + 1, bool)
        valid[:len(hyps)] = True
        pad = np.zeros((self.n + 1 - len(hyps), *x.shape[1:]), x.dtype)
        return torch.from_numpy(np.concatenate([x, pad])), torch.from_numpy(valid), \
            torch.from_numpy(self.index.multi_hot(image_id))


def pooled_logits(model, x, valid):
    """Cross-hypothesis max pooling: (B, n, 3, s, s) crops, (B, n) valid -> (B, C) image logits."""
    b, n = x.shape[:2]
    logits = model(x.flatten(0, 1)).view(b, n, -1)
    return logits.masked_fill(~valid[..., None], float("-inf")).max(1).values


def hypothesis_maps(probs: np.ndarray, masks, class_ids, threshold: float) -> np.ndarray:
    """(K, H, W) sum over hypotheses of probability x mask, only those above threshold (all when none is)."""
    out = []
    for c in class_ids:
        p = probs[:, c - 1]
        keep = p > threshold if (p > threshold).any() else np.ones_like(p, bool)
        out.append(sum(float(pi) * m for pi, m, k in zip(p, masks, keep) if k).astype(np.float32))
    return np.stack(out) if out else np.zeros((0, *masks[0].shape), np.float32)


@register
class HCP(Localizer):
    name = "hcp"
    map_methods = ("hcp",)
    needs_superpixels = True
    published = "HCP proposals"
    classifier_section = "hcp"
    classifier_schema = {
        "n_hypotheses": {"type": "integer", "minimum": 1, "default": 16,
                         "description": "regions per image besides the whole image"},
        "size": {"type": "integer", "minimum": 32, "default": 96, "description": "crop side of each hypothesis"},
    }
    cams_section = "hcp"
    cams_schema = {"threshold": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.5,
                                 "description": "hypotheses above this class probability add to its map"}}

    def build(self, settings, n_fg, pretrained=None):
        from wsss.models.cam_net import CAMNet

        pretrained = settings["pretrained"] if pretrained is None else pretrained
        net = CAMNet(settings["backbone"], n_fg, pretrained, settings.get("weights_path"))
        net.hcp = dict(settings["hcp"])
        return net

    def batches(self, index, ids, settings, crop, seed, sp_reader=None, sizes=(), scale_range=(0.5, 1.5),
                features=None):
        from wsss.training import shuffled_loader

        h = settings["hcp"]
        return shuffled_loader(HypothesisCrops(index, ids, sp_reader, h["n_hypotheses"], h["size"], seed),
                               settings["batch_size"], seed)

    def step(self, model, batch, device):
        import torch.nn.functional as F

        x, valid, y = (t.to(device) for t in batch)
        return F.multilabel_soft_margin_loss(pooled_logits(model, x, valid), y)

    def scales(self, settings, sizes):
        return [1.0]

    def _probs(self, model, img, sp, device, flip: bool = True):
        import torch

        from wsss.ops.proposals import hypotheses

        hyps = hypotheses(img, sp, model.hcp["n_hypotheses"])
        with torch.no_grad():
            probs = sum(torch.sigmoid(model(torch.from_numpy(crops(img, hyps, model.hcp["size"], flip)).to(device)))
                        for flip in ((False, True) if flip else (False,))) / (2 if flip else 1)
        return probs.cpu().numpy(), [m for m, _ in hyps]

    def image_logits(self, model, img, crop, device, sp=None):
        """Max over the image's hypotheses of their logits (flip-averaged probabilities, as logits)."""
        probs, _ = self._probs(model, img, sp, device)
        p = np.clip(probs.max(0), 1e-6, 1 - 1e-6)
        return np.log(p / (1 - p))

    def extractor(self, model, settings, device, seed, sizes=()):
        import torch

        threshold = settings["hcp"]["threshold"]  # crops are flip-averaged when cams.flip

        def extract(img, class_ids, sp=None):
            probs, masks = self._probs(model, img, sp, device, settings["flip"])
            maps = hypothesis_maps(probs, masks, list(class_ids), threshold)
            return Maps(max_normalise(torch.from_numpy(maps)), list(class_ids))
        return extract
