"""Mean and standard deviation over chunks, merged exactly (bounded memory).

A streaming pass over the train split gives each chunk's count, mean and sum
of squared deviations (``M2``) per statistic cell; chunks are merged with the
pairwise update of Chan, Golub and LeVeque (1979), which is exact in exact
arithmetic and stable in float64, so the result equals the whole array's
``mean``/``std`` (population, ``ddof=0``) to float rounding whatever the chunking.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def chunked_mean_std(
    chunks: Iterable[np.ndarray], axes: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and population standard deviation over ``axes`` of the concatenated chunks.

    Parameters
    ----------
    chunks : iterable of ndarray
        Consecutive pieces of one array along axis 0 (same trailing shape).
    axes : tuple of int
        Axes reduced, axis 0 among them (the samples), as for ``array.mean(axis=axes)``.

    Returns
    -------
    mean, std : ndarray, float64, the shape of the axes kept
    """
    if 0 not in axes:
        raise ValueError("the sample axis 0 must be among the reduced axes")
    count = 0
    mean: np.ndarray | None = None
    m2: np.ndarray | None = None
    for chunk in chunks:
        x = np.asarray(chunk, dtype=np.float64)
        if len(x) == 0:
            continue
        n = int(np.prod([x.shape[a] for a in axes]))
        chunk_mean = x.mean(axis=axes)
        keep = [a for a in range(x.ndim) if a not in axes]
        shape = [x.shape[a] if a in keep else 1 for a in range(x.ndim)]
        chunk_m2 = ((x - chunk_mean.reshape(shape)) ** 2).sum(axis=axes)
        if mean is None or m2 is None:
            count, mean, m2 = n, chunk_mean, chunk_m2
            continue
        total = count + n
        delta = chunk_mean - mean
        mean = mean + delta * (n / total)
        m2 = m2 + chunk_m2 + delta**2 * (count * n / total)
        count = total
    if mean is None or m2 is None:
        raise ValueError("no samples to compute a mean over")
    return mean, np.sqrt(m2 / count)
