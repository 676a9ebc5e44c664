"""The torch device a stage runs on (config `device`)."""
from __future__ import annotations

import torch


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device: cuda was requested in config.yaml but no CUDA device is visible")
    return torch.device(name)
