"""SPN (Kwak, Hong, Han, AAAI 2017): the superpixel pooling network (wsss.models.spn) and SP-CAM.

Training: images padded to a square, one size per mini-batch from the dataset's `spn_sizes`, the
cached SLIC maps resampled to each size (wsss.data.spn_data); the SP-branch and GAP-branch losses.
SP-CAM (superpixel_scores): the SP classifier applied to every f_ups feature, the score maps
upsampled to the input and averaged inside each of the image's own superpixels (by linearity, the
scores of its superpixels pooled from upsampled features), max over sizes and flips; each class
min-max normalised over the image's superpixels (spcam_maps says why). Besides the labelled classes, the maps of the classes the SPN finds itself (mean
superpixel score > 0, the paper's rule) go to the `predicted` group: SPN as a segmenter.
"""
from __future__ import annotations

import numpy as np

from wsss.localizers import register
from wsss.localizers.base import Localizer, Maps

PREDICTED = "predicted"  # CAM-shard group: maps of the classes the SPN finds (not the image labels)


def superpixel_scores(model, img: np.ndarray, sp: np.ndarray, sizes, flip: bool, device):
    """SP-CAM scores of every class per superpixel (C, n_sp), max over sizes and flips, and the SP
    branch's image score per class (C,): the mean over superpixels, averaged over sizes and flips.

    At each size the SP classifier (linear, bias-free) is applied to every f_ups feature (stride 4);
    the score maps are upsampled bilinearly to the input resolution and averaged inside each of the
    image's own superpixels. Boundaries are thus the full-resolution SLIC boundaries."""
    import torch
    import torch.nn.functional as F

    from wsss.data.spn_data import pad_image, view
    from wsss.data.transforms import to_tensor
    from wsss.ops.superpixels import superpixel_means

    h, w = img.shape[:2]
    n = max(h, w)
    img_sq = pad_image(img)
    weight = model.sp_fc.weight.to(device)
    best, image_score, views = None, 0.0, 0
    for size in sizes:
        for flipped in ([False, True] if flip else [False]):
            im = view(img_sq, size, flipped)
            with torch.no_grad():
                feats, _ = model.upsampled_features(to_tensor(im)[None].to(device))
                scores = F.interpolate(torch.einsum("kc,bchw->bkhw", weight, feats), size=(n, n),
                                       mode="bilinear", align_corners=False)[0].float().cpu()
            per_sp = superpixel_means((scores.flip(-1) if flipped else scores)[:, :h, :w].numpy(), sp)
            best = per_sp if best is None else np.maximum(best, per_sp)
            image_score, views = image_score + per_sp.mean(1), views + 1
    return best, image_score / views


def spcam_maps(best: np.ndarray, sp: np.ndarray, class_ids) -> np.ndarray:
    """(K, H, W) SP-CAM of the 1-based class ids: scores painted back, each class min-max normalised
    over the image's superpixels, (s - min) / (max - min), so its best superpixel scores 1.

    Why not ReLU then divide by the max (as CAM): the SP classifier is a bias-free FC on the mean over
    superpixels, so its scores also carry the class prior (a VOC class is present in ~7% of images);
    a labelled class whose every superpixel scores below 0 would get an all-zero map and vanish from
    the annotation. SP-CAM ranks the image's superpixels for a class known to be present; min-max
    keeps that ranking for every labelled class, and the 50%-of-max rule then keeps the superpixels
    in the upper half of the class's score range. A class is empty only if all its superpixels tie."""
    scores = best[[c - 1 for c in class_ids]]
    lo, hi = scores.min(1, keepdims=True), scores.max(1, keepdims=True)
    return ((scores - lo) / np.maximum(hi - lo, 1e-6)).astype(np.float32)[:, sp]


def found_classes(image_score: np.ndarray) -> list[int]:
    """SPN as a segmenter: the classes whose mean superpixel score is above 0 (SPN paper)."""
    return [int(c) + 1 for c in np.flatnonzero(image_score > 0)]


def image_spcams(model, img: np.ndarray, sp: np.ndarray, class_ids, sizes, flip: bool, device):
    """SP-CAM of class_ids (None: the classes the SPN finds). Returns (maps (K, H, W) in [0, 1], ids)."""
    best, image_score = superpixel_scores(model, img, sp, sizes, flip, device)
    ids = found_classes(image_score) if class_ids is None else list(class_ids)
    return spcam_maps(best, sp, ids), ids


@register
class SPN(Localizer):
    name = "spn"
    published = "SPN initial annotations"
    map_methods = ("spcam",)
    needs_superpixels = True
    predicts_classes = True
    classifier_section = "spn"
    classifier_schema = {
        "width": {"type": "integer", "minimum": 8, "default": 256,
                  "description": "channels of the stride-8 / stride-4 f_ups layers (most of a CPU step)"},
        "cache_features": {"type": "boolean", "default": True,
                           "description": "train on the frozen encoder's features cached once per image, size and "
                                          "flip (stages.encoder_features): same batches, exact up to float rounding"},
    }

    def build(self, settings, n_fg, pretrained=None):
        from wsss.models.spn import SPN as Net

        pretrained = settings["pretrained"] if pretrained is None else pretrained
        return Net(settings["backbone"], n_fg, pretrained, settings.get("weights_path"),
                   width=settings.get("spn", {}).get("width", 256))

    def cached_encoder(self, settings) -> bool:
        """Only a pretrained encoder is a fixed function worth caching (a random one is drawn per run)."""
        return bool(settings.get("spn", {}).get("cache_features", False) and settings.get("pretrained", True))

    def batches(self, index, ids, settings, crop, seed, sp_reader=None, sizes=(), scale_range=(0.5, 1.5),
                features=None):
        """The paper's multi-scale rule: padded squares at one of `sizes` per mini-batch (scale_range unused);
        inputs from the encoder-feature cache when `features` is given."""
        from torch.utils.data import DataLoader

        from wsss.data.spn_data import ScaleBatchSampler, SPNTrainSet

        if sp_reader is None:
            raise SystemExit("classifier.method: spn needs --superpixels (the superpixel shards of train and val)")
        data = SPNTrainSet(index, ids, sp_reader, seed, features)
        sampler = ScaleBatchSampler(len(data), settings["batch_size"], sizes, seed)

        def make(epoch):
            data.epoch = sampler.epoch = epoch
            return DataLoader(data, batch_sampler=sampler, num_workers=0)
        return make

    def step(self, model, batch, device):
        return model.loss(batch["input"].to(device), batch["superpixels"].to(device), batch["targets"].to(device),
                          cached=bool(batch["cached"][0]))

    def image_logits(self, model, img, crop, device, sp=None):
        """The SP branch's score, on the image padded to a square with its superpixels."""
        import torch

        from wsss.data.spn_data import pad_square, resample
        from wsss.data.transforms import to_tensor

        img, sp = resample(*pad_square(img, sp), crop)
        return model(to_tensor(img)[None].to(device), torch.from_numpy(sp)[None].to(device))[0][0].cpu().numpy()

    def scales(self, settings, sizes):
        return list(sizes)

    def extractor(self, model, settings, device, seed, sizes=()):
        def extract(img, class_ids, sp):
            best, image_score = superpixel_scores(model, img, sp, sizes, settings["flip"], device)
            found = found_classes(image_score)
            if class_ids is None:  # SPN as a segmenter
                return Maps(spcam_maps(best, sp, found), found)
            predicted = {PREDICTED: (spcam_maps(best, sp, found), found)}
            return Maps(spcam_maps(best, sp, class_ids), list(class_ids), predicted)
        return extract
