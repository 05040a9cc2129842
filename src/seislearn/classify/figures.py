"""Figures of the classify workflow: training curves, confusion matrix, ROC, residuals, variants."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from seislearn.report.plots import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def training_curves(history: list[dict[str, float]], title: str = "") -> Figure:
    """Train and dev loss per epoch, and the dev metric (accuracy or MAE)."""
    fig, axes = new_figure(1, 2, figsize=(9, 3.2))
    frame = pd.DataFrame(history)
    if len(frame):
        for key, style in (("train_loss", "-"), ("val_loss", "--")):
            if key in frame:
                axes[0].plot(frame["epoch"], frame[key], style, label=key.replace("val", "dev"))
        metric = "val_acc" if "val_acc" in frame else "val_mae"
        if metric in frame:
            axes[1].plot(frame["epoch"], frame[metric], "o-", color="C2")
            axes[1].set_ylabel("dev accuracy" if metric == "val_acc" else "dev MAE")
    axes[0].set_ylabel("loss")
    axes[0].legend()
    for ax in axes:
        ax.set_xlabel("epoch")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_matrix(matrix: list[list[int]], class_names: list[str], title: str = "") -> Figure:
    """Confusion matrix (rows true, columns predicted) with counts."""
    m = np.asarray(matrix)
    size = 1.2 + 0.6 * len(class_names)
    fig, ax = new_figure(figsize=(size + 1.5, size))
    ax.imshow(m, cmap="Blues")
    ax.set_xticks(range(len(class_names)), class_names, rotation=30, ha="right")
    ax.set_yticks(range(len(class_names)), class_names)
    for (i, j), v in np.ndenumerate(m):
        ax.text(j, i, str(v), ha="center", va="center", color="k" if v < m.max() / 2 else "w")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def roc_curves(y_true: np.ndarray, probabilities: np.ndarray, class_names: list[str]) -> Figure:
    """One-vs-rest ROC curve per class."""
    from sklearn.metrics import roc_curve

    fig, ax = new_figure(figsize=(4.2, 4))
    for k, name in enumerate(class_names):
        positive = y_true == k
        if positive.all() or not positive.any():
            continue
        fpr, tpr, _ = roc_curve(positive, probabilities[:, k])
        ax.plot(fpr, tpr, label=name)
        if len(class_names) == 2:
            break  # the other class's curve is the same one mirrored
    ax.plot([0, 1], [0, 1], ":", color="grey")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    else:  # a split holding one class only has no ROC curve
        ax.text(0.5, 0.5, "one class only: no ROC curve", ha="center", va="center")
    fig.tight_layout()
    return fig


def residuals(
    y_true: np.ndarray, y_pred: np.ndarray, distance_km: np.ndarray, target: str
) -> Figure:
    """Predicted vs true, and residuals against the target and the distance."""
    has_distance = np.isfinite(distance_km).any()
    fig, axes = new_figure(1, 3 if has_distance else 2, figsize=(12 if has_distance else 8, 3.4))
    lo, hi = float(np.min(y_true)), float(np.max(y_true))
    axes[0].scatter(y_true, y_pred, s=8)
    axes[0].plot([lo, hi], [lo, hi], "k:")
    axes[0].set_xlabel(f"true {target}")
    axes[0].set_ylabel(f"predicted {target}")
    residual = y_pred - y_true
    axes[1].scatter(y_true, residual, s=8)
    axes[1].axhline(0, color="k", lw=0.8)
    axes[1].set_xlabel(f"true {target}")
    axes[1].set_ylabel("residual (predicted - true)")
    if has_distance:
        axes[2].scatter(distance_km, residual, s=8)
        axes[2].axhline(0, color="k", lw=0.8)
        axes[2].set_xlabel("epicentral distance (km)")
        axes[2].set_ylabel("residual")
    fig.tight_layout()
    return fig


def variant_comparison(table: pd.DataFrame, metric: str) -> Figure:
    """Bar chart of one test metric per variant."""
    fig, ax = new_figure(figsize=(1.2 + 1.1 * len(table), 3.2))
    ax.bar(table["variant"], table[metric], color="C0")
    for i, v in enumerate(table[metric]):
        ax.text(i, v, f"{v:.3f}", ha="center", va="bottom", fontsize=9)
    ax.set_ylabel(f"test {metric.replace('_', ' ')}")
    if metric in ("accuracy", "balanced_accuracy", "roc_auc"):
        ax.set_ylim(0, 1.05)
    fig.tight_layout()
    return fig


def metrics_rows(metrics: dict[str, Any]) -> list[list[Any]]:
    """Per-class rows (class, precision, recall, F1, support) of classification metrics."""
    return [
        [name, v["precision"], v["recall"], v["f1"], v["support"]]
        for name, v in metrics.get("per_class", {}).items()
    ]


def predicted_vs_true(y: np.ndarray, pred: np.ndarray, target: str) -> Figure:
    """Predicted against true values of a regression target, with the line y = x."""
    fig, ax = new_figure(figsize=(5, 4.6))
    ax.scatter(y, pred, s=8, alpha=0.7)
    low, high = float(np.nanmin([y.min(), pred.min()])), float(np.nanmax([y.max(), pred.max()]))
    ax.plot([low, high], [low, high], color="k", lw=0.8)
    ax.set_xlabel(f"true {target}")
    ax.set_ylabel(f"predicted {target}")
    fig.tight_layout()
    return fig


def predicted_vs_true_interactive(
    y: np.ndarray, pred: np.ndarray, target: str, names: np.ndarray
) -> dict:
    """The plotly twin of :func:`predicted_vs_true`: hover names the trace and its error."""
    from seislearn.report.interactive import scatter_figure

    low, high = float(min(y.min(), pred.min())), float(max(y.max(), pred.max()))
    return scatter_figure(
        y,
        pred,
        title=f"predicted vs true {target}, test split (hover: trace)",
        x_label=f"true {target}",
        y_label=f"predicted {target}",
        hover=[f"{n}: error {p - t:+.3f}" for n, t, p in zip(names, y, pred, strict=True)],
        diagonal=(low, high),
    )
