"""Features -> UMAP -> KMeans -> cluster-to-label mapping -> anomaly scores.

:class:`ImageClusterPipeline` follows the scikit-learn estimator contract
(``__init__`` stores parameters, ``fit`` learns, learned state ends in ``_``).

Saving without pickle
---------------------
A fitted UMAP cannot be written safely (its state is numba/pynndescent
objects: only pickle holds them, and unpickling a user-supplied file runs
code). So :meth:`save` writes plain arrays (``.npz``, read with
``allow_pickle=False``) and JSON: the standardized training features UMAP was
fitted on, their UMAP embedding, the KMeans centres, the mapping and the anomaly scale.
:meth:`load` refits UMAP on the saved features with the saved seed (UMAP with a
``random_state`` is deterministic) and checks that the refit reproduces the
saved training embedding; if it does not (different umap/numba versions),
loading fails with a clear error instead of assigning clusters silently
differently. KMeans needs no refit: assigning a point is a nearest-centre
search on the saved centres.

At scale
--------
UMAP is fitted on at most ``umap_sample_size`` patches drawn at random and the
others are embedded by ``transform``
(:class:`seislearn.clustering.umap_sample.SampledUMAP`); only that sample's
features are saved. KMeans is scikit-learn's ``KMeans``, or ``MiniBatchKMeans``
when the embeddings are too many for it
(:func:`seislearn.clustering.kmeans.choose_kmeans`, ``kmeans=`` overrides).
The outlier model (Isolation Forest, LOF) is fitted on the UMAP sample's
embedding. Up to ``umap_sample_size`` patches (10,000 by default) nothing of
this differs from a plain UMAP + KMeans.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from seislearn.errors import DataError
from seislearn.runs import atomic_path, write_json_atomic

ARRAYS = "pipeline_arrays.npz"
SPEC = "pipeline.json"
FORMAT_VERSION = 1
#: Embeddings the number of clusters is chosen on (a seeded sample beyond it).
CHOOSE_K_ROWS = 50_000


class ImageClusterPipeline(ClusterMixin, BaseEstimator):
    """Cluster feature vectors and score how odd each one is.

    Parameters
    ----------
    n_components : int
        UMAP output dimensions (clustering space); 0 skips UMAP and clusters the
        standardized features themselves (fast; for small quick runs).
    n_neighbors : int
        UMAP neighbourhood size.
    min_dist : float
        UMAP minimum distance (0 packs clusters tightly: good for clustering).
    n_clusters : int or None
        KMeans k; None chooses k in ``k_range`` by the silhouette score.
    k_range : tuple of int
        Smallest and largest k tried when ``n_clusters`` is None.
    mapping : {"hungarian", "majority"}
        Cluster-to-label mapping when labels are given.
    anomaly : {"centroid", "isolation_forest", "lof"}
        Anomaly score: distance to the cluster centre divided by the cluster's
        median distance, or Isolation Forest / Local Outlier Factor on the embedding
        (higher = more anomalous in every case).
    n_init : int
        KMeans restarts.
    umap_sample_size : int or None
        UMAP is fitted on at most this many patches (a seeded random sample) and
        the others are embedded by ``transform``; None fits on all.
    kmeans : {"auto", "kmeans", "minibatch"}
        Full-batch KMeans or MiniBatchKMeans; ``"auto"`` chooses from the number of
        embeddings, their dimensions and the memory available
        (:func:`seislearn.clustering.kmeans.choose_kmeans`).
    verbose : bool or None
        Progress of UMAP; None follows :mod:`seislearn.progress` (``--quiet``).
    random_state : int
        Seed of UMAP, KMeans and the anomaly model (an int: :meth:`load` refits UMAP
        with it and must reproduce the saved embedding).
    seed : int, optional
        Deprecated alias of ``random_state`` (a ``FutureWarning``); wins when given.

    Notes
    -----
    scikit-learn conventions: ``get_params``/``set_params``, ``sklearn.base.clone``,
    ``fit_predict`` (the KMeans labels of the training features), ``labels_``. Not
    the full ``estimator_checks``: :meth:`predict` returns a dict (cluster, label,
    anomaly score per sample), not one array, and ``fit`` takes the true labels to
    build the cluster-to-label mapping.
    """

    def __init__(
        self,
        n_components: int = 50,
        n_neighbors: int = 15,
        min_dist: float = 0.0,
        n_clusters: int | None = None,
        k_range: tuple[int, int] = (2, 10),
        mapping: Literal["hungarian", "majority"] = "hungarian",
        anomaly: Literal["centroid", "isolation_forest", "lof"] = "centroid",
        n_init: int = 10,
        umap_sample_size: int | None = 10_000,
        kmeans: Literal["auto", "kmeans", "minibatch"] = "auto",
        random_state: int = 0,
        seed: int | None = None,
        verbose: bool | None = None,
    ) -> None:
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.mapping = mapping
        self.anomaly = anomaly
        self.n_init = n_init
        self.umap_sample_size = umap_sample_size
        self.kmeans = kmeans
        self.random_state = random_state
        self.seed = seed
        self.verbose = verbose

    @property
    def seed_(self) -> int:
        """The seed in use: ``seed`` when the deprecated alias is given, else ``random_state``."""
        return int(self.random_state if self.seed is None else self.seed)

    def spec_params(self) -> dict[str, Any]:
        """Constructor arguments as saved (JSON-serializable; the seed as ``random_state``)."""
        params = self.get_params()
        params["k_range"] = list(self.k_range)
        params["random_state"] = self.seed_
        params.pop("seed")
        params.pop("verbose")
        return params

    # fitting
    def _umap(self, sample_size: int | None) -> Any:
        from seislearn.clustering.umap_sample import SampledUMAP

        return SampledUMAP(
            n_components=self.n_components,
            n_neighbors=self.n_neighbors,
            min_dist=self.min_dist,
            sample_size=sample_size,
            random_state=self.seed_,
            verbose=self.verbose,
        )

    def _fit_umap(self, scaled: np.ndarray) -> np.ndarray:
        """Embedding of every row; sets ``umap_`` and ``umap_sample_index_``."""
        if self.n_components == 0:
            self.umap_ = None
            self.umap_sample_index_ = np.arange(len(scaled))
            return scaled.astype(np.float32)
        self.umap_ = self._umap(self.umap_sample_size)
        embedding = self.umap_.fit_transform(scaled)
        self.umap_sample_index_ = self.umap_.sample_index_
        return embedding

    def _choose_k(self, embedding: np.ndarray) -> tuple[int, dict[int, float]]:
        from sklearn.cluster import KMeans
        from sklearn.metrics import silhouette_score

        lo, hi = self.k_range
        hi = min(hi, len(embedding) - 1)
        scores: dict[int, float] = {}
        sample = min(len(embedding), 5000)
        if len(embedding) > CHOOSE_K_ROWS:  # k is chosen on a sample of the embeddings
            rows = np.random.default_rng(self.seed_).choice(len(embedding), CHOOSE_K_ROWS, False)
            embedding = embedding[np.sort(rows)]
        for k in range(max(lo, 2), hi + 1):
            labels = KMeans(k, n_init=self.n_init, random_state=self.seed_).fit_predict(embedding)
            scores[k] = float(
                silhouette_score(embedding, labels, sample_size=sample, random_state=self.seed_)
            )
        if not scores:
            raise DataError(f"too few patches ({len(embedding)}) to choose a number of clusters")
        return max(scores, key=scores.__getitem__), scores

    def fit(self, features: np.ndarray, labels: np.ndarray | None = None) -> ImageClusterPipeline:
        """Learn the scaler, UMAP, KMeans, the mapping (if ``labels``) and the anomaly scale.

        Parameters
        ----------
        features : ndarray (n, D)
        labels : ndarray (n,), optional, true classes (used only for the mapping)
        """
        import warnings

        from seislearn.clustering.kmeans import fit_kmeans
        from seislearn.evaluation.clustering import match_clusters

        if self.seed is not None:
            warnings.warn(
                "ImageClusterPipeline(seed=...) is deprecated; use random_state=...",
                FutureWarning,
                stacklevel=2,
            )
        features = np.asarray(features, dtype=np.float32)
        if len(features) < 4:
            raise DataError(f"need at least 4 patches to cluster, got {len(features)}")
        self.mean_ = features.mean(axis=0)
        self.scale_ = features.std(axis=0) + 1e-6
        scaled = (features - self.mean_) / self.scale_
        self.embedding_ = self._fit_umap(scaled)
        self.train_features_ = scaled[self.umap_sample_index_]
        self.silhouette_ = {}
        if self.n_clusters is not None:
            k = self.n_clusters
        elif labels is not None:
            k = len(np.unique(labels))
        else:
            k, self.silhouette_ = self._choose_k(self.embedding_)
        kmeans = fit_kmeans(
            self.embedding_, k, self.kmeans, n_init=self.n_init, random_state=self.seed_
        )
        self.kmeans_method_ = type(kmeans).__name__
        self.cluster_centers_ = kmeans.cluster_centers_.astype(np.float32)
        self.labels_ = kmeans.labels_.astype(np.int64)
        self.mapping_ = (
            {int(c): str(v) for c, v in match_clusters(labels, self.labels_, self.mapping).items()}
            if labels is not None
            else {}
        )
        distances = self._centre_distance(self.embedding_, self.labels_)
        self.cluster_scale_ = np.array(
            [
                np.median(distances[self.labels_ == c]) if np.any(self.labels_ == c) else 1.0
                for c in range(k)
            ],
            dtype=np.float32,
        )
        self.cluster_scale_ = np.maximum(self.cluster_scale_, 1e-6)
        self._fit_outlier_model(self.embedding_[self.umap_sample_index_])
        self.anomaly_scores_ = self._anomaly(self.embedding_, self.labels_, training=True)
        return self

    def _fit_outlier_model(self, embedding: np.ndarray) -> None:
        """The Isolation Forest / LOF on ``embedding`` (the UMAP sample's rows)."""
        self.outlier_model_ = None
        if self.anomaly == "isolation_forest":
            from sklearn.ensemble import IsolationForest

            self.outlier_model_ = IsolationForest(random_state=self.seed_).fit(embedding)
        elif self.anomaly == "lof":
            from sklearn.neighbors import LocalOutlierFactor

            n = min(20, len(embedding) - 1)
            self.outlier_model_ = LocalOutlierFactor(n_neighbors=n, novelty=True)
            self.outlier_model_.fit(embedding)
        elif self.anomaly != "centroid":
            raise ValueError(f"unknown anomaly method {self.anomaly!r}")

    def _centre_distance(self, embedding: np.ndarray, clusters: np.ndarray) -> np.ndarray:
        return np.linalg.norm(embedding - self.cluster_centers_[clusters], axis=1)

    def _anomaly(self, embedding: np.ndarray, clusters: np.ndarray, training: bool) -> np.ndarray:
        if self.anomaly == "centroid":
            return self._centre_distance(embedding, clusters) / self.cluster_scale_[clusters]
        if self.anomaly == "lof" and training:
            # Scoring the LOF's own points with novelty=True would count each as its own
            # neighbour: they keep their fitted factor, the other rows are scored.
            own = self.outlier_model_.negative_outlier_factor_
            if len(embedding) == len(own):
                return -own
            scores = -self.outlier_model_.score_samples(embedding)
            scores[self.umap_sample_index_] = -own
            return scores
        return -self.outlier_model_.score_samples(embedding)

    # applying
    def transform(self, features: np.ndarray) -> np.ndarray:
        """UMAP embedding of new feature vectors (``transform`` in blocks, with progress)."""
        self._check_fitted()
        scaled = (np.asarray(features, dtype=np.float32) - self.mean_) / self.scale_
        if self.umap_ is None:
            return scaled
        return self.umap_.transform(scaled)

    def assign(self, embedding: np.ndarray) -> np.ndarray:
        """Nearest cluster centre of each embedded point."""
        from sklearn.metrics import pairwise_distances_argmin

        # In chunks (scikit-learn's working memory), not an (n, k, dims) array.
        return pairwise_distances_argmin(
            np.asarray(embedding, dtype=np.float32), self.cluster_centers_
        ).astype(np.int64)

    def predict(self, features: np.ndarray) -> dict[str, np.ndarray]:
        """Clusters, mapped labels (if any mapping) and anomaly scores of new features."""
        embedding = self.transform(features)
        clusters = self.assign(embedding)
        mapped = np.array([self.mapping_.get(int(c), "") for c in clusters], dtype=object)
        return {
            "embedding": embedding,
            "cluster": clusters,
            "predicted_label": mapped,
            "anomaly_score": self._anomaly(embedding, clusters, training=False),
        }

    def _check_fitted(self) -> None:
        if not hasattr(self, "umap_"):
            raise RuntimeError("the pipeline is not fitted")

    # persistence
    def save(self, directory: str | os.PathLike) -> Path:
        """Write ``pipeline.json`` and ``pipeline_arrays.npz`` (no pickle) into ``directory``."""
        self._check_fitted()
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / ARRAYS) as tmp, open(tmp, "wb") as f:
            np.savez_compressed(
                f,
                mean=self.mean_,
                scale=self.scale_,
                train_features=self.train_features_,
                # the UMAP sample's rows (a loaded pipeline holds only those)
                embedding=self.embedding_
                if len(self.embedding_) == len(self.train_features_)
                else self.embedding_[self.umap_sample_index_],
                cluster_centers=self.cluster_centers_,
                cluster_scale=self.cluster_scale_,
                labels=self.labels_,
                umap_sample_index=self.umap_sample_index_,
            )
        import umap

        write_json_atomic(
            folder / SPEC,
            {
                "format_version": FORMAT_VERSION,
                "params": self.spec_params(),
                "mapping": {str(k): v for k, v in self.mapping_.items()},
                "silhouette": {str(k): v for k, v in self.silhouette_.items()},
                "umap_version": umap.__version__,
            },
        )
        return folder

    @classmethod
    def load(
        cls, directory: str | os.PathLike, check_atol: float = 1e-3, verbose: bool | None = None
    ) -> ImageClusterPipeline:
        """Rebuild a saved pipeline; UMAP is refitted and checked against the saved embedding.

        ``verbose`` is the loaded pipeline's progress setting (None: ``seislearn.progress``).

        Raises
        ------
        DataError
            If files are missing or the refit does not reproduce the saved embedding.
        """
        folder = Path(directory)
        try:
            spec = json.loads((folder / SPEC).read_text(encoding="utf-8"))
            arrays = np.load(folder / ARRAYS, allow_pickle=False)
        except FileNotFoundError as exc:
            raise DataError("saved pipeline is incomplete", path=exc.filename) from None
        except (json.JSONDecodeError, ValueError) as exc:
            raise DataError(f"saved pipeline is unreadable: {exc}", path=folder) from None
        if spec.get("format_version") != FORMAT_VERSION:
            raise DataError(f"unknown pipeline format {spec.get('format_version')!r}", folder)
        params = dict(spec["params"])
        params["k_range"] = tuple(params["k_range"])
        if "seed" in params:  # saved before random_state
            params["random_state"] = params.pop("seed")
        self = cls(**params, verbose=verbose)
        with arrays:
            self.mean_ = arrays["mean"]
            self.scale_ = arrays["scale"]
            self.train_features_ = arrays["train_features"]
            self.embedding_ = arrays["embedding"]
            self.cluster_centers_ = arrays["cluster_centers"]
            self.cluster_scale_ = arrays["cluster_scale"]
            self.labels_ = arrays["labels"]
            # Saved before sampling: the UMAP was fitted on every training row.
            index = (
                arrays["umap_sample_index"]
                if "umap_sample_index" in arrays.files
                else np.arange(len(self.train_features_))
            )
        if not len(index) == len(self.train_features_) == len(self.embedding_):
            raise DataError("saved pipeline arrays do not match each other", path=folder)
        self.mapping_ = {int(k): v for k, v in spec.get("mapping", {}).items()}
        self.silhouette_ = {int(k): v for k, v in spec.get("silhouette", {}).items()}
        saved = self.embedding_
        if self.n_components == 0:
            self.umap_ = None
            refit = self.train_features_.astype(np.float32)
        else:  # fitted on all the saved rows: they are the sample
            self.umap_ = self._umap(None)
            refit = self.umap_.fit_transform(self.train_features_)
        if refit.shape != saved.shape or not np.allclose(refit, saved, atol=check_atol):
            worst = float(np.abs(refit - saved).max()) if refit.shape == saved.shape else np.inf
            raise DataError(
                "refitting UMAP on the saved training features did not reproduce the saved "
                f"embedding (max difference {worst:.3g}; saved with umap "
                f"{spec.get('umap_version')}); refit the pipeline with this installation",
                path=folder,
            )
        # embedding_ and anomaly_scores_ hold the UMAP sample's rows (the saved ones),
        # labels_ every training row and umap_sample_index_ the sample's rows among them.
        self.embedding_ = saved
        self.umap_sample_index_ = np.asarray(index, dtype=np.int64)
        self._fit_outlier_model(saved)
        own = self.labels_[self.umap_sample_index_]
        self.anomaly_scores_ = self._anomaly(saved, own, training=True)
        return self
