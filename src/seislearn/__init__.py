"""seislearn: deep learning on seismic signals.

The package is a library first; the ``seislearn`` command is a thin layer over it.
Heavy dependencies (torch, umap, shap, plotly) are imported lazily inside the
functions that need them, so ``import seislearn`` stays fast.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seislearn")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
