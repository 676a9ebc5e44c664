"""DecoupledNet (Hong, Noh, Han 2015; wsss.models.decoupled_net): classification net + bridging layers +
one class-agnostic figure-ground deconvolution net, trained by its own decoupled loss."""
from __future__ import annotations

from wsss.segmenters import register
from wsss.segmenters.base import Segmenter

ARCHS = ("decouplednet_mobilenet_v2", "decouplednet_vgg16")


class DecoupledNet(Segmenter):
    losses = ("decoupled",)

    def build(self, arch, n_classes, pretrained, weights_path=None):
        from wsss.models.decoupled_net import DecoupledNet as Net

        return Net(arch, n_classes, pretrained, weights_path)


for _arch in ARCHS:
    register(DecoupledNet(_arch))
