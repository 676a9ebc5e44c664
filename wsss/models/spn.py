"""Superpixel Pooling Network (Kwak, Hong, Han, AAAI 2017), the classifier of the SPN family.

    encoder   backbone conv layers (frozen) ending in a max-pool whose switches are kept,
              + one extra 3x3 conv learnt from scratch
    f_ups     deconv, deconv, unpool (the encoder's last max-pool switches), deconv (x2), deconv (x2);
              each followed by BN + ReLU -> features at 1/4 of the input resolution
    SP branch superpixel pooling of the f_ups features -> per-superpixel FC scores (N x C);
              image score = mean over the image's superpixels
    GAP branch GAP of the encoder features -> FC (the regulariser)
    loss      sum of the two multi-label sigmoid losses

VGG16: the encoder stops at conv5_3 (stride 16) and pool5 (stride 32) is the switch-keeping max-pool.
MobileNetV2 has no max-pool: its stride-16 features (1280 channels) go through a learnt 1x1
projection to 512 channels, then the same 2x2 max-pool with return_indices gives the switches.

The encoder is frozen (BN statistics included), so its features can be computed once per image,
size and flip and cached (stages.encoder_features): `cached=True` inputs are the output of
encoder[:-1] (for MobileNetV2 its 320-channel block 16, a quarter of the final width), and only the
encoder's last module runs here. `width` is the channel width of the stride-8/4 f_ups layers, where
most of a CPU training step goes.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from wsss.models.backbones import build_backbone
from wsss.models.sp_pool import paint_back, superpixel_pool

STRIDE = 4  # resolution of the f_ups features (and of the superpixel maps fed to the SP layer)


def _cbr_deconv(cin, cout, up: bool):
    conv = (nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=False) if up
            else nn.ConvTranspose2d(cin, cout, 3, stride=1, padding=1, bias=False))
    return nn.Sequential(conv, nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def _with_padding_id(superpixels):
    """Give the padding pixels (-1) one extra id per image; return (ids, valid mask)."""
    valid = superpixels >= 0
    return torch.where(valid, superpixels, superpixels.amax(dim=(1, 2), keepdim=True) + 1), valid


class SPN(nn.Module):
    def __init__(self, backbone: str, n_fg: int, pretrained: bool = True, weights_path=None, width: int = 256):
        super().__init__()
        feats, ch, stride = build_backbone(backbone, pretrained, dilate=False, weights_path=weights_path)
        self.encoder = feats                                    # stride 16
        for p in self.encoder.parameters():
            p.requires_grad_(False)                             # frozen, as in the paper
        mid = min(ch, 512)  # VGG16's width; MobileNetV2's 1280 channels get a learnt 1x1 projection
        self.proj = nn.Identity() if ch == mid else nn.Sequential(nn.Conv2d(ch, mid, 1), nn.ReLU(inplace=True))
        self.pool = nn.MaxPool2d(2, 2, return_indices=True)     # the switch-keeping last max-pool -> stride 32
        self.extra = nn.Sequential(nn.Conv2d(mid, mid, 3, padding=1), nn.ReLU(inplace=True))
        self.deconv1 = _cbr_deconv(mid, mid, up=False)
        self.deconv2 = _cbr_deconv(mid, mid, up=False)
        self.unpool = nn.MaxUnpool2d(2, 2)                      # -> stride 16
        self.deconv3 = _cbr_deconv(mid, width, up=True)         # -> stride 8
        self.deconv4 = _cbr_deconv(width, width, up=True)       # -> stride 4
        self.sp_fc = nn.Linear(width, n_fg, bias=False)  # a bias would lift every superpixel alike in SP-CAM
        self.gap_fc = nn.Linear(mid, n_fg)
        self.backbone_name = backbone

    def train(self, mode: bool = True):
        super().train(mode)
        self.encoder.eval()  # frozen encoder, BN statistics included
        return self

    def param_groups(self):
        new = [p for n, p in self.named_parameters() if not n.startswith("encoder.")]
        return [], new

    def upsampled_features(self, x, cached: bool = False):
        """(f_ups features at stride 4, encoder features at stride 32). cached: x is encoder[:-1]'s output."""
        with torch.no_grad():
            f = self.encoder[-1](x) if cached else self.encoder(x)
        f = self.proj(f)
        if f.shape[-2] % 2 or f.shape[-1] % 2:  # keep the switches exact: pool an even-sized map
            f = F.pad(f, (0, f.shape[-1] % 2, 0, f.shape[-2] % 2))
        pooled, switches = self.pool(f)
        z = self.extra(pooled)
        u = self.unpool(self.deconv2(self.deconv1(z)), switches, output_size=f.shape[-2:])
        return self.deconv4(self.deconv3(u)), z

    def forward(self, x, superpixels, cached: bool = False):
        """x (B, 3, H, W), or cached encoder features; superpixels (B, H/4, W/4) ids, -1 marks padding
        (excluded).

        Returns (SP-branch image logits (B, C), GAP-branch logits (B, C), per-superpixel logits,
        image index of each superpixel row)."""
        feats, z = self.upsampled_features(x, cached)
        feats = feats[..., : superpixels.shape[-2], : superpixels.shape[-1]]
        if feats.shape[-2:] != superpixels.shape[-2:]:
            raise ValueError(f"superpixel maps {tuple(superpixels.shape[-2:])} must be the input size / {STRIDE} "
                             f"(features {tuple(feats.shape[-2:])})")
        sp, valid = _with_padding_id(superpixels)
        pooled, image_of, _ = superpixel_pool(feats, sp)
        sp_logits = self.sp_fc(pooled)
        # a superpixel is real when its pixels are (padding pixels all share one extra id)
        keep = superpixel_pool(valid[:, None].to(feats.dtype), sp)[0]
        sums = sp_logits.new_zeros(len(x), sp_logits.shape[1]).index_add_(0, image_of, sp_logits * keep)
        n = sp_logits.new_zeros(len(x)).index_add_(0, image_of, keep[:, 0]).clamp_min(1)
        gap_logits = self.gap_fc(F.adaptive_avg_pool2d(z, 1).flatten(1))
        return sums / n[:, None], gap_logits, sp_logits, image_of

    def loss(self, x, superpixels, targets, cached: bool = False):
        img_logits, gap_logits, _, _ = self(x, superpixels, cached)
        return (F.multilabel_soft_margin_loss(img_logits, targets)
                + F.multilabel_soft_margin_loss(gap_logits, targets))

    @torch.no_grad()
    def sp_cam(self, x, superpixels):
        """SP-CAM: per-superpixel class scores painted back, (B, C, H/4, W/4); padding gets 0."""
        _, _, sp_logits, image_of = self(x, superpixels)
        sp, valid = _with_padding_id(superpixels)
        maps = paint_back(sp_logits, sp, image_of)
        return maps * valid[:, None]
