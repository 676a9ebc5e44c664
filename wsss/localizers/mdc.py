"""MDC: multi-dilated convolution CAMs (Wei et al., CVPR 2018; wsss.models.mdc_net).

Training: as CAM (augmentation, multi-label soft-margin loss), the loss summed over the dilation
blocks, each with its own classifier. Maps (`cams.method: mdc`): the fused H_0 + mean_i H_i at every
view of `cams.scales` (and flip), summed and max-normalised as CAM's views are.
Departures from the paper: a MobileNetV2 / stride-16 backbone (the paper: VGG16 conv5), no saliency
map for the background (the pseudo-label rule's threshold decides it), block width in config.
"""
from __future__ import annotations

from wsss.localizers import register
from wsss.localizers.cam import CAM


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

    def training_logits(self, model, x, y):
        """The blocks' logits: their multi-label losses are summed."""
        return model.branch_logits(x)

    def cam_method(self, settings):
        return "cam"
