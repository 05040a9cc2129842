"""Clustering of seismic signals: convolutional autoencoder on spectrograms + Deep Embedded Clustering.

``train_cluster`` and ``predict_cluster`` are the workflow; ``DeepEmbeddedClustering`` the
scikit-learn style estimator behind it."""

from seislearn._lazy import lazy_exports

_EXPORTS = {
    "train_cluster": "api",
    "predict_cluster": "api",
    "ClusterConfig": "config",
    "DeepEmbeddedClustering": "dec",
    "score_k_range": "choose_k",
    "suggest_k": "choose_k",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
