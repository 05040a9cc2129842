"""Seismic image patches: CNN features, UMAP, KMeans, label mapping and anomaly scores."""

from seislearn._lazy import lazy_exports

_EXPORTS = {
    "fit_images": "api",
    "predict_images": "api",
    "ImagesConfig": "api",
    "ImageClusterPipeline": "pipeline",
    "SSLConfig": "ssl",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
