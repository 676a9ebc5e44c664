"""Localizer registry: `classifier.method` -> a Localizer (see base.py). One module per family."""
from wsss.registry import Registry, load_plugins

LOCALIZERS = Registry("localizer", "classifier.method")
register = LOCALIZERS.register


def get_localizer(name: str):
    return LOCALIZERS.get(name)


def load_classifier(path, device="cpu"):
    """A trained classifier checkpoint {model, settings (config `classifier`), n_fg, class_names} ->
    (network in eval mode on device, the checkpoint dict, its localizer: settings["method"])."""
    from wsss.io.artifacts import load_torch

    state = load_torch(path, "classifier checkpoint")
    localizer = get_localizer(state["settings"].get("method", "cam"))
    model = localizer.build(state["settings"], state["n_fg"], pretrained=False)
    model.load_state_dict(state["model"])
    return model.to(device).eval(), state, localizer


load_plugins(__name__, __path__)
