"""Scores of one clustering: sizes, unsupervised scores and, given labels, ACC/NMI/ARI."""

from __future__ import annotations

from typing import Any

import numpy as np


def unsupervised_scores(embeddings: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Silhouette and Davies-Bouldin of a clustering (None where fewer than 2 clusters)."""
    from sklearn.metrics import davies_bouldin_score, silhouette_score

    n_found = len(np.unique(labels))
    ok = 2 <= n_found < len(labels)
    return {
        "silhouette": float(
            silhouette_score(embeddings, labels, sample_size=min(len(labels), 5000), random_state=0)
        )
        if ok
        else None,
        "davies_bouldin": float(davies_bouldin_score(embeddings, labels)) if ok else None,
        "n_clusters_found": int(n_found),
    }


def label_scores(truth: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """ACC (Hungarian), NMI, ARI, the mapping and the confusion matrix."""
    from seislearn.evaluation.clustering import clustering_scores, contingency, match_clusters

    table, classes, clusters = contingency(truth, labels)
    return {
        **clustering_scores(truth, labels),
        "mapping": {str(k): v for k, v in match_clusters(truth, labels, "hungarian").items()},
        "confusion_matrix": {
            "classes": [str(c) for c in classes],
            "clusters": [int(c) for c in clusters],
            "counts": table.tolist(),
        },
    }


def evaluate(
    embeddings: np.ndarray,
    labels: np.ndarray,
    q_assigned: np.ndarray | None,
    truth: np.ndarray | None,
    n_clusters: int,
    score_rows: np.ndarray | None = None,
) -> dict[str, Any]:
    """Metrics of one clustering (sizes, unsupervised scores, label scores when given).

    Parameters
    ----------
    embeddings : ndarray, shape (n, d), or (len(score_rows), d)
        The space of the silhouette and Davies-Bouldin scores.
    labels : ndarray of int, shape (n,)
    q_assigned : ndarray, shape (n,), optional
    truth : ndarray, shape (n,), optional
    n_clusters : int
    score_rows : ndarray of int, optional
        When given, ``embeddings`` holds only these rows (a sample) and the
        unsupervised scores are computed on them; sizes and label scores still
        use all ``n`` labels.
    """
    sizes = np.bincount(labels, minlength=n_clusters)
    scored = labels if score_rows is None else labels[np.asarray(score_rows, np.int64)]
    out: dict[str, Any] = {
        "n": len(labels),
        "cluster_sizes": {str(k): int(v) for k, v in enumerate(sizes)},
        "mean_q_assigned": (
            float(np.mean(q_assigned)) if q_assigned is not None and len(q_assigned) else None
        ),
        **unsupervised_scores(embeddings, scored),
        "n_clusters_found": len(np.unique(labels)),
    }
    if truth is not None:
        out.update(label_scores(truth, labels))
    return out
