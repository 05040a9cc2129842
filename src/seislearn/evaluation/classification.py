"""Metrics of classifiers and regressors, as plain JSON-friendly dicts.

Classification: accuracy, balanced accuracy, per-class precision/recall/F1,
the confusion matrix (rows = true class), ROC-AUC (one-vs-rest, macro, for
more than two classes). Regression: MAE, RMSE, R^2, bias.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def classification_metrics(
    y_true: np.ndarray, probabilities: np.ndarray, class_names: Sequence[str]
) -> dict[str, Any]:
    """Scores of class probabilities against integer labels.

    Parameters
    ----------
    y_true : ndarray of int, shape (n,)
        Class indices into ``class_names``.
    probabilities : ndarray, shape (n, K)
        Predicted class probabilities (rows sum to 1).
    class_names : sequence of str, length K

    Returns
    -------
    dict
        ``n``, ``accuracy``, ``balanced_accuracy``, ``roc_auc`` (``None`` when a
        class is missing from ``y_true``), ``per_class`` (precision, recall,
        f1, support per class name) and ``confusion_matrix`` (list of lists,
        rows true, columns predicted, in ``class_names`` order).
    """
    from sklearn import metrics

    y_true = np.asarray(y_true, dtype=int)
    probabilities = np.asarray(probabilities, dtype=float)
    k = len(class_names)
    if probabilities.shape != (len(y_true), k):
        raise ValueError(
            f"probabilities have shape {probabilities.shape}, expected ({len(y_true)}, {k})"
        )
    y_pred = probabilities.argmax(axis=1)
    labels = np.arange(k)
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    present = np.unique(y_true)
    roc_auc: float | None = None
    if len(present) == k and k >= 2:
        if k == 2:
            roc_auc = float(metrics.roc_auc_score(y_true, probabilities[:, 1]))
        else:
            roc_auc = float(
                metrics.roc_auc_score(y_true, probabilities, multi_class="ovr", labels=labels)
            )
    # Balanced accuracy over the classes present in y_true (sklearn's definition).
    balanced = float(np.mean([recall[c] for c in present])) if len(present) else float("nan")
    return {
        "n": len(y_true),
        "accuracy": float(np.mean(y_pred == y_true)) if len(y_true) else float("nan"),
        "balanced_accuracy": balanced,
        "roc_auc": roc_auc,
        "per_class": {
            str(name): {
                "precision": float(precision[c]),
                "recall": float(recall[c]),
                "f1": float(f1[c]),
                "support": int(support[c]),
            }
            for c, name in enumerate(class_names)
        },
        "confusion_matrix": metrics.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MAE, RMSE, R^2 and bias (mean of prediction minus truth), in target units."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    residual = y_pred - y_true
    ss_tot = float(np.sum((y_true - y_true.mean()) ** 2)) if len(y_true) else float("nan")
    return {
        "n": len(y_true),
        "mae": float(np.mean(np.abs(residual))),
        "rmse": float(np.sqrt(np.mean(residual**2))),
        "r2": float(1.0 - np.sum(residual**2) / ss_tot) if ss_tot > 0 else float("nan"),
        "bias": float(np.mean(residual)),
    }


def class_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Inverse-frequency class weights ``n / (K * count)``; a missing class gets weight 0."""
    counts = np.bincount(np.asarray(y, dtype=int), minlength=n_classes).astype(float)
    weights = np.zeros(n_classes)
    nonzero = counts > 0
    weights[nonzero] = counts.sum() / (nonzero.sum() * counts[nonzero])
    return weights
