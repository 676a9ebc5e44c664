"""FickleNet (Lee, Kim, Lee, Yoon, CVPR 2019): stochastic selection of hidden units.

    backbone -> (1x1 reduction) -> features f (B, C, h, w)
    expand(f): the k x k window of every position laid side by side -> (B, C, h*k, w*k)
    dropout on the expanded map: each window position gets its own random hidden units; with
        center-preserving dropout the window centre is never dropped
    conv k x k, stride k on the expanded map (= the ordinary stride-1 conv when nothing is dropped)
    -> GAP -> class scores (sigmoid / multi-label loss)

Kept units are scaled by 1/(1-p) (inverted dropout) and the preserved centre by 1, so an
unmasked pass (stochastic inference off) matches the masked passes in expectation.

Which units a mask drops (`dropout`): "unit" (default) drops each hidden unit -- each (channel,
position) of the expanded map -- independently, as standard dropout on the expanded map does: the
paper's "random hidden unit selection", different at each sliding-window position. "location"
(option) drops all channels of a position together (spatial dropout of the expanded map).

`expansion=False` computes the same masked conv without the expanded map: one small product per
window position, in a loop (the paper's no-expansion baseline for time and memory). Given the
same masks both paths give the same scores (tested).

Stochastic inference: the backbone runs once per image; the Grad-CAM (w.r.t. f) of each of the N
selections follows in closed form from its mask (grad_cams_batched; grad_cams is the autograd
reference), and needs of the mask only its kept-unit counts per (channel, kernel tap), which
sample_taps draws directly (same law, far fewer random numbers).

The element-wise Grad-CAM needs each unit's mask, and drawing n*c*h*w*k*k uniform numbers per view
dominates its cost on a CPU (p = 0.9 drops 90% of them). sample_kept draws instead the positions of
the KEPT units only, as the gaps of a Bernoulli(1-p) process (geometric, so exactly the law of
independent units), about (1-p) as many random numbers; kept_masks turns them back into the dense
masks (the reference paths and tests).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from wsss.models.backbones import BackboneNet, build_backbone


def expand(x: torch.Tensor, k: int) -> torch.Tensor:
    """(B, C, h, w) -> (B, C, h*k, w*k); out[:, :, i*k + a, j*k + b] = x[:, :, i + a - k//2, j + b - k//2] (0 outside)."""
    b, c, h, w = x.shape
    cols = F.unfold(x, k, padding=k // 2).view(b, c, k, k, h, w)
    return cols.permute(0, 1, 4, 2, 5, 3).reshape(b, c, h * k, w * k)


DROPOUT = ("unit", "location")


def selection_masks(n: int, c: int, h: int, w: int, k: int, p: float, center_preserving: bool,
                    generator=None, device="cpu", dropout: str = "unit") -> torch.Tensor:
    """(n, c, h*k, w*k) float masks -- (n, 1, h*k, w*k) for dropout "location", shared by the channels --
    0 (dropped), 1/(1-p) (kept) and 1 at preserved window centres."""
    if dropout not in DROPOUT:
        raise ValueError(f"dropout must be one of {DROPOUT}, got {dropout!r}")
    c = 1 if dropout == "location" else c
    keep = torch.rand(n, c, h * k, w * k, generator=generator, device=device) >= p
    mask = keep.float() / (1 - p)
    if center_preserving:
        mask.view(n, c, h, k, w, k)[:, :, :, k // 2, :, k // 2] = 1.0
    return mask


def bernoulli_positions(length: int, q: float, generator=None, device="cpu", batch: int | None = None) -> torch.Tensor:
    """Sorted positions in [0, length) each present independently with probability q: the arrivals of a
    Bernoulli process, drawn as geometric gaps (floor(log U / log(1 - q)) + 1, U uniform on (0, 1]) in
    float64, so about q * length random numbers instead of length. Gaps come in batches (default:
    their expected count + 6 sd + 16); when a batch falls short of the end, the next continues from
    the last arrival (the process has no memory)."""
    if q >= 1:
        return torch.arange(length, device=device)
    if q <= 0 or length == 0:
        return torch.zeros(0, dtype=torch.long, device=device)
    log_miss = torch.log1p(torch.tensor(-q, dtype=torch.float64)).item()
    parts, start = [], 0
    while start < length:
        rest = length - start
        m = batch or int(q * rest + 6 * (rest * q * (1 - q)) ** 0.5) + 16  # enough to pass the end, almost always
        u = torch.rand(m, dtype=torch.float64, generator=generator, device=device)
        gaps = torch.floor(torch.log1p(-u) / log_miss).long() + 1  # 1 - u in (0, 1]
        pos = start - 1 + torch.cumsum(gaps, 0)
        parts.append(pos[pos < length])
        start = int(pos[-1]) + 1
    return torch.cat(parts)


class FickleNet(BackboneNet):
    def __init__(self, backbone: str, n_fg: int, pretrained: bool = True, weights_path: str | None = None,
                 p: float = 0.9, kernel: int = 3, center_preserving: bool = True, expansion: bool = True,
                 stochastic_train: bool = True, width: int = 512, dropout: str = "unit"):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"dropout rate p must be in [0, 1), got {p}")
        self.features, ch, self.stride = build_backbone(backbone, pretrained, dilate=False, weights_path=weights_path)
        self.reduce = nn.Identity() if ch == width else nn.Sequential(nn.Conv2d(ch, width, 1), nn.ReLU(inplace=True))
        self.classifier = nn.Conv2d(width, n_fg, kernel, bias=False)
        nn.init.xavier_uniform_(self.classifier.weight)
        self.p, self.k, self.center_preserving = p, kernel, center_preserving
        self.expansion, self.stochastic_train = expansion, stochastic_train
        self.pretrained, self.dropout = pretrained, dropout

    def param_groups(self):
        return [p for p in self.features.parameters() if p.requires_grad], \
            [*self.reduce.parameters(), *self.classifier.parameters()]

    def feature_map(self, x):
        return self.reduce(self.features(x))

    def masks(self, n, f, generator=None):
        _, c, h, w = f.shape
        return selection_masks(n, c, h, w, self.k, self.p, self.center_preserving, generator, f.device, self.dropout)

    def score_maps(self, f, masks=None):
        """Class score maps (n, C, h, w) of features f (n, c, h, w) under masks (n, c, h*k, w*k) or none."""
        if masks is None:
            return F.conv2d(f, self.classifier.weight, padding=self.k // 2)
        if self.expansion:
            return F.conv2d(expand(f, self.k) * masks, self.classifier.weight, stride=self.k)
        return self._score_maps_per_window(f, masks)

    def _score_maps_per_window(self, f, masks):
        """The same masked conv with no expanded map: one product per window position."""
        n, c, h, w = f.shape
        k, weight = self.k, self.classifier.weight.flatten(1)            # (C, c*k*k)
        padded = F.pad(f, (k // 2,) * 4)
        out = f.new_empty(n, weight.shape[0], h, w)
        for i in range(h):
            for j in range(w):
                window = padded[:, :, i:i + k, j:j + k] * masks[:, :, i * k:(i + 1) * k, j * k:(j + 1) * k]
                out[:, :, i, j] = window.flatten(1) @ weight.t()
        return out

    def forward(self, x):
        f = self.feature_map(x)
        masks = self.masks(len(f), f) if self.training and self.stochastic_train and self.p > 0 else None
        return self.score_maps(f, masks).mean(dim=(2, 3))

    def _inside(self, h: int, w: int, device=None) -> torch.Tensor:
        """(h, k, w, k) bool: whether tap (a, b) of the window at (i, j) lands inside the h x w map."""
        k = self.k
        rows = torch.arange(h, device=device)[:, None] + torch.arange(k, device=device) - k // 2
        cols = torch.arange(w, device=device)[:, None] + torch.arange(k, device=device) - k // 2
        return ((rows >= 0) & (rows < h))[:, :, None, None] & ((cols >= 0) & (cols < w))[None, None]

    def valid_taps(self, h: int, w: int, device=None) -> torch.Tensor:
        """(k, k): for each kernel tap (a, b), the number of window positions where it lands inside the map."""
        return self._inside(h, w, device).sum((0, 2))

    def window_taps(self, masks: torch.Tensor, h: int, w: int) -> torch.Tensor:
        """masks (n, c, h*k, w*k) -> (n, c, k, k): each tap's mask summed over the windows where it lands
        inside the map. All a selection's Grad-CAM needs of its mask (see grad_cams_batched)."""
        inside = self._inside(h, w, masks.device).to(masks.dtype)
        return (masks.view(len(masks), masks.shape[1], h, self.k, w, self.k) * inside).sum((2, 4))

    def sample_taps(self, n: int, f: torch.Tensor, generator=None) -> torch.Tensor:
        """window_taps of n fresh selections, drawn without drawing the masks: (n, c, k, k).

        Each tap sums V independent units (V = valid_taps), each kept with probability 1-p and scaled by
        1/(1-p), so its sum is Binomial(V, 1-p) / (1-p); a preserved centre sums to V. Same law as
        window_taps(masks(n, f)), from n*c*k*k random numbers instead of n*c*h*w*k*k."""
        _, c, h, w = f.shape
        drawn = 1 if self.dropout == "location" else c  # location: one count per tap, shared by the channels
        v = self.valid_taps(h, w, f.device).to(torch.float32).expand(n, drawn, self.k, self.k).contiguous()
        taps = torch.binomial(v, torch.full_like(v, 1 - self.p), generator=generator) / (1 - self.p)
        if self.center_preserving:
            taps[:, :, self.k // 2, self.k // 2] = v[:, :, self.k // 2, self.k // 2]
        return taps.expand(n, c, self.k, self.k).to(f.dtype)

    @property
    def centre_tap(self) -> int:
        """The window centre's kernel tap, a*k + b."""
        return (self.k // 2) * self.k + self.k // 2

    def dropped_taps(self) -> list[int]:
        """Kernel taps (a*k + b) whose units are random: all of them, or all but the preserved centre."""
        return [t for t in range(self.k * self.k) if not (self.center_preserving and t == self.centre_tap)]

    def unit_channels(self, f) -> int:
        """Channels with their own unit at a (position, tap): c, or 1 for location dropout (shared)."""
        return 1 if self.dropout == "location" else f.shape[1]

    def sample_kept(self, n: int, f: torch.Tensor, generator=None) -> list[torch.Tensor]:
        """Kept units of n fresh selections for f (1, c, h, w): per selection, the sorted flat indices into
        (h*w, J) of its kept units -- the position u the unit LANDS on (window + the tap's offset), and
        j = ch * T + t over the unit channels and the T dropped taps -- each kept independently with
        probability 1-p.

        Indexing by landed position covers every unit that can touch f (units landing in the padding
        multiply zeros); an index whose window falls outside the map stands for no unit and counts
        nothing (kept_grad_cams weighs it 0). Selections are drawn one after another from the generator,
        so chunking them differently draws the same selections."""
        _, _, h, w = f.shape
        per = h * w * self.unit_channels(f) * len(self.dropped_taps())
        return [bernoulli_positions(per, 1 - self.p, generator, f.device) for _ in range(n)]

    def landed_windows(self, h: int, w: int, device=None) -> tuple[torch.Tensor, torch.Tensor]:
        """For each landed position u (h*w) and dropped tap t: the window's flat position (h*w, T), and
        whether that window lies inside the map."""
        taps = torch.tensor(self.dropped_taps(), device=device)
        da, db = taps // self.k - self.k // 2, taps % self.k - self.k // 2
        rows = torch.arange(h, device=device)[:, None, None] - da
        cols = torch.arange(w, device=device)[None, :, None] - db
        valid = ((rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)).view(h * w, -1)
        return (rows.clamp(0, h - 1) * w + cols.clamp(0, w - 1)).view(h * w, -1), valid

    def kept_masks(self, kept: list[torch.Tensor], f: torch.Tensor) -> torch.Tensor:
        """The dense masks (n, c or 1, h*k, w*k) of sample_kept's selections, as `masks` lays them out;
        units that land outside the map (they multiply padding) are 0."""
        _, _, h, w = f.shape
        n = len(kept)
        k, taps, cu = self.k, self.dropped_taps(), self.unit_channels(f)
        t_n = len(taps)
        window, valid = self.landed_windows(h, w, f.device)
        units = torch.zeros(n, cu, h, k, w, k, device=f.device)
        if self.center_preserving:
            units[:, :, :, k // 2, :, k // 2] = 1.0
        sel = torch.cat([torch.full_like(pos, i) for i, pos in enumerate(kept)])
        rest = torch.cat(kept)
        u, ch, t = rest // (cu * t_n), (rest % (cu * t_n)) // t_n, rest % t_n
        ok = valid[u, t]
        win, tap = window[u, t][ok], torch.tensor(taps, device=f.device)[t[ok]]
        units[sel[ok], ch[ok], win // w, tap // k, win % w, tap % k] = 1 / (1 - self.p)
        return units.view(n, cu, h * k, w * k)

    def grad_cams_batched(self, f, class_idx, masks=None, taps=None):
        """The same Grad-CAMs as `grad_cams` for one image f (1, c, h, w), in closed form.

        The head is linear (masked conv -> GAP), so d score_c / d f does not depend on f and its spatial
        mean -- Grad-CAM's channel weight -- is a sum of the classifier weights times the selection's
        mask over the windows, counting only taps that land inside the map:
            alpha[n, c, ch] = sum_{a,b} W[c, ch, a, b] * taps[n, ch, a, b] / (h*w)^2,
            taps[n, ch, a, b] = sum_{i,j valid} M_n[ch, i*k+a, j*k+b]   (window_taps, or sample_taps)
        Then CAM = ReLU(sum_ch alpha * f). No per-selection copy of f, no backward pass."""
        _, c, h, w = f.shape
        if taps is None:
            taps = (self.valid_taps(h, w, f.device).to(f.dtype).expand(1, c, self.k, self.k) if masks is None
                    else self.window_taps(masks, h, w).expand(len(masks), c, self.k, self.k))
        alpha = torch.einsum("Kcab,ncab->nKc", self.classifier.weight[class_idx], taps) / (h * w) ** 2
        return F.relu(torch.einsum("nKc,chw->nKhw", alpha, f[0])).detach()

    def grad_cams(self, f, class_idx, masks=None, elementwise: bool = False):
        """Grad-CAM w.r.t. f of each selection by autograd: f (1 or n, c, h, w), masks (n, ...) or None ->
        (n, K, h, w). Each selection gets its own copy of f (one backward per class): the reference for
        grad_cams_batched and, with elementwise (ReLU(sum_ch dS/df_ch * f_ch)), for
        wsss.ops.stochastic_cams.elementwise_grad_cams."""
        n = 1 if masks is None else len(masks)
        with torch.enable_grad():
            fr = f.detach().expand(n, *f.shape[1:]).clone().requires_grad_(True)
            scores = self.score_maps(fr, masks).mean(dim=(2, 3))
            maps = []
            for j, c in enumerate(class_idx):
                (g,) = torch.autograd.grad(scores[:, c].sum(), fr, retain_graph=j < len(class_idx) - 1)
                weight = g if elementwise else g.mean(dim=(2, 3), keepdim=True)
                maps.append(F.relu((weight * fr).sum(1)))
        return torch.stack(maps, 1).detach()
