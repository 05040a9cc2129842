"""The ``cluster`` workflow: spectrograms -> convolutional autoencoder -> DEC -> run directory.

:func:`train_cluster` reads a dataset, computes spectrograms
(:mod:`seislearn.workflows.cluster_features`), fits
:class:`~seislearn.clustering.DeepEmbeddedClustering` on the train and dev
splits (dev only early-stops the pretraining; the test split is held out and
only predicted), and writes ``assignments.csv``, ``metrics.json``, figures,
the model and ``report.html``. :func:`predict_cluster` applies a trained run to
new data.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from seislearn.config import StrictModel
from seislearn.data import schema
from seislearn.errors import ConfigError, DataError
from seislearn.workflows.cluster_features import FeatureConfig, SpectrogramSet

log = logging.getLogger(__name__)


class ModelConfig(StrictModel):
    """Autoencoder architecture."""

    channels: list[int] = Field(default_factory=lambda: [8, 16, 32, 64, 128])
    latent_dim: int = Field(9, ge=1)
    nu: float = Field(1.0, gt=0, description="Student-t degrees of freedom")


class TrainingConfig(StrictModel):
    """Pretraining and DEC settings (see :class:`DeepEmbeddedClustering`)."""

    init: Literal["kmeans", "gmm"] = "kmeans"
    n_init: int = Field(20, ge=1)
    batch_size: int = Field(32, ge=1)
    pretrain_epochs: int = Field(100, ge=1)
    pretrain_lr: float = Field(1e-3, gt=0)
    pretrain_noise: float = Field(0.0, ge=0)
    patience: int = Field(10, ge=1)
    n_pretrain: int = Field(
        1,
        ge=1,
        description="autoencoders pretrained; DEC continues from the one whose initial "
        "partition agrees best with the others' (label-free)",
    )
    dec_max_epochs: int = Field(50, ge=1)
    dec_lr: float = Field(1e-4, gt=0)
    update_interval: int = Field(10, ge=1, description="batches between target updates")
    tol: float = Field(0.1, ge=0, description="percent of labels changed to stop")
    recon_weight: float = Field(0.1, ge=0, description="IDEC reconstruction weight")


class ClusterConfig(StrictModel):
    """Configuration of ``seislearn cluster train``."""

    features: FeatureConfig = Field(default_factory=FeatureConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    k_range: list[int] = Field(
        default_factory=lambda: list(range(2, 11)), description="k values scored to choose k"
    )
    embedding_plot: Literal["umap", "pca"] = "umap"
    split_method: Literal["event", "time", "random"] = Field(
        "event", description="how to split when the data has no split column"
    )


def make_estimator(
    n_clusters: int, config: ClusterConfig, seed: int, checkpoint_dir: Path | None, resume: bool
) -> Any:
    """A :class:`DeepEmbeddedClustering` configured from ``config``."""
    from seislearn.clustering import DeepEmbeddedClustering

    t = config.training
    return DeepEmbeddedClustering(
        n_clusters=n_clusters,
        channels=tuple(config.model.channels),
        latent_dim=config.model.latent_dim,
        nu=config.model.nu,
        init=t.init,
        n_init=t.n_init,
        batch_size=t.batch_size,
        pretrain_epochs=t.pretrain_epochs,
        pretrain_lr=t.pretrain_lr,
        pretrain_noise=t.pretrain_noise,
        n_pretrain=t.n_pretrain,
        patience=t.patience,
        dec_max_epochs=t.dec_max_epochs,
        dec_lr=t.dec_lr,
        update_interval=t.update_interval,
        tol=t.tol,
        recon_weight=t.recon_weight,
        seed=seed,
        checkpoint_dir=checkpoint_dir,
        resume=resume,
    )


def _splits(meta: pd.DataFrame, method: str, seed: int) -> np.ndarray:
    from seislearn.data.splits import assign_splits

    if schema.SPLIT in meta.columns and meta[schema.SPLIT].isin(schema.SPLITS).all():
        return meta[schema.SPLIT].astype(str).to_numpy()
    if method == "event" and schema.SOURCE_ID not in meta.columns:
        method = "random"
    return assign_splits(meta, method=method, seed=seed).astype(str).to_numpy()  # type: ignore[arg-type]


def unsupervised_scores(embeddings: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Silhouette and Davies-Bouldin of a clustering (None where fewer than 2 clusters)."""
    from sklearn.metrics import davies_bouldin_score, silhouette_score

    n_found = len(np.unique(labels))
    ok = 2 <= n_found < len(labels)
    return {
        "silhouette": float(
            silhouette_score(embeddings, labels, sample_size=min(len(labels), 5000), random_state=0)
        )
        if ok
        else None,
        "davies_bouldin": float(davies_bouldin_score(embeddings, labels)) if ok else None,
        "n_clusters_found": int(n_found),
    }


