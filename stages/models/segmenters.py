"""The segmentation nets a round can train, by `segmentation.arch`."""
from __future__ import annotations

from .decoupled_net import ARCHS as DECOUPLED_ARCHS
from .decoupled_net import DecoupledNet
from .deeplab import ARCHS as DEEPLAB_ARCHS
from .deeplab import DeepLab

ARCHS = DEEPLAB_ARCHS + DECOUPLED_ARCHS


def build_segmenter(arch: str, n_classes: int, pretrained: bool = True, weights_path: str | None = None):
    if arch in DECOUPLED_ARCHS:
        return DecoupledNet(arch, n_classes, pretrained, weights_path)
    if arch in DEEPLAB_ARCHS:
        return DeepLab(arch, n_classes, pretrained, weights_path)
    raise ValueError(f"unknown segmentation arch {arch!r}; choose one of {ARCHS}")
