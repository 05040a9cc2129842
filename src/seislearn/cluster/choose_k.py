"""Choosing the number of clusters: silhouette and Davies-Bouldin over a range of k."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


def score_k_range(
    embeddings: np.ndarray, k_values: Iterable[int], seed: int = 0, n_init: int = 10
) -> pd.DataFrame:
    """KMeans on the embeddings for each k, scored without labels.

    Parameters
    ----------
    embeddings : ndarray, shape (n, d)
    k_values : iterable of int, each >= 2 and < n
    seed : int
    n_init : int, KMeans restarts

    Returns
    -------
    DataFrame with columns ``k``, ``silhouette`` (higher is better, in [-1, 1]),
    ``davies_bouldin`` (lower is better, >= 0) and ``inertia``.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import davies_bouldin_score, silhouette_score

    z = np.asarray(embeddings, dtype=np.float64)
    rows = []
    for k in k_values:
        if not 2 <= k < len(z):
            continue
        km = KMeans(int(k), n_init=n_init, random_state=seed).fit(z)
        # Silhouette is O(n^2): score a fixed random subsample of large sets.
        sample = min(len(z), 5000)
        rows.append(
            {
                "k": int(k),
                "silhouette": float(
                    silhouette_score(z, km.labels_, sample_size=sample, random_state=seed)
                ),
                "davies_bouldin": float(davies_bouldin_score(z, km.labels_)),
                "inertia": float(km.inertia_),
            }
        )
    return pd.DataFrame(rows, columns=["k", "silhouette", "davies_bouldin", "inertia"])


def suggest_k(scores: pd.DataFrame) -> dict[str, int | None]:
    """The k each criterion prefers, and one suggestion.

    The suggestion is the k with the best mean rank over both criteria (ties go
    to the smaller k: the simpler grouping).
    """
    if scores.empty:
        return {"silhouette": None, "davies_bouldin": None, "suggested": None}
    by_sil = int(scores.loc[scores["silhouette"].idxmax(), "k"])
    by_db = int(scores.loc[scores["davies_bouldin"].idxmin(), "k"])
    rank = scores["silhouette"].rank(ascending=False) + scores["davies_bouldin"].rank()
    best = scores.assign(rank=rank).sort_values(["rank", "k"]).iloc[0]
    return {"silhouette": by_sil, "davies_bouldin": by_db, "suggested": int(best["k"])}
