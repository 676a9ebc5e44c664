"""LP-FT (Kumar et al., ICLR 2022, "Fine-tuning can distort pretrained features"): linear probe, then
fine-tune. The CAM layer starts as cam_probe's cross-validated linear probe of the frozen backbone, then
the whole network is fine-tuned with cam's schedule (same epochs, batches, augmentation and optimiser).

Why (measurement-basis issue, classifier recipe): on the 330 VOC-subset images, fine-tuning from a random
CAM layer gives a worse classifier (66.0% val mAP) than the probe of the frozen features (73.8%). Kumar et
al. trace this to the random head: its large early gradients rewrite the pretrained features before the
head is any good. Started from the probe, the loss is already low and the features move less.

What departs from cam: the CAM layer has a bias (the probe's per-class constant, so the first step's
logits are the probe's; the maps never use it), and it is no new layer any more: it trains at the
backbone's learning rate, not cam's 10x (LP-FT fine-tunes all parameters at one rate).
Log: row 0 is the probe (its loss, L2 strength as `lr`, 0 steps); rows 1.. the fine-tuning epochs.
"""
from __future__ import annotations

from wsss.localizers import register
from wsss.localizers.cam_probe import CAMProbe


@register
class CAMLPFT(CAMProbe):
    name = "cam_lpft"
    classifier_section = "cam_lpft"
    published = "CAM annotations"  # the default CAM classifier: its maps stand beside the published CAM row

    def build(self, settings, n_fg, pretrained=None):
        from wsss.models.cam_net import LPFTNet

        pretrained = settings["pretrained"] if pretrained is None else pretrained
        return LPFTNet(settings["backbone"], n_fg, pretrained, settings.get("weights_path"))

    def train(self, model, index, ids, settings, crop, device, epoch_loop):
        probe = self.fit_probe(model, index, ids, settings, crop, device)
        return [{**probe, "epoch": 0, "steps": 0}, *epoch_loop()]
