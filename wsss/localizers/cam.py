"""CAM (Zhou et al. 2016) and Grad-CAM (Selvaraju et al. 2017) of a GAP classifier (wsss.models.cam_net).

Training: random scale / flip / crop (wsss.data.transforms.augment), multi-label soft-margin loss.
Maps: at every scale in `cams.scales`, with the flip when `cams.flip`, upsampled to the input and
summed, each class divided by its max. Only the image's labelled classes are computed.
"""
from __future__ import annotations

import numpy as np

from wsss.localizers import register
from wsss.localizers.base import Localizer, Maps, max_normalise


def image_cams(model, img: np.ndarray, class_ids, scales, flip: bool, method: str, device) -> np.ndarray:
    """(K, H, W) float32 maps in [0, 1] for the given 1-based class ids."""
    import torch
    import torch.nn.functional as F

    from wsss.data.transforms import resize, to_tensor

    h, w = img.shape[:2]
    idx = [c - 1 for c in class_ids]
    total = torch.zeros(len(idx), h, w)
    for s in scales:
        x = to_tensor(resize(img, s))[None]
        if flip:
            x = torch.cat([x, x.flip(-1)])
        x = x.to(device)
        if method == "gradcam":
            maps = model.grad_cam(x, idx)
        else:
            with torch.no_grad():
                maps = model.cam(x, idx)
        if flip:
            maps = maps[:1] + maps[1:].flip(-1)
        total += F.interpolate(maps.float().cpu(), size=(h, w), mode="bilinear", align_corners=False)[0]
    return max_normalise(total)


@register
class CAM(Localizer):
    name = "cam"
    map_methods = ("cam", "gradcam")
    published = "CAM annotations"

    def build(self, settings, n_fg, pretrained=None):
        from wsss.models.cam_net import CAMNet

        pretrained = settings["pretrained"] if pretrained is None else pretrained
        return CAMNet(settings["backbone"], n_fg, pretrained, settings.get("weights_path"))

    def batches(self, index, ids, settings, crop, seed, sp_reader=None, sizes=(), scale_range=(0.5, 1.5),
                features=None):
        from wsss.data.augmented import AugmentedImages
        from wsss.training import shuffled_loader

        data = AugmentedImages(index, ids, crop, seed, scale_range)
        return shuffled_loader(data, settings["batch_size"], seed)

    def training_logits(self, model, x, y):
        """The list of (B, C) logits the multi-label loss sums over (MDC: one per block, AE: one per step)."""
        return [model(x)]

    def step(self, model, batch, device):
        import torch.nn.functional as F

        x, y = batch
        x, y = x.to(device), y.to(device)
        return sum(F.multilabel_soft_margin_loss(logits, y) for logits in self.training_logits(model, x, y))

    def image_logits(self, model, img, crop, device, sp=None):
        """Logits of the image resized to crop x crop."""
        import cv2

        from wsss.data.transforms import to_tensor

        x = to_tensor(cv2.resize(img, (crop, crop), interpolation=cv2.INTER_LINEAR))[None].to(device)
        return model(x)[0].cpu().numpy()

    def cam_method(self, settings) -> str:
        """The map model.cam / model.grad_cam computes (CAM's subclasses fuse their own maps in model.cam)."""
        return settings["method"]

    def extractor(self, model, settings, device, seed, sizes=()):
        method = self.cam_method(settings)

        def extract(img, class_ids, sp=None):
            return Maps(image_cams(model, img, class_ids, settings["scales"], settings["flip"], method, device),
                        list(class_ids))
        return extract
