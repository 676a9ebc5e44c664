"""DecoupledNet (Hong, Noh, Han, NIPS 2015): the segmenter of the SPN pipeline's rounds.

    classification net   backbone (ImageNet) -> conv 3x3 + ReLU -> GAP -> FC: image-level scores
    bridging layers      for an identified class l: [encoder features, d score_l / d features]
                         -> 1x1 conv + ReLU: a class-specific input for the segmentation net
    segmentation net     ONE class-agnostic figure-ground deconvolution net shared by all classes:
                         deconv (x2) -> deconv (x2) -> 1x1 conv to {background, foreground}

The two objectives stay decoupled: the classification loss (multi-label, image labels) trains the
encoder and classification head; the binary segmentation loss trains only the bridging layers and
the deconvolution net (the encoder features and gradient maps reach them detached), as in the
paper where the segmentation net is trained on top of a fixed classification net. Here both are
trained in one pass over the (reliable) annotated images; the figure-ground loss covers only the
(image, class) pairs with annotated pixels of the class (DecoupledNet.loss), and every round trains
a new network from ImageNet weights (train_segmentation builds it afresh).

Label map: each class l present (image labels on train, the classifier's positives on val) gives
P_l(foreground | u); pixel u takes argmax_l P_l(u), or background when no class exceeds 0.5
(every binary segmentation calls u background).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from wsss.models.backbones import BackboneNet, build_backbone
from wsss.segmenters.decouplednet import ARCHS


def _deconv_bn_relu(cin, cout):
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class DecoupledNet(BackboneNet):
    def __init__(self, arch: str, n_classes: int, pretrained: bool = True, weights_path: str | None = None,
                 width: int = 256):
        super().__init__()
        if arch not in ARCHS:
            raise ValueError(f"unknown DecoupledNet arch {arch!r}; choose one of {ARCHS}")
        self.features, ch, _ = build_backbone(arch.split("_", 1)[1], pretrained, dilate=False, weights_path=weights_path)
        self.cls_conv = nn.Sequential(nn.Conv2d(ch, width, 3, padding=1), nn.ReLU(inplace=True))
        self.cls_fc = nn.Linear(width, n_classes - 1)
        self.bridge = nn.Sequential(nn.Conv2d(2 * ch, width, 1), nn.ReLU(inplace=True))
        self.deconv = nn.Sequential(_deconv_bn_relu(width, width // 2), _deconv_bn_relu(width // 2, width // 4),
                                    nn.Conv2d(width // 4, 2, 1))
        self.pretrained = pretrained

    def param_groups(self):
        new = [p for n, p in self.named_parameters() if not n.startswith("features.")]
        return [p for p in self.features.parameters() if p.requires_grad], new

    def classify(self, f):
        return self.cls_fc(F.adaptive_avg_pool2d(self.cls_conv(f), 1).flatten(1))

    def class_gradients(self, f, image_of, class_idx):
        """d score_l / d features for each (image, class) pair, normalised to max |.| = 1, detached."""
        with torch.enable_grad():
            fp = f.detach()[image_of].requires_grad_(True)
            scores = self.classify(fp)
            (g,) = torch.autograd.grad(scores[torch.arange(len(fp)), class_idx].sum(), fp)
        return g / g.flatten(1).abs().amax(1).clamp_min(1e-12)[:, None, None, None]

    def segment(self, f, image_of, class_idx, size):
        """Figure-ground logits (P, 2, H, W) for each (image index, 0-based class) pair."""
        g = self.class_gradients(f, image_of, class_idx)
        out = self.deconv(self.bridge(torch.cat([f.detach()[image_of], g], 1)))
        return F.interpolate(out, size=size, mode="bilinear", align_corners=False)

    def forward(self, x):
        """Image-level class logits (B, C-1)."""
        return self.classify(self.features(x))

    def loss(self, x, label, targets):
        """Multi-label classification loss on the image labels + binary segmentation loss over the
        (image, labelled class) pairs whose annotation has pixels of the class in this crop.

        A labelled class with no annotated pixels (its annotation is empty, was not selected as
        reliable -- its pixels are then 255 -- or lies outside the crop) gets no figure-ground target:
        training it to "all background" would teach the shared net that a present class has no pixels.
        label (B, H, W) holds 0..C-1 and 255 (ignore); targets (B, C-1) the image labels."""
        f = self.features(x)
        cls_loss = F.multilabel_soft_margin_loss(self.classify(f), targets)
        present = torch.stack([(label == c).flatten(1).any(1) for c in range(1, targets.shape[1] + 1)], 1)
        image_of, class_idx = (targets.bool() & present).nonzero(as_tuple=True)
        if len(image_of) == 0:
            return cls_loss
        binary = (label[image_of] == (class_idx + 1)[:, None, None]).long()
        binary[label[image_of] == 255] = 255
        seg = self.segment(f, image_of, class_idx, x.shape[-2:])
        return cls_loss + F.cross_entropy(seg, binary, ignore_index=255)

    @torch.no_grad()
    def label_scores(self, x, class_ids=None):
        """(B, C, H, W) scores whose argmax is the label map: channel 0 is the 0.5 background bar,
        channel l = P_l(foreground) for the classes present (class_ids, 1-based, shared by the
        batch; None: the classifier's positives, at least its top class), 0 elsewhere."""
        f = self.features(x)
        n_fg = self.cls_fc.out_features
        if class_ids is None:
            probs = torch.sigmoid(self.classify(f)).mean(0)  # the batch is one image and its flip
            class_ids = [int(c) + 1 for c in (probs > 0.5).nonzero().flatten()] or [int(probs.argmax()) + 1]
        out = x.new_zeros(len(x), n_fg + 1, *x.shape[-2:])
        out[:, 0] = 0.5
        if class_ids:
            b = len(x)
            image_of = torch.arange(b, device=x.device).repeat_interleave(len(class_ids))
            class_idx = torch.tensor([c - 1 for c in class_ids], device=x.device).repeat(b)
            fg = torch.softmax(self.segment(f, image_of, class_idx, x.shape[-2:]), 1)[:, 1]
            out[:, class_ids] = fg.view(b, len(class_ids), *x.shape[-2:])
        return out
