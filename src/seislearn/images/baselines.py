"""The classic baseline of image clustering: KMeans on the raw (downsampled) pixels."""

from __future__ import annotations

import numpy as np


def pixel_kmeans_ari(images: list[np.ndarray], labels: list[str], k: int, seed: int) -> float:
    """Adjusted Rand index of KMeans on robustly scaled 32 x 32 pixels, standardized.

    Parameters
    ----------
    images : list of 2-D arrays, the patches (any size; each is scaled to 32 x 32)
    labels : list of str, the true labels (used only for scoring)
    k : int, number of clusters
    seed : int
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    from seislearn.io.images import stack_scaled

    x = stack_scaled(images, 32).reshape(len(images), -1)
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    clusters = KMeans(k, n_init=10, random_state=seed).fit_predict(x)
    return float(adjusted_rand_score(labels, clusters))
