"""KMeans where it fits, MiniBatchKMeans where it would not.

scikit-learn's ``KMeans`` (Lloyd) runs every restart over all samples and, to
centre them, holds a second copy of the data; ``MiniBatchKMeans`` updates the
centres from batches of ``batch_size`` samples, so its time per step and its
extra memory do not grow with the number of samples. :func:`choose_kmeans`
picks one from the size of the data:

* ``"minibatch"`` when ``n_samples * n_features`` exceeds
  :data:`KMEANS_MAX_ELEMENTS` (10^7, e.g. 200,000 embeddings of 50
  dimensions: on 10^6 well-separated embeddings of 16 dimensions ten full-batch
  restarts took 36 s against 1.5 s for MiniBatchKMeans, both ARI 1.0, on a
  loaded 2-core machine, ``benchmarks/scale_clusters.py``), or when the full-batch working memory
  (:func:`kmeans_working_bytes`) exceeds half of the memory available now;
* ``"kmeans"`` otherwise (exact Lloyd, as before, for every data set of the
  tour and the benchmarks).

``method="kmeans"`` or ``"minibatch"`` overrides the choice.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import numpy as np

log = logging.getLogger(__name__)

KMeansMethod = Literal["auto", "kmeans", "minibatch"]

#: ``n_samples * n_features`` above which ``"auto"`` chooses MiniBatchKMeans.
KMEANS_MAX_ELEMENTS = 10_000_000
#: Samples per MiniBatchKMeans step.
MINIBATCH_SIZE = 4096


def available_memory_bytes() -> int | None:
    """Memory available to a new allocation now, bytes, within this process's cgroup limit.

    :func:`seislearn.data.memory.available_memory_bytes` (``MemAvailable``, never
    more than the memory limit of the process's own cgroup leaves).
    """
    from seislearn.data.memory import available_memory_bytes as available

    try:
        return int(available())
    except (ValueError, OSError, AttributeError):
        return None


def kmeans_working_bytes(n_samples: int, n_features: int, itemsize: int = 4) -> int:
    """Extra memory of a full-batch ``KMeans.fit`` beyond the data, in bytes.

    The centred copy of the data (``copy_x=True``) plus the per-sample squared
    norms, weights, labels and best labels.
    """
    return int(n_samples) * (int(n_features) + 4) * int(itemsize)


def choose_kmeans(
    n_samples: int,
    n_features: int,
    method: KMeansMethod = "auto",
    max_elements: int = KMEANS_MAX_ELEMENTS,
    memory_bytes: int | None = None,
    itemsize: int = 4,
) -> Literal["kmeans", "minibatch"]:
    """Which KMeans to run on ``n_samples`` points of ``n_features`` dimensions.

    Parameters
    ----------
    n_samples, n_features : int
        Size of the data to cluster.
    method : {"auto", "kmeans", "minibatch"}
        ``"auto"`` decides by the rule of the module docstring; the others are returned.
    max_elements : int
        ``n_samples * n_features`` above which ``"auto"`` takes MiniBatchKMeans.
    memory_bytes : int, optional
        Memory available, in bytes (default: :func:`available_memory_bytes`).
    itemsize : int
        Bytes per value of the data (4 for float32).

    Returns
    -------
    "kmeans" or "minibatch"
    """
    if method in ("kmeans", "minibatch"):
        return method
    if method != "auto":
        raise ValueError(f"kmeans method must be auto, kmeans or minibatch, got {method!r}")
    if int(n_samples) * int(n_features) > max_elements:
        return "minibatch"
    memory = available_memory_bytes() if memory_bytes is None else memory_bytes
    if memory is not None and kmeans_working_bytes(n_samples, n_features, itemsize) > memory / 2:
        return "minibatch"
    return "kmeans"


def make_kmeans(
    n_clusters: int,
    n_samples: int,
    n_features: int,
    method: KMeansMethod = "auto",
    n_init: int = 10,
    random_state: int | None = 0,
    max_iter: int | None = None,
    **choose: Any,
) -> Any:
    """An unfitted ``KMeans`` or ``MiniBatchKMeans`` for data of this size.

    Parameters
    ----------
    n_clusters : int
    n_samples, n_features : int
        Size of the data it will be fitted on (for :func:`choose_kmeans`).
    method : {"auto", "kmeans", "minibatch"}
    n_init : int
        Restarts (both estimators keep the one of lowest inertia).
    random_state : int or None
    max_iter : int, optional
        Iterations (KMeans) or passes over the data (MiniBatchKMeans); scikit-learn's
        default when None.
    **choose
        Passed to :func:`choose_kmeans` (``max_elements``, ``memory_bytes``).
    """
    from sklearn.cluster import KMeans, MiniBatchKMeans

    kind = choose_kmeans(n_samples, n_features, method, **choose)
    extra = {} if max_iter is None else {"max_iter": int(max_iter)}
    if kind == "minibatch":
        log.info("MiniBatchKMeans for %d x %d samples", n_samples, n_features)
        return MiniBatchKMeans(
            n_clusters,
            n_init=n_init,
            batch_size=MINIBATCH_SIZE,
            random_state=random_state,
            **extra,
        )
    return KMeans(n_clusters, n_init=n_init, random_state=random_state, **extra)


def fit_kmeans(
    x: np.ndarray,
    n_clusters: int,
    method: KMeansMethod = "auto",
    n_init: int = 10,
    random_state: int | None = 0,
    max_iter: int | None = None,
    **choose: Any,
) -> Any:
    """Fit the KMeans :func:`make_kmeans` chooses for ``x`` ``(n_samples, n_features)``.

    Returns
    -------
    the fitted estimator (``cluster_centers_``, ``labels_``, ``inertia_``)
    """
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"expected 2-D data (n_samples, n_features), got shape {x.shape}")
    estimator = make_kmeans(
        n_clusters,
        x.shape[0],
        x.shape[1],
        method,
        n_init,
        random_state,
        max_iter,
        itemsize=x.dtype.itemsize,
        **choose,
    )
    return estimator.fit(x)
