"""Segmentation-loss registry: `segmentation.loss` -> a Loss (see base.py); one module per loss."""
from wsss.registry import Registry, load_plugins

LOSSES = Registry("segmentation loss", "segmentation.loss")
register = LOSSES.register


def get_loss(name: str):
    return LOSSES.get(name)


load_plugins(__name__, __path__)
