"""Figures of the ``images`` workflow: UMAP maps, the anomaly gallery, contact sheets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from seislearn.report.plots import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_umap_2d(xy: np.ndarray, groups: np.ndarray, title: str, legend_title: str) -> Figure:
    """A 2-D UMAP scatter coloured by ``groups`` (true labels or clusters)."""
    fig, ax = new_figure(figsize=(6.4, 5.2))
    values = [str(g) for g in groups]
    for i, name in enumerate(sorted(set(values))):
        mask = np.array([v == name for v in values])
        ax.scatter(xy[mask, 0], xy[mask, 1], s=6, alpha=0.7, color=f"C{i % 10}", label=name)
    ax.set_title(title)
    ax.set_xlabel("UMAP 1")
    ax.set_ylabel("UMAP 2")
    ax.legend(title=legend_title, markerscale=3, fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def plot_gallery(
    images: list[np.ndarray], captions: list[str], title: str, columns: int = 6
) -> Figure:
    """A grid of patches (each scaled on its own, gray), with captions."""
    from seislearn.io.images import robust_scale

    n = max(len(images), 1)
    rows = int(np.ceil(n / columns))
    # Constrained layout keeps the two-line captions clear of the row above and the title.
    fig, axes = new_figure(
        rows, columns, figsize=(1.9 * columns, 2.3 * rows + 0.5), layout="constrained"
    )
    axes = np.atleast_1d(axes).ravel()
    for ax in axes:
        ax.axis("off")
    for ax, image, caption in zip(axes, images, captions, strict=False):
        ax.imshow(robust_scale(image), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(caption, fontsize=7)
    fig.suptitle(title)
    return fig
