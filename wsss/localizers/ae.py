"""AE: adversarial erasing (Wei et al., CVPR 2017, the AE of AE-PSL; seed 001; wsss.models.ae_net).

Training: T = `classifier.ae.steps` classifiers (3: the paper fuses the first three steps, its fourth
lowered mIoU), each trained with the multi-label loss on its own view of the augmented batch: step 1
the image, step t the image with the regions mined by steps < t set to 0 (the normalised mean pixel,
as the paper erases). A region is mined where a step's max-normalised CAM of a labelled class exceeds
`classifier.ae.threshold`. Maps (`cams.method: ae`): per view of `cams.scales` x flip, the max over
steps of each step's normalised CAM on its erased view, summed over views and max-normalised; above
the threshold that is the union of the mined regions, the paper's object regions.
Departures: the steps are trained JOINTLY (online), each on the erasure of the earlier steps' current
maps, in one schedule (the paper trains them one after another, 5 epochs each, on VGG16); threshold 0.5
of the max chosen a priori (the paper: "a threshold"); no saliency map for the background (the
pseudo-label rule's threshold decides it). PSL, its segmentation learning, is the `psl` loss
(wsss/losses/psl.py, experiment `ae_psl`).
"""
from __future__ import annotations

from wsss.localizers import register
from wsss.localizers.cam import CAM


@register
class AdversarialErasing(CAM):
    name = "ae"
    map_methods = ("ae",)
    published = None  # AE alone has no published row; the ae_psl experiment stands beside AE-PSL
    classifier_section = "ae"
    classifier_schema = {
        "steps": {"type": "integer", "minimum": 1, "default": 3, "description": "erasing steps (paper: 3)"},
        "threshold": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.5,
                      "description": "a step mines where its max-normalised CAM exceeds this (a priori)"},
    }

    def build(self, settings, n_fg, pretrained=None):
        from wsss.models.ae_net import AENet

        pretrained = settings["pretrained"] if pretrained is None else pretrained
        return AENet(settings["backbone"], n_fg, pretrained, settings.get("weights_path"), **settings["ae"])

    def training_logits(self, model, x, y):
        """Each step's logits on its erased view: their losses are summed."""
        return model.step_logits(x, y)

    def cam_method(self, settings):
        return "cam"
