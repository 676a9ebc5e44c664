"""Refiner registry: `refiner.method` -> a Refiner (base.py). A refiner turns a localizer's maps into
better maps (cam -> cam_rw, spn -> spn_rw), usually with a network it trains from those maps."""
from wsss.registry import Registry, load_plugins

REFINERS = Registry("refiner", "refiner.method")
register = REFINERS.register


def get_refiner(name: str):
    return REFINERS.get(name)


load_plugins(__name__, __path__)
