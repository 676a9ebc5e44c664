"""ImageNet backbones through torchvision's weights API, cut to a feature extractor.

Weights resolve from the torch hub cache ($TORCH_HOME/hub/checkpoints/); torchvision downloads
them there when online. Offline, a missing file is a BadInputError that names the file and
where to put it; it is never silently replaced by a random init.

Output strides: classifier backbones run at stride 16 (the CAM resolution IRN uses);
`dilate=True` gives stride 8 for the DeepLab nets (LargeFOV, v2).
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import torch
import torch.nn as nn
import torchvision.models as tvm

from wsss.errors import BadInputError
from wsss.io.artifacts import load_torch

BACKBONES = ("mobilenet_v2", "vgg16", "resnet50", "resnet101")

_WEIGHTS = {
    "mobilenet_v2": tvm.MobileNet_V2_Weights.IMAGENET1K_V1,
    "vgg16": tvm.VGG16_Weights.IMAGENET1K_V1,
    "resnet50": tvm.ResNet50_Weights.IMAGENET1K_V1,
    "resnet101": tvm.ResNet101_Weights.IMAGENET1K_V1,
}

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def weight_file(name: str) -> Path:
    """Where torchvision looks for the ImageNet weights of `name`."""
    url = _WEIGHTS[name].url
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)


# torchvision names its weight files <arch>-<first hex digits of the file's sha256>.pth
HASH_IN_NAME = re.compile(r"-([0-9a-f]{8,})\.[a-z]+$")


def check_hash_prefix(path: Path, kind: str = "weights file", remedy: str = "") -> None:
    """A weights file whose name carries torchvision's hash prefix must have that sha256 prefix: a
    truncated download or another network saved under the name is an error naming the file."""
    m = HASH_IN_NAME.search(path.name)
    if not m:
        return
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    if not h.hexdigest().startswith(m.group(1)):
        raise BadInputError(
            f"{path}: damaged {kind} (its name says sha256 {m.group(1)}..., its content hashes to "
            f"{h.hexdigest()[:len(m.group(1))]}...: a truncated download or another file under this name). "
            + (remedy or "Replace it with the file torchvision publishes under that name."))


def load_imagenet_state(name: str, weights_path: str | None = None) -> dict:
    """The ImageNet state dict: from `weights_path`, the hub cache, or a download (each hash-checked)."""
    w = _WEIGHTS[name]
    if weights_path:
        p = Path(weights_path)
        if not p.is_file():
            raise BadInputError(f"{p}: weights file for {name} given in config (weights_path) does not exist.")
        remedy = "Replace it with an intact copy (weights_path in config.yaml)."
        check_hash_prefix(p, f"{name} weights file", remedy)
        return load_torch(p, f"{name} weights file", artifact=False, weights_only=True, remedy=remedy)
    target = weight_file(name)
    if target.is_file():
        remedy = "Delete it and rerun scripts/setup.sh (MobileNetV2) or let torchvision download it again."
        check_hash_prefix(target, f"{name} ImageNet weights file", remedy)
        return load_torch(target, f"{name} ImageNet weights file", artifact=False, weights_only=True, remedy=remedy)
    try:
        return w.get_state_dict(progress=False, check_hash=True)
    except Exception as e:
        raise BadInputError(
            f"ImageNet weights for {name} are not available: {target} is missing and downloading "
            f"{w.url} failed ({type(e).__name__}: {e}). Download that file on a machine with internet "
            f"and put it at {target} (or set TORCH_HOME, or point `weights_path` in config.yaml at it). "
            f"For mobilenet_v2, `bash scripts/setup.sh` installs it offline."
        ) from None


def build_backbone(name: str, pretrained: bool = True, dilate: bool = False, weights_path: str | None = None):
    """Return (feature module, output channels, output stride)."""
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; choose one of {BACKBONES}")
    state = load_imagenet_state(name, weights_path) if pretrained else None
    if name == "mobilenet_v2":
        net = tvm.mobilenet_v2()
        if state is not None:
            net.load_state_dict(state)
        feats = net.features
        # features[14] is the stride-2 inverted residual of the last stage: make it stride 1 so the
        # map is stride 16; with dilate also features[7] (stride 32 -> 8 overall).
        _unstride_mobilenet(feats, 14)
        stride = 16
        if dilate:
            _unstride_mobilenet(feats, 7)
            for i in range(8, 14):
                _set_dilation(feats[i], 2)
            for i in range(14, 18):
                _set_dilation(feats[i], 4)
            stride = 8
        return feats, 1280, stride
    if name == "vgg16":
        net = tvm.vgg16()
        if state is not None:
            net.load_state_dict(state)
        layers = list(net.features.children())[:-1]  # drop pool5 -> stride 16
        if dilate:  # DeepLab-LargeFOV: pool4 stride 1, conv5 dilation 2 -> stride 8
            layers[23] = nn.MaxPool2d(3, stride=1, padding=1)
            for i in (24, 26, 28):
                layers[i].dilation, layers[i].padding = (2, 2), (2, 2)
        return nn.Sequential(*layers), 512, 8 if dilate else 16
    ctor = tvm.resnet50 if name == "resnet50" else tvm.resnet101
    net = ctor(replace_stride_with_dilation=[False, dilate, True])
    if state is not None:
        net.load_state_dict(state)
    feats = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool, net.layer1, net.layer2, net.layer3, net.layer4)
    return feats, 2048, 8 if dilate else 16


def _unstride_mobilenet(feats, idx: int) -> None:
    for m in feats[idx].modules():
        if isinstance(m, nn.Conv2d) and m.stride == (2, 2):
            m.stride = (1, 1)


def _set_dilation(block, d: int) -> None:
    for m in block.modules():
        if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3):
            m.dilation, m.padding = (d, d), (d, d)


class BackboneNet(nn.Module):
    """A net made of `self.features` (pretrained or not) and new layers `self.head`.

    Pretrained backbones keep BatchNorm frozen (WSSS mini-batches are small); the optimiser
    gets the backbone and the new layers as two groups (they train at different rates).
    """

    pretrained: bool = False

    def train(self, mode: bool = True):
        super().train(mode)
        if self.pretrained:
            freeze_bn(self.features)
        return self

    def param_groups(self):
        return [p for p in self.features.parameters() if p.requires_grad], list(self.head.parameters())


def run_with_taps(features: nn.Module, x, taps):
    """Run the Sequential `features` on x: (its output, [the outputs of the layers whose index is in taps])."""
    out = []
    for i, layer in enumerate(features):
        x = layer(x)
        if i in taps:
            out.append(x)
    return x, out


def probe_channels(features: nn.Module, levels) -> list[int]:
    """Channel counts of levels(x) (a function running `features` on x and returning tensors) on a
    64 x 64 zero image, with `features` in eval mode so that no BatchNorm statistic moves (a train-mode
    forward, even under no_grad, would pull the pretrained running stats toward a black image)."""
    was = features.training
    features.eval()
    try:
        with torch.no_grad():
            return [t.shape[1] for t in levels(torch.zeros(1, 3, 64, 64))]
    finally:
        features.train(was)


def freeze_bn(module: nn.Module) -> None:
    """Keep BatchNorm statistics and affine params fixed (small WSSS batches)."""
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
            for p in m.parameters():
                p.requires_grad_(False)
