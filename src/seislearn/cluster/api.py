"""The ``cluster`` workflow: spectrograms -> convolutional autoencoder -> DEC -> run directory.

:func:`train_cluster` reads a dataset, computes spectrograms
(:mod:`seislearn.cluster.features`), fits
:class:`~seislearn.cluster.DeepEmbeddedClustering` on the train and dev
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

from seislearn.cluster.config import ClusterConfig, make_estimator
from seislearn.cluster.evaluate import evaluate
from seislearn.cluster.features import FeatureConfig, SpectrogramSet
from seislearn.data import schema
from seislearn.data.identity import message_names, per_trace_table
from seislearn.errors import ConfigError, DataError
from seislearn.progress import Stage
from seislearn.training.trainer import use_config

log = logging.getLogger(__name__)


def _splits(meta: pd.DataFrame, method: str, seed: int) -> np.ndarray:
    from seislearn.data.splits import assign_splits

    if schema.SPLIT in meta.columns and meta[schema.SPLIT].isin(schema.SPLITS).all():
        return meta[schema.SPLIT].astype(str).to_numpy()
    if method == "event" and schema.SOURCE_ID not in meta.columns:
        method = "random"
    return assign_splits(meta, method=method, seed=seed).astype(str).to_numpy()  # type: ignore[arg-type]


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
        bad = str(message_names(meta)[values.isna().to_numpy()][0])
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

    from seislearn.cluster.features import compute_spectrograms
    from seislearn.cluster.report import write_outputs
    from seislearn.io import read_dataset
    from seislearn.runs import RunDir

    cfg = config or ClusterConfig()
    if n_clusters < 2:
        raise ConfigError(f"--n-clusters must be at least 2; got {n_clusters}")
    run = RunDir(out, overwrite=overwrite, resume=resume)
    run.begin(cfg, data=data, arguments={"n_clusters": n_clusters, "seed": seed})
    torch.manual_seed(seed)
    data_path: Path | None = None
    if features is None:
        if isinstance(data, str | os.PathLike):
            data_path = Path(data)
            dataset = read_dataset(data_path, format=format)
        else:
            dataset = data
        if len(dataset) < n_clusters:  # known from the metadata: before any waveform is read
            raise ConfigError(
                f"--n-clusters {n_clusters} is more than the {len(dataset)} traces of "
                f"{getattr(dataset, 'name', data)}"
            )
        with run.timed("features"), Stage(f"spectrograms of {len(dataset)} traces"):
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
    with run.timed("fit"), use_config(cfg.trainer):
        est.fit(X[fit_mask], dev_mask=split[fit_mask] == "dev")
    est.save(
        run.model_dir,
        extra={
            "features": cfg.features.model_dump(mode="json"),
            "label_column": label_column,
            "sampling_rate": features.sampling_rate,
        },
    )
    with run.timed("predict"), Stage("assignments, scores over k, embedding plot, report"):
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
    from seislearn.cluster.dec import DeepEmbeddedClustering
    from seislearn.cluster.features import compute_spectrograms
    from seislearn.io import read_dataset
    from seislearn.runs import RunDir

    source = RunDir.open(model)
    est, extra = DeepEmbeddedClustering.load(source.model_dir)
    feature_cfg = FeatureConfig.model_validate(extra.get("features", {}))
    run = RunDir(out, overwrite=overwrite)
    dataset = read_dataset(data, format=format)
    with run.timed("features"), Stage(f"spectrograms of {len(dataset)} traces"):
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
    table = per_trace_table(meta, {"cluster": labels, "q": q[np.arange(len(q)), labels]})
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
