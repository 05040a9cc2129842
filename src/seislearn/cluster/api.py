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
from seislearn.data.memory import DataConfig, StreamingChoice
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

    from seislearn.cluster.report import write_outputs
    from seislearn.cluster.streamed import model_input
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
            features, streaming = load_spectrograms(
                dataset, cfg.features, cfg.data, data_path, on_error
            )
    else:
        streaming = {"mode": "memory", "setting": "given", "reason": "features given"}
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
    est = make_estimator(n_clusters, cfg, seed, run.checkpoints, resume)
    with run.timed("fit"), use_config(cfg.trainer):
        # In memory the array of the fit split; streamed a torch dataset over the store.
        est.fit(model_input(features.spectrograms, fit_mask), dev_mask=split[fit_mask] == "dev")
    est.save(
        run.model_dir,
        extra={
            "features": cfg.features.model_dump(mode="json"),
            "data": cfg.data.model_dump(mode="json"),
            "label_column": label_column,
            "sampling_rate": features.sampling_rate,
        },
    )
    with run.timed("predict"), Stage("assignments, scores over k, embedding plot, report"):
        write_outputs(run, est, features, split, truth, cfg, seed, n_clusters, streaming)
    run.write_manifest(
        "cluster",
        seed=seed,
        data=data_path,
        extra={
            "n_traces": len(meta),
            "n_skipped": len(features.skipped),
            "n_clusters": n_clusters,
            "data_streaming": streaming,
        },
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
    data_config: DataConfig | None = None,
) -> Path:
    """Assign the traces of ``data`` to the clusters of a trained run.

    Writes ``assignments.csv`` and ``metrics.json`` into the run directory ``out``.
    The spectrograms are computed in memory or streamed through the feature cache
    as :func:`load_spectrograms` chooses (``data_config``: the ``data`` section,
    default the trained run's; ``--streaming`` wins).
    """
    from seislearn.cluster.dec import DeepEmbeddedClustering
    from seislearn.cluster.streamed import model_input
    from seislearn.io import read_dataset
    from seislearn.runs import RunDir

    source = RunDir.open(model)
    est, extra = DeepEmbeddedClustering.load(source.model_dir)
    feature_cfg = FeatureConfig.model_validate(extra.get("features", {}))
    if data_config is None:
        data_config = DataConfig.model_validate(extra.get("data", {}))
    run = RunDir(out, overwrite=overwrite)
    dataset = read_dataset(data, format=format)
    with run.timed("features"), Stage(f"spectrograms of {len(dataset)} traces"):
        features, streaming = load_spectrograms(
            dataset, feature_cfg, data_config, Path(data), on_error
        )
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
    inputs = model_input(X)
    q = est.predict_proba(inputs)
    labels = q.argmax(axis=1)
    z = est.transform(inputs)
    table = per_trace_table(meta, {"cluster": labels, "q": q[np.arange(len(q)), labels]})
    if truth is not None:
        table[label_column] = truth
    run.write_csv("assignments.csv", table)
    metrics = {
        "model": str(model),
        "skipped": features.skipped,
        "data_streaming": streaming,
        "all": evaluate(z, labels, table["q"].to_numpy(), truth, est.n_clusters),
    }
    run.write_json("metrics.json", metrics)
    run.write_manifest(
        "cluster-predict", data=data, extra={"model": str(model), "data_streaming": streaming}
    )
    return run.path


def choose_cluster_streaming(
    dataset: Any, features: FeatureConfig, data: DataConfig | None = None
) -> StreamingChoice:
    """In memory or streamed (:mod:`seislearn.data.memory`) for the spectrograms of ``dataset``.

    The estimate counts the filtered windows (``n x C x length_s x rate x 4``
    bytes, at the target rate or the first trace's) and their float32
    spectrograms (``C x F x T x 4`` bytes each), both of which the in-memory
    path holds.
    """
    from seislearn.cluster.features import spectrogram_shape
    from seislearn.data.memory import choose_streaming_mode

    meta = dataset.metadata
    rate = features.target_rate
    if rate is None and schema.SAMPLING_RATE in meta.columns and len(meta):
        rate = float(meta[schema.SAMPLING_RATE].iloc[0])
    samples = max(1, round(features.length_s * float(rate or 100.0)))
    channels, n_freq, n_time = spectrogram_shape(dataset, features)
    return choose_streaming_mode(
        data,
        len(dataset),
        channels,
        samples,
        channels * n_freq * n_time * 4,
        workflow="cluster",
    )


def load_spectrograms(
    dataset: Any,
    features: FeatureConfig,
    data: DataConfig | None,
    path: Path | None,
    on_error: Literal["raise", "skip"] = "raise",
) -> tuple[SpectrogramSet, dict[str, Any]]:
    """The spectrograms of ``dataset``, in memory or streamed into the feature cache.

    Parameters
    ----------
    dataset : WaveformDataset
    features : FeatureConfig
    data : DataConfig or None
        The ``data`` section (streaming setting, chunk size, cache folder).
    path : Path or None
        Where ``dataset`` was read from (its fingerprint keys the store); None for
        a dataset built in memory (then a streamed store is never reused).
    on_error : {"raise", "skip"}

    Returns
    -------
    The :class:`SpectrogramSet` (stored arrays when streamed) and the choice as
    recorded in ``metrics.json`` (``data_streaming``).
    """
    from seislearn.cluster.features import compute_spectrograms, compute_spectrograms_streamed

    data = data or DataConfig()
    choice = choose_cluster_streaming(dataset, features, data)
    if choice.stream:
        if path is not None:
            from seislearn.runs import fingerprint_path

            fingerprint = fingerprint_path(path)
        else:
            import uuid

            fingerprint = f"in-memory dataset {uuid.uuid4()}"
        got = compute_spectrograms_streamed(
            dataset, features, fingerprint, on_error, data.chunk_traces, data.cache_dir
        )
    else:
        got = compute_spectrograms(dataset, features, on_error=on_error)
    return got, choice.as_dict()
