"""Back-azimuth and incidence of P: VAE + triplet + contrastive head, against polarization.

``train``, ``evaluate`` and ``predict`` are the workflow; ``AzimuthConfig`` its settings."""

from seislearn._lazy import lazy_exports

_EXPORTS = {
    "train": "api",
    "evaluate": "api",
    "predict": "api",
    "AzimuthConfig": "config",
    "load_azimuth_config": "config",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
