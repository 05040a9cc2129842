"""Attribution maps (SHAP, Integrated Gradients) of classify models, with a faithfulness check."""

from seislearn._lazy import lazy_exports

_EXPORTS = {
    "explain": "api",
    "attribute": "methods",
    "deletion_curve": "faithfulness",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
