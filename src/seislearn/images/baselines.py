"""The classic baseline of image clustering: KMeans on the raw (downsampled) pixels."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Patches the baseline is fitted and scored on (a seeded sample beyond it, so that a
#: streamed folder is never held in memory for it; all patches below).
BASELINE_SAMPLE = 10_000


def pixel_kmeans_ari(
    images: Sequence[np.ndarray],
    labels: list[str],
    k: int,
    seed: int,
    sample: int = BASELINE_SAMPLE,
) -> float:
    """Adjusted Rand index of KMeans on robustly scaled 32 x 32 pixels, standardized.

    Parameters
    ----------
    images : sequence of 2-D arrays, the patches (any size; each is scaled to 32 x 32); a
        lazy reader is read only at the sampled positions
    labels : list of str, the true labels (used only for scoring)
    k : int, number of clusters
    seed : int, of KMeans and of the sample
    sample : int, patches fitted and scored: a seeded sample of this many when there are more
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    from seislearn.io.images import scale_patch

    rows = np.arange(len(images))
    if len(rows) > sample:
        rows = np.sort(np.random.default_rng(seed).choice(len(rows), sample, replace=False))
    # Scaled as each is read: a lazy reader never holds the raw patches at once.
    x = np.stack([scale_patch(images[int(i)], 32) for i in rows]).reshape(len(rows), -1)
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    clusters = KMeans(k, n_init=10, random_state=seed).fit_predict(x)
    return float(adjusted_rand_score([labels[int(i)] for i in rows], clusters))
