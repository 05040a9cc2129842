"""Deep clustering: autoencoder + DEC estimator, and the choice of the number of clusters."""

from __future__ import annotations

from seislearn.clustering.dec import DeepEmbeddedClustering

__all__ = ["DeepEmbeddedClustering"]
