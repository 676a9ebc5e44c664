"""CAM of a linear probe: the frozen ImageNet backbone, its CAM layer fitted as a cross-validated linear
probe of whole-image features (the classifier recipe of bench/linear_probe.py, measurement-basis issue).

Why: on 330 VOC images, fine-tuning the whole backbone for ~200 augmented steps gives a worse classifier
(65.7% val mAP) than a linear probe of the frozen features (73.8%), and freezing the backbone under the
same SGD schedule is worse still (52.9%: the head is under-trained, not the features). The probe is
fitted the way probes are: all of it at once, regularised by an L2 strength chosen on the train images.

Training (no epoch loop): GAP features of the frozen backbone (BatchNorm statistics included) of every
train image resized to crop x crop, and of its flip; a linear layer on the standardised features, the
multi-label soft-margin loss + l2 x |W|^2, full-batch L-BFGS; l2 from `classifier.cam_probe.l2_grid` by
k-fold cross-validation over the train IMAGES (val is never looked at). The fitted weights divided by
the features' std are the CAM layer's 1x1 weights: CAM_c = ReLU(sum_k w_ck / std_k f_k(x)), the
classic CAM of this classifier, without its bias (a per-class constant, which changes neither the ranking
within a class, so not the mAP, nor where the map peaks). Maps: as `cam` (scales, flip, max-normalised).
"""
from __future__ import annotations

import time

from wsss.localizers import register
from wsss.localizers.cam import CAM


@register
class CAMProbe(CAM):
    name = "cam_probe"
    map_methods = ("cam", "gradcam")
    published = None
    classifier_section = "cam_probe"
    classifier_schema = {
        "l2_grid": {"type": "array", "items": {"type": "number", "exclusiveMinimum": 0}, "minItems": 1,
                    "default": [1e-4, 1e-3, 1e-2, 1e-1, 1.0], "description": "L2 strengths tried by cross-validation"},
        "folds": {"type": "integer", "minimum": 2, "default": 5, "description": "cross-validation folds (by image)"},
        "lbfgs_iters": {"type": "integer", "minimum": 1, "default": 200, "description": "L-BFGS iterations per fit"},
    }

    def train(self, model, index, ids, settings, crop, device, epoch_loop):
        return [self.fit_probe(model, index, ids, settings, crop, device)]

    def fit_probe(self, model, index, ids, settings, crop, device) -> dict:
        """Fit the probe on the frozen backbone and fold it into the CAM layer (and its bias, when the layer
        has one: the probe's per-class constant, so the GAP logits are the probe's); returns the log row."""
        import torch

        from wsss.ops.linear_probe import cv_l2, fit_l2

        t0 = time.time()
        x, y = gap_features(model, index, ids, crop, device)
        opts = settings[self.classifier_section]
        scores = cv_l2(x, y, views=2, folds=opts["folds"], grid=opts["l2_grid"], iters=opts["lbfgs_iters"])
        l2 = max(scores, key=scores.get)
        print(f"{self.name}: {opts['folds']}-fold CV on {len(ids)} train images, held-out mAP per L2: "
              + ", ".join(f"{k:g}: {100 * v:.1f}" for k, v in scores.items()) + f"; chosen {l2:g}", flush=True)
        probe = fit_l2(x, y, l2, opts["lbfgs_iters"])
        with torch.no_grad():
            weight = probe.raw_weight()
            model.classifier.weight.copy_(weight[:, :, None, None])
            if model.classifier.bias is not None:
                model.classifier.bias.copy_(probe.linear.bias - weight @ probe.mean)
            loss = torch.nn.functional.multilabel_soft_margin_loss(probe(x), y).item()
        model.to(device)
        return {"epoch": 1, "loss": loss, "steps": opts["lbfgs_iters"], "lr": l2, "seconds": round(time.time() - t0, 2)}

def gap_features(model, index, ids, crop: int, device):
    """(2N, D) GAP features of the frozen backbone of each image resized to crop x crop and its flip
    (image i at rows 2i, 2i + 1), and the (2N, C) multi-hot targets."""
    from wsss.ops.linear_probe import image_features

    return image_features(model.features.to(device).eval(), index, ids, crop, True, device)
