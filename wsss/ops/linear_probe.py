"""A linear probe of frozen features: a penalised multi-label linear layer fitted by full-batch L-BFGS,
its L2 strength chosen by k-fold cross-validation on the training images only (as CLIP's probes choose
their C on a split of the training set). Used by the cam_probe localizer and bench/linear_probe.py."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from wsss.ops.metrics import mean_average_precision

L2_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)


@torch.no_grad()
def image_features(net, index, ids, crop: int, flip: bool, device="cpu"):
    """(N x views, D) GAP features of `net` on each image resized to crop x crop (and its flip: image i at
    rows 2i, 2i + 1), and the matching (N x views, C) multi-hot targets."""
    import cv2
    from tqdm import tqdm

    from wsss.data.transforms import to_tensor
    from wsss.io.files import read_image

    feats, targets = [], []
    for image_id in tqdm(ids, desc="probe features"):
        x = to_tensor(cv2.resize(read_image(index.images[image_id]), (crop, crop)))[None]
        x = torch.cat([x, x.flip(-1)]) if flip else x
        feats.append(F.adaptive_avg_pool2d(net(x.to(device)), 1).flatten(1).float().cpu())
        targets += [torch.from_numpy(index.multi_hot(image_id))] * len(x)
    return torch.cat(feats), torch.stack(targets).float()


class Probe(torch.nn.Module):
    """(N, D) features -> (N, C) logits: standardised with the training features' mean / std, then linear."""

    def __init__(self, mean, std, n_classes: int):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.linear = torch.nn.Linear(len(mean), n_classes)

    def forward(self, x):
        return self.linear((x - self.mean) / self.std)

    def raw_weight(self):
        """(C, D) weights on the UNstandardised features: logits = raw_weight @ x + a per-class constant."""
        return self.linear.weight / self.std


def fit_l2(x, y, l2: float, iters: int = 200) -> Probe:
    """Mean multi-label soft-margin loss + l2 * sum of squared weights (bias free), full-batch L-BFGS."""
    torch.manual_seed(0)
    probe = Probe(x.mean(0), x.std(0) + 1e-6, y.shape[1])
    z = (x - probe.mean) / probe.std
    layer = probe.linear
    opt = torch.optim.LBFGS(layer.parameters(), lr=1, max_iter=iters, history_size=20, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.multilabel_soft_margin_loss(layer(z), y) + l2 * layer.weight.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return probe.eval()


def cv_l2(x, y, views: int, folds: int = 5, grid=L2_GRID, iters: int = 200) -> dict:
    """{l2: mean held-out mAP} over `folds` folds of the training IMAGES (rows come in groups of `views`,
    e.g. an image and its flip, which always share a fold)."""
    images = len(x) // views
    fold_of = (torch.arange(images) % folds).repeat_interleave(views)
    scores = {}
    for l2 in grid:
        maps = []
        for f in range(folds):
            held = fold_of == f
            probe = fit_l2(x[~held], y[~held], l2, iters)
            with torch.no_grad():
                maps.append(mean_average_precision(torch.sigmoid(probe(x[held])).numpy(), y[held].numpy()))
        scores[l2] = sum(maps) / len(maps)
    return scores
