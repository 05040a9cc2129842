"""Faithfulness of attribution maps: the deletion curve.

Pixels (component x frequency x time, or component x sample) are set to the
train mean (0 in scaled units) in order of decreasing attribution, and the
model's score (probability of the explained class, or the regression value)
is recorded after each step. If a map means something, removing its
top-attributed pixels first lowers the score faster than removing random
pixels: the area under the "top" curve is smaller than under the "random" one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from torch import nn


def _scores(network: nn.Module, x: np.ndarray, targets: np.ndarray | None) -> np.ndarray:
    import torch

    with torch.no_grad():
        out = network(torch.as_tensor(x))
        if targets is None:
            return out[:, 0].numpy()
        prob = torch.softmax(out, dim=-1).numpy()
    return prob[np.arange(len(x)), targets]


def deletion_curve(
    network: nn.Module,
    x: np.ndarray,
    attributions: np.ndarray,
    targets: np.ndarray | None,
    fractions: np.ndarray | None = None,
    seed: int = 0,
    batch_size: int = 128,
) -> dict[str, Any]:
    """Mean score after deleting growing fractions of pixels, top-attributed first vs random.

    Parameters
    ----------
    network : nn.Module, maps scaled inputs to logits (or one value)
    x : ndarray, scaled inputs ``(n, ...)``
    attributions : ndarray, same shape as ``x``
    targets : ndarray of int or None (regression)
    fractions : ndarray, fractions of pixels deleted (default 0, 0.05, ..., 0.5)
    seed : int, for the random order

    Returns
    -------
    dict
        ``fractions``, ``top`` and ``random`` (mean score per fraction),
        ``auc_top``, ``auc_random`` (trapezoid areas, normalized by the
        fraction range) and ``faster_than_random`` (``auc_top < auc_random``).
    """
    network = network.eval()
    if fractions is None:
        fractions = np.round(np.linspace(0.0, 0.5, 11), 3)
    n = len(x)
    flat = x.reshape(n, -1)
    order_top = np.argsort(-attributions.reshape(n, -1), axis=1)
    rng = np.random.default_rng(seed)
    order_random = np.argsort(rng.random(flat.shape), axis=1)
    curves: dict[str, list[float]] = {"top": [], "random": []}
    for name, order in (("top", order_top), ("random", order_random)):
        for fraction in fractions:
            k = round(float(fraction) * flat.shape[1])
            scores = []
            for start in range(0, n, batch_size):
                chunk = flat[start : start + batch_size].copy()
                rows = np.arange(len(chunk))[:, None]
                chunk[rows, order[start : start + batch_size, :k]] = 0.0
                t = targets[start : start + batch_size] if targets is not None else None
                scores.append(_scores(network, chunk.reshape(-1, *x.shape[1:]), t))
            curves[name].append(float(np.concatenate(scores).mean()))
    span = float(fractions[-1] - fractions[0]) or 1.0
    auc_top = float(np.trapezoid(curves["top"], fractions) / span)
    auc_random = float(np.trapezoid(curves["random"], fractions) / span)
    return {
        "fractions": [float(f) for f in fractions],
        "top": curves["top"],
        "random": curves["random"],
        "auc_top": auc_top,
        "auc_random": auc_random,
        "faster_than_random": auc_top < auc_random,
    }


def plot_deletion(curves: dict[str, dict[str, Any]], score_label: str) -> Figure:
    """Deletion curves of several explainers (solid: top first; dotted: random)."""
    from seislearn.report.plots import new_figure

    fig, ax = new_figure(figsize=(5.5, 3.8))
    for k, (name, c) in enumerate(curves.items()):
        color = f"C{k}"
        ax.plot(c["fractions"], c["top"], "-o", color=color, ms=3, label=f"{name}: top first")
        ax.plot(c["fractions"], c["random"], ":", color=color, label=f"{name}: random")
    ax.set_xlabel("fraction of pixels deleted (set to the train mean)")
    ax.set_ylabel(score_label)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
