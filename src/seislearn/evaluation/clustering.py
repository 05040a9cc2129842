"""Clustering metrics shared by the ``cluster`` and ``images`` workflows.

Cluster ids are arbitrary, so accuracy needs a cluster-to-label mapping.
:func:`match_clusters` gives the one-to-one Hungarian mapping (every class can
be predicted) or the majority vote (several clusters may map to one class, and
a class may never be predicted: reported, not hidden).
"""

from __future__ import annotations

from typing import Literal

import numpy as np


def contingency(
    labels_true: np.ndarray, labels_pred: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts of (true class, cluster) pairs.

    Returns
    -------
    table : ndarray, shape (n_classes, n_clusters)
    classes : ndarray, the class values (rows)
    clusters : ndarray, the cluster ids (columns)
    """
    classes, t = np.unique(np.asarray(labels_true), return_inverse=True)
    clusters, p = np.unique(np.asarray(labels_pred), return_inverse=True)
    table = np.zeros((classes.size, clusters.size), dtype=np.int64)
    np.add.at(table, (t, p), 1)
    return table, classes, clusters


def match_clusters(
    labels_true: np.ndarray,
    labels_pred: np.ndarray,
    method: Literal["hungarian", "majority"] = "hungarian",
) -> dict:
    """Map each cluster id to a class.

    With ``hungarian`` the mapping is one-to-one where possible (extra clusters,
    when there are more clusters than classes, take their majority class).
    """
    from scipy.optimize import linear_sum_assignment

    table, classes, clusters = contingency(labels_true, labels_pred)
    mapping: dict = {}
    if method == "hungarian":
        rows, cols = linear_sum_assignment(-table)
        mapping = {clusters[c].item(): classes[r].item() for r, c in zip(rows, cols, strict=True)}
    elif method != "majority":
        raise ValueError(f"unknown mapping method {method!r}")
    for j, cluster in enumerate(clusters):
        mapping.setdefault(cluster.item(), classes[table[:, j].argmax()].item())
    return mapping


def cluster_accuracy(labels_true: np.ndarray, labels_pred: np.ndarray) -> float:
    """Unsupervised clustering accuracy (ACC): the best one-to-one mapping's accuracy."""
    from scipy.optimize import linear_sum_assignment

    table, _, _ = contingency(labels_true, labels_pred)
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / max(table.sum(), 1))


def clustering_scores(labels_true: np.ndarray, labels_pred: np.ndarray) -> dict[str, float]:
    """ACC (Hungarian), NMI and ARI."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return {
        "acc": cluster_accuracy(labels_true, labels_pred),
        "nmi": float(normalized_mutual_info_score(labels_true, labels_pred)),
        "ari": float(adjusted_rand_score(labels_true, labels_pred)),
    }


def per_class_counts(labels_true: np.ndarray, labels_mapped: np.ndarray) -> list[dict]:
    """One-vs-rest TP, FP, TN, FN, precision, recall and F1 per class."""
    y, p = np.asarray(labels_true), np.asarray(labels_mapped)
    out = []
    for cls in np.unique(np.concatenate([y, p])):
        tp = int(np.sum((y == cls) & (p == cls)))
        fp = int(np.sum((y != cls) & (p == cls)))
        fn = int(np.sum((y == cls) & (p != cls)))
        tn = int(y.size - tp - fp - fn)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append(
            {
                "class": cls.item() if hasattr(cls, "item") else cls,
                "tp": tp,
                "fp": fp,
                "tn": tn,
                "fn": fn,
                "precision": precision,
                "recall": recall,
                "f1": f1,
            }
        )
    return out
