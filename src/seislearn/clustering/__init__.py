"""Clustering at scale, shared by the workflows.

* :mod:`seislearn.clustering.kmeans`: KMeans or MiniBatchKMeans, chosen from the
  number of samples, their dimensions and the memory available
  (:func:`~seislearn.clustering.kmeans.choose_kmeans`, overridable).
* :mod:`seislearn.clustering.umap_sample`: UMAP fitted on a random sample, every
  row embedded by ``transform`` in fixed blocks, with progress
  (:class:`~seislearn.clustering.umap_sample.SampledUMAP`).

Both are plain scikit-learn / umap-learn underneath; this package only decides
which to use and how to feed it, so that 10^6 embeddings cluster in bounded
memory (``benchmarks/scale_clusters.py``).
"""
