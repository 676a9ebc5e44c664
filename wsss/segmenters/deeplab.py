"""DeepLab (wsss.models.deeplab): MobileNetV2 + light ASPP (CPU), LargeFOV (VGG16), v2 (ResNet-101)."""
from __future__ import annotations

from wsss.segmenters import register
from wsss.segmenters.base import Segmenter

ARCHS = ("deeplab_mobilenet_v2", "deeplab_largefov_vgg16", "deeplab_v2_resnet101")


class DeepLab(Segmenter):
    losses = ("ce", "dsrg", "self_regulation", "psl")

    def build(self, arch, n_classes, pretrained, weights_path=None, exit_width=None, class_branch=False):
        from wsss.models.deeplab import DeepLab as Net

        return Net(arch, n_classes, pretrained, weights_path, exit_width=exit_width, class_branch=class_branch)


for _arch in ARCHS:
    register(DeepLab(_arch))
