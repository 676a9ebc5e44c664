"""Refiner registry: `refiner.method` -> a Refiner (base.py). A refiner turns a localizer's maps into
better maps (cam -> cam_rw, spn -> spn_rw), usually with a network it trains from those maps."""
from wsss.registry import Registry, load_plugins

REFINERS = Registry("refiner", "refiner.method")
register = REFINERS.register


def get_refiner(name: str):
    return REFINERS.get(name)


def load_trained(path, name: str | None = None, flag: str = ""):
    """(refiner, model in eval mode on the CPU, settings) of a train_refiner checkpoint; `name`, when
    given, is the refiner it must hold (`flag`: the option that named it, for the error)."""
    from wsss.io.artifacts import load_torch

    state = load_torch(path, "refiner checkpoint")
    if name is not None and state.get("refiner") != name:
        raise SystemExit(f"{path} is a {state.get('refiner')!r} checkpoint, not {name!r}{flag}")
    refiner = get_refiner(state["refiner"])
    model = refiner.build(state["settings"], pretrained=False)
    model.load_state_dict(state["model"])
    return refiner, model.eval(), state["settings"]


load_plugins(__name__, __path__)
