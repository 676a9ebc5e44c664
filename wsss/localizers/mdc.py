"""MDC: multi-dilated convolution CAMs (Wei et al., CVPR 2018; wsss.models.mdc_net).

Training: as CAM (augmentation, multi-label soft-margin loss), the loss summed over the dilation
blocks, each with its own classifier. Maps (`cams.method: mdc`): the fused H_0 + mean_i H_i at every
view of `cams.scales` (and flip), summed and max-normalised as CAM's views are.
Departures from the paper: a MobileNetV2 / stride-16 backbone (the paper: VGG16 conv5), no saliency
map for the background (the pseudo-label rule's threshold decides it), block width in config.
"""
from __future__ import annotations

from wsss.localizers import register
from wsss.localizers.base import Maps
from wsss.localizers.cam import CAM, image_cams


@register
class MDC(CAM):
    name = "mdc"
    map_methods = ("mdc",)
    published = "MDC"
    classifier_section = "mdc"
    classifier_schema = {
        "rates": {"type": "array", "items": [{"const": 1}], "additionalItems": {"type": "integer", "minimum": 1},
                  "minItems": 1,
                  "default": [1, 3, 6, 9], "description": "dilation rates; the first must be 1 (H_0)"},
        "width": {"type": "integer", "minimum": 1, "default": 512, "description": "channels of each 3x3 block"},
    }

    def build(self, settings, n_fg, pretrained=None):
        from wsss.models.mdc_net import MDCNet

        pretrained = settings["pretrained"] if pretrained is None else pretrained
        return MDCNet(settings["backbone"], n_fg, pretrained, settings.get("weights_path"),
                      rates=tuple(settings["mdc"]["rates"]), width=settings["mdc"]["width"])

    def step(self, model, batch, device):
        """Sum of the blocks' multi-label soft-margin losses."""
        import torch.nn.functional as F

        x, y = batch
        y = y.to(device)
        return sum(F.multilabel_soft_margin_loss(logits, y) for logits in model.branch_logits(x.to(device)))

    def extractor(self, model, settings, device, seed, sizes=()):
        def extract(img, class_ids, sp=None):
            return Maps(image_cams(model, img, class_ids, settings["scales"], settings["flip"], "cam", device),
                        list(class_ids))
        return extract
