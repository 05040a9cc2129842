"""Prepared inputs of the classify workflow: arrays, labels and metadata, before scaling."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from seislearn.classify.config import ClassifyConfig
from seislearn.classify.features import (
    log_spectrograms,
    parse_variant,
    resolve_side_inputs,
    side_input_values,
    waveform_windows,
)
from seislearn.data import schema
from seislearn.data.identity import message_names
from seislearn.data.labels import apply_distance_truth
from seislearn.errors import ConfigError, DataError

if TYPE_CHECKING:
    from seislearn.data.dataset import WaveformDataset

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    """Model inputs and targets of one dataset.

    Attributes
    ----------
    inputs : ndarray, float32, (n, C, F, T) spectrograms or (n, C, N) windows
    metadata : DataFrame, one row per input (traces that could not be used are left out)
    y : ndarray, class indices (int) or values (float)
    task : {"classification", "regression"}
    class_names : list of str (empty for regression)
    kind : {"spectrogram", "waveform"}, the CNN that takes these inputs
    sampling_rate : float, Hz, of the windows (NaN for image folders)
    peak_amplitude : ndarray, (n,), peak absolute amplitude of each window (NaN for images)
    skipped : list of str, one message per trace left out
    axes : dict, ``frequencies_hz`` and ``times_s`` of spectrogram pixels (when known)
    side : ndarray, float32, (n, k), unscaled side inputs; ``None`` when the model takes none
    side_inputs : list of str, the side inputs used (config names, e.g. ``log_sp_time``)
    side_columns : list of str, one name per column of ``side`` (e.g. ``log10_peak_Z``)
    truth : dict, the source of the distance truth and its counts (see
        :mod:`seislearn.data.labels`) when a distance is used, else empty
    """

    inputs: np.ndarray
    metadata: pd.DataFrame
    y: np.ndarray
    task: Literal["classification", "regression"]
    class_names: list[str]
    kind: Literal["spectrogram", "waveform"]
    sampling_rate: float
    peak_amplitude: np.ndarray
    skipped: list[str] = field(default_factory=list)
    axes: dict[str, list[float]] = field(default_factory=dict)
    side: np.ndarray | None = None
    side_inputs: list[str] = field(default_factory=list)
    side_columns: list[str] = field(default_factory=list)
    truth: dict[str, Any] = field(default_factory=dict)


def infer_task(values: pd.Series, task: str) -> Literal["classification", "regression"]:
    """``auto``: regression for numbers with more than 10 distinct values, else classification."""
    if task != "auto":
        return task  # type: ignore[return-value]
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    return "regression" if numeric and values.nunique() > 10 else "classification"


def encode_targets(
    metadata: pd.DataFrame,
    target: str,
    task: Literal["classification", "regression"],
    class_names: list[str] | None = None,
    source: str = "",
) -> tuple[np.ndarray, list[str]]:
    """Class indices (with the sorted class names) or float values of ``target``.

    Raises
    ------
    DataError
        If the column is missing, a value is missing, a value is not numeric
        (regression), or a class is unknown to a trained model.
    """
    if target not in metadata.columns:
        raise DataError(
            f"no column {target!r} to predict; columns: {', '.join(map(str, metadata.columns))}",
            path=source or None,
        )
    values = metadata[target]
    missing = values.isna().to_numpy()
    if missing.any():
        trace = str(message_names(metadata)[int(np.argmax(missing))])
        raise DataError(
            f"{int(missing.sum())} traces have no {target!r} value (first shown)",
            path=source or None,
            trace=trace,
        )
    if task == "regression":
        numbers = pd.to_numeric(values, errors="coerce")
        bad = numbers.isna().to_numpy()
        if bad.any():
            trace = str(message_names(metadata)[int(np.argmax(bad))])
            raise DataError(
                f"{target!r} value {values.iloc[int(np.argmax(bad))]!r} is not a number",
                path=source or None,
                trace=trace,
            )
        return numbers.to_numpy(dtype=np.float32), []
    labels = values.astype(str)
    names = class_names if class_names is not None else sorted(labels.unique().tolist())
    index = {name: k for k, name in enumerate(names)}
    unknown = ~labels.isin(list(index)).to_numpy()
    if unknown.any():
        i = int(np.argmax(unknown))
        raise DataError(
            f"class {labels.iloc[i]!r} is unknown to the model (classes: {names})",
            path=source or None,
            trace=str(message_names(metadata)[i]),
        )
    return labels.map(index).to_numpy(dtype=np.int64), list(names)


def prepare_waveforms(
    dataset: WaveformDataset,
    cfg: ClassifyConfig,
    on_error: Literal["raise", "skip"] = "raise",
    class_names: list[str] | None = None,
    with_targets: bool = True,
) -> Prepared:
    """Windows (and spectrograms) of a waveform dataset for ``cfg.variant``."""
    from seislearn.features.spectrogram import frequencies, get_preset, times

    if with_targets and cfg.target not in dataset.metadata.columns:
        # Known from the metadata: said before any waveform is read.
        raise ConfigError(
            f"--target {cfg.target!r} is not a column of {dataset.name}; columns: "
            + ", ".join(map(str, dataset.metadata.columns))
        )
    variant = parse_variant(cfg.variant)
    variant = replace(
        variant,
        before_s=variant.before_s if cfg.before_s is None else cfg.before_s,
        after_s=variant.after_s if cfg.after_s is None else cfg.after_s,
    )
    kind: Literal["spectrogram", "waveform"] = (
        "waveform" if variant.preset is None else "spectrogram"
    )
    normalize = cfg.normalize or ("std" if kind == "waveform" else None)

    def cut(norm: Literal["peak", "std"] | None) -> tuple[np.ndarray, pd.DataFrame, list, float]:
        return waveform_windows(
            dataset,
            variant,
            anchor=cfg.anchor,
            target_rate=cfg.target_rate,
            freqmin=cfg.freqmin,
            freqmax=cfg.freqmax,
            normalize=norm,
            on_error=on_error,
        )

    windows, meta, skipped, sr = cut(normalize)
    task = (
        infer_task(meta[cfg.target], cfg.task) if cfg.target in meta.columns else "classification"
    )
    side_names = resolve_side_inputs(cfg.side_inputs, task, meta, cfg.anchor, cfg.target)
    truth: dict[str, Any] = {}
    if task == "regression" or "log_distance" in side_names or cfg.target == schema.EP_DISTANCE:
        # The distance feeds a side input, the baselines or the target: the truth policy's.
        meta, distance = apply_distance_truth(meta, cfg.labels, dataset.name)
        truth["distance"] = distance.summary()
    raw = windows
    if normalize is not None and (task == "regression" or "log_peak_amplitude" in side_names):
        # Amplitudes (side inputs, the amplitude baseline) are measured before normalization.
        raw, raw_meta, _, _ = cut(None)
        if not raw_meta[schema.TRACE_NAME].equals(meta[schema.TRACE_NAME]):
            raise DataError("raw and normalized windows differ in traces", path=dataset.name)
    side: np.ndarray | None = None
    side_columns: list[str] = []
    if side_names:
        side, side_columns, ok = side_input_values(
            side_names, raw, meta, dataset.component_order, dataset.name
        )
        if not ok.all():
            traces = message_names(meta)[~ok]
            message = (
                f"no finite side inputs {side_names} "
                "(missing or S before P pick, or a window of zeros?)"
            )
            if on_error == "raise":
                raise DataError(
                    f"{len(traces)} traces have {message}; fix the picks, drop the side "
                    "input or use on_error=skip (first trace shown)",
                    path=dataset.name,
                    trace=traces[0],
                )
            skipped = [*skipped, *(f"{t}: {message}" for t in traces)]
            windows, raw, side = windows[ok], raw[ok], side[ok]
            meta = meta.loc[ok].reset_index(drop=True)
            if not len(meta):
                raise DataError(f"no trace has {message}", path=dataset.name)
    if with_targets:
        y, names = encode_targets(meta, cfg.target, task, class_names, dataset.name)
    else:
        y, names = np.zeros(len(meta)), list(class_names or [])
    peak = np.abs(raw).max(axis=(1, 2))
    axes: dict[str, list[float]] = {}
    if variant.preset is not None:
        inputs = log_spectrograms(windows, sr, variant.preset)
        preset = get_preset(variant.preset)
        axes = {
            "frequencies_hz": frequencies(preset, sr).tolist(),
            "times_s": (times(preset, windows.shape[-1], sr) - variant.before_s).tolist(),
        }
    else:
        inputs = windows
        axes = {"times_s": (np.arange(windows.shape[-1]) / sr - variant.before_s).tolist()}
    return Prepared(
        inputs,
        meta,
        y,
        task,
        names,
        kind,
        sr,
        peak,
        skipped,
        axes,
        side,
        side_names,
        side_columns,
        truth,
    )


def prepare_images(
    path: str | Path,
    cfg: ClassifyConfig,
    on_error: Literal["raise", "skip"] = "raise",
    class_names: list[str] | None = None,
    with_targets: bool = True,
) -> Prepared:
    """Spectrogram PNG folder (one subfolder per class) as classification inputs."""
    from seislearn.features.images import read_image_folder

    folder = read_image_folder(path, on_error=on_error)
    meta = folder.metadata
    if cfg.target not in ("label", "source_type") and cfg.target not in meta.columns:
        raise ConfigError(
            f"image folders hold class labels only; use target=label (got {cfg.target!r})"
        )
    if cfg.side_inputs not in ("auto", []):
        raise ConfigError(
            f"image folders carry no amplitudes, picks or distances; side_inputs "
            f"{cfg.side_inputs} need a waveform dataset"
        )
    if with_targets:
        y, names = encode_targets(meta, "label", "classification", class_names, str(path))
    else:
        y, names = np.zeros(len(meta)), list(class_names or [])
    nan = np.full(len(meta), np.nan)
    return Prepared(
        folder.images,
        meta,
        y,
        "classification",
        names,
        "spectrogram",
        float("nan"),
        nan,
        list(meta.attrs.get("skipped", [])),
    )


def load_inputs(
    data: str | Path,
    cfg: ClassifyConfig,
    data_format: str = "auto",
    on_error: Literal["raise", "skip"] = "raise",
    class_names: list[str] | None = None,
    with_targets: bool = True,
) -> tuple[Prepared, WaveformDataset | None]:
    """Read ``data`` (a waveform dataset or a PNG image folder) and prepare its inputs."""
    from seislearn.features.images import is_image_folder
    from seislearn.io import read_dataset

    if data_format in ("auto", "images") and is_image_folder(data):
        return prepare_images(data, cfg, on_error, class_names, with_targets), None
    dataset = read_dataset(data, format=data_format)
    return prepare_waveforms(dataset, cfg, on_error, class_names, with_targets), dataset


def describe(prep: Prepared) -> dict[str, Any]:
    """Short summary for manifests and reports."""
    return {
        "n": len(prep.y),
        "input_shape": list(prep.inputs.shape[1:]),
        "task": prep.task,
        "kind": prep.kind,
        "classes": prep.class_names,
        "sampling_rate_hz": prep.sampling_rate,
        "skipped": len(prep.skipped),
        "side_inputs": prep.side_columns,
    }
