"""Small matplotlib helpers (headless)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from wsss.io.files import atomic_path  # noqa: E402


def save_figure(fig, path) -> None:
    """Write a figure as PNG atomically and free it."""
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


def loss_curve(rows, path, title: str) -> None:
    fig, ax = plt.subplots(figsize=(4.5, 3))
    ax.plot([r["epoch"] for r in rows], [r["loss"] for r in rows], marker="o")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    save_figure(fig, path)
