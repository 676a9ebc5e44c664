"""What a segmenter plug-in provides: architectures by name, how they are built, which training
losses (wsss.losses, `segmentation.loss`) fit them; null loss means the first of them.

Every built network has label_scores(x, class_ids) -> (B, C, H, W) scores whose argmax is the label
(stages.predict)."""
from __future__ import annotations


class Segmenter:
    """One entry per architecture name; a family registers one instance per name it builds."""
    losses: tuple = ()   # segmentation.loss values that train it; the first is the default

    def __init__(self, name: str):
        self.name = name

    def build(self, arch: str, n_classes: int, pretrained: bool, weights_path=None):
        raise NotImplementedError
