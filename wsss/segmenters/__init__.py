"""Segmenter registry: `segmentation.arch` -> an architecture entry (see base.py); one module per family."""
from wsss.registry import Registry, load_plugins

SEGMENTERS = Registry("segmentation architecture", "segmentation.arch")
register = SEGMENTERS.register


def get_segmenter(name: str):
    return SEGMENTERS.get(name)


def build_segmenter(settings: dict, n_classes: int, pretrained: bool | None = None):
    """The network of settings["arch"] (config `segmentation`)."""
    from wsss.losses import get_loss

    pretrained = settings.get("pretrained", True) if pretrained is None else pretrained
    extra = get_loss(settings["loss"]).model_options(settings) if settings.get("loss") else {}
    return SEGMENTERS.get(settings["arch"]).build(settings["arch"], n_classes, pretrained, settings.get("weights_path"),
                                                  **extra)


def load_segmenter(path, device="cpu"):
    """A trained segmenter checkpoint {model, settings (config `segmentation`), n_classes} ->
    (network in eval mode on device, the checkpoint dict)."""
    from wsss.io.artifacts import load_torch

    state = load_torch(path, "segmenter checkpoint")
    model = build_segmenter(state["settings"], state["n_classes"], pretrained=False)
    model.load_state_dict(state["model"])
    return model.to(device).eval(), state


load_plugins(__name__, __path__)