def label_scores(truth: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """ACC (Hungarian), NMI, ARI, the mapping and the confusion matrix."""
    from seislearn.evaluation.clustering import clustering_scores, contingency, match_clusters

    table, classes, clusters = contingency(truth, labels)
    return {
        **clustering_scores(truth, labels),
        "mapping": {str(k): v for k, v in match_clusters(truth, labels, "hungarian").items()},
        "confusion_matrix": {
            "classes": [str(c) for c in classes],
            "clusters": [int(c) for c in clusters],
            "counts": table.tolist(),
        },
    }


def evaluate(
    embeddings: np.ndarray,
    labels: np.ndarray,
    q_assigned: np.ndarray | None,
    truth: np.ndarray | None,
    n_clusters: int,
) -> dict[str, Any]:
    """Metrics of one clustering (sizes, unsupervised scores, label scores when given)."""
    sizes = np.bincount(labels, minlength=n_clusters)
    out: dict[str, Any] = {
        "n": len(labels),
        "cluster_sizes": {str(k): int(v) for k, v in enumerate(sizes)},
        "mean_q_assigned": (
            float(np.mean(q_assigned)) if q_assigned is not None and len(q_assigned) else None
        ),
        **unsupervised_scores(embeddings, labels),
    }
    if truth is not None:
        out.update(label_scores(truth, labels))
    return out


def _truth(meta: pd.DataFrame, label_column: str | None, name: str) -> np.ndarray | None:
    if label_column is None:
        return None
    if label_column not in meta.columns:
        raise DataError(
            f"label column {label_column!r} not in the metadata "
            f"(columns: {', '.join(map(str, meta.columns))})",
            path=name,
        )
    values = meta[label_column]
    if values.isna().any():
        bad = str(meta[schema.TRACE_NAME][values.isna()].iloc[0])
        raise DataError(f"label column {label_column!r} is empty", path=name, trace=bad)
    # A numpy unicode array (not pandas' object/string dtype) for the metrics.
    return np.asarray(values.astype(str).tolist(), dtype=str)


def train_cluster(
    data: str | os.PathLike | Any,
    out: str | os.PathLike,
    n_clusters: int,
    config: ClusterConfig | None = None,
    label_column: str | None = None,
    seed: int = 0,
    overwrite: bool = False,
    resume: bool = False,
    format: str = "auto",
    on_error: Literal["raise", "skip"] = "raise",
    features: SpectrogramSet | None = None,
) -> Path:
    """Train CAE + DEC on a dataset and write a run directory.

    Parameters
    ----------
    data : path or WaveformDataset
    out : path, run directory (never overwritten without ``overwrite``)
    n_clusters : int
    config : ClusterConfig
    label_column : str, optional
        Metadata column with known classes, used only to score the clusters.
    seed : int
    overwrite, resume : bool
    format : str, dataset format for a path
    on_error : {"raise", "skip"}
    features : SpectrogramSet, optional
        Precomputed spectrograms (then ``data`` only names the source).

    Returns
    -------
    Path of the run directory.
    """
    import torch

    from seislearn.io import read_dataset
    from seislearn.runs import RunDir
    from seislearn.workflows.cluster_features import compute_spectrograms
    from seislearn.workflows.cluster_report import write_outputs

    cfg = config or ClusterConfig()
    if n_clusters < 2:
        raise ConfigError(f"--n-clusters must be at least 2; got {n_clusters}")
    run = RunDir(out, overwrite=overwrite, resume=resume)
    run.write_config(cfg)
    torch.manual_seed(seed)
    data_path: Path | None = None
    if features is None:
        if isinstance(data, str | os.PathLike):
            data_path = Path(data)
            dataset = read_dataset(data_path, format=format)
        else:
            dataset = data
        with run.timed("features"):
            features = compute_spectrograms(dataset, cfg.features, on_error=on_error)
    meta = features.metadata
    name = str(data_path or getattr(data, "name", "dataset"))
    truth = _truth(meta, label_column, name)
    split = _splits(meta, cfg.split_method, seed)
    fit_mask = split != "test"
    if fit_mask.sum() < n_clusters:
        raise DataError(
            f"only {int(fit_mask.sum())} traces outside the test split for {n_clusters} clusters",
            path=name,
        )
    X = features.spectrograms
    est = make_estimator(n_clusters, cfg, seed, run.checkpoints, resume)
    with run.timed("fit"):
        est.fit(X[fit_mask], dev_mask=split[fit_mask] == "dev")
    est.save(
        run.model_dir,
        extra={
            "features": cfg.features.model_dump(mode="json"),
            "label_column": label_column,
            "sampling_rate": features.sampling_rate,
        },
    )
    with run.timed("predict"):
        write_outputs(run, est, features, split, truth, cfg, seed, n_clusters)
    run.write_manifest(
        "cluster",
        seed=seed,
        data=data_path,
        extra={"n_traces": len(meta), "n_skipped": len(features.skipped), "n_clusters": n_clusters},
    )
    return run.path


def predict_cluster(
    model: str | os.PathLike,
    data: str | os.PathLike,
    out: str | os.PathLike,
    label_column: str | None = None,
    overwrite: bool = False,
    format: str = "auto",
    on_error: Literal["raise", "skip"] = "raise",
) -> Path:
    """Assign the traces of ``data`` to the clusters of a trained run.

    Writes ``assignments.csv`` and ``metrics.json`` into the run directory ``out``.
    """
    from seislearn.clustering import DeepEmbeddedClustering
    from seislearn.io import read_dataset
    from seislearn.runs import RunDir
    from seislearn.workflows.cluster_features import compute_spectrograms

    source = RunDir.open(model)
    est, extra = DeepEmbeddedClustering.load(source.model_dir)
    feature_cfg = FeatureConfig.model_validate(extra.get("features", {}))
    run = RunDir(out, overwrite=overwrite)
    dataset = read_dataset(data, format=format)
    with run.timed("features"):
        features = compute_spectrograms(dataset, feature_cfg, on_error=on_error)
    meta = features.metadata
    truth = _truth(meta, label_column, str(data))
    X = features.spectrograms
    if tuple(X.shape[1:]) != est.input_shape_:
        raise DataError(
            f"spectrograms have shape {tuple(X.shape[1:])} but the model expects "
            f"{est.input_shape_}: is the sampling rate different? set features.target_rate "
            "when training",
            path=data,
        )
    q = est.predict_proba(X)
    labels = q.argmax(axis=1)
    z = est.transform(X)
    table = pd.DataFrame(
        {
            schema.TRACE_NAME: meta[schema.TRACE_NAME].astype(str),
            "cluster": labels,
            "q": q[np.arange(len(q)), labels],
        }
    )
    if truth is not None:
        table[label_column] = truth
    run.write_csv("assignments.csv", table)
    metrics = {
        "model": str(model),
        "skipped": features.skipped,
        "all": evaluate(z, labels, table["q"].to_numpy(), truth, est.n_clusters),
    }
    run.write_json("metrics.json", metrics)
    run.write_manifest("cluster-predict", data=data, extra={"model": str(model)})
    return run.path
