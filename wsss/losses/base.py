"""What a loss plug-in provides: the loss of one training batch (image, label map, image labels),
and optionally its own settings sub-section of `segmentation` with a schema fragment."""
from __future__ import annotations


def masked_ce(logits, label, ignore: int = 255):
    """Pixel cross-entropy over the pixels not ignored; 0 (with a graph) when every pixel is ignored
    (F.cross_entropy's mean would be 0 / 0 = NaN)."""
    import torch.nn.functional as F

    if not (label != ignore).any():
        return logits.sum() * 0
    return F.cross_entropy(logits, label, ignore_index=ignore)


class Loss:
    name = ""
    section = None      # its sub-section of `segmentation` ...
    schema: dict = {}   # ... and that sub-section's JSON-schema properties
    published = None    # its method in workflow/report/published.yaml, when the loss is the method (DSRG)
    sees_padding = False  # True: labels keep PAD (crop padding) apart from IGNORE; else PAD arrives as IGNORE

    def model_options(self, settings: dict) -> dict:
        """Extra keyword arguments of the segmenter's build that this loss needs (e.g. exit heads)."""
        return {}

    def __call__(self, model, x, label, targets, settings: dict):
        """x (B, 3, H, W), label (B, H, W) with 255 = ignore, targets (B, C-1) multi-hot image labels."""
        raise NotImplementedError
