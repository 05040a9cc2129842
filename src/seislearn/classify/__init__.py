"""Spectrogram CNNs that classify events or regress a numeric label (magnitude).

``train``, ``train_variants``, ``evaluate`` and ``predict`` are the workflow."""

from seislearn._lazy import lazy_exports

_EXPORTS = {
    "train": "api",
    "train_variants": "api",
    "evaluate": "apply",
    "predict": "apply",
    "load_classifier": "apply",
    "ClassifyConfig": "config",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
