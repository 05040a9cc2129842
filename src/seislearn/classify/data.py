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
    inputs : ndarray or StoredWindows, float32, (n, C, F, T) spectrograms or (n, C, N)
        windows (a feature-cache store on disk when streamed)
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
    streaming : dict, the in-memory or streamed choice and its reason (waveform data)
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
    streaming: dict[str, Any] = field(default_factory=dict)


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
    choice = choose_classify_streaming(dataset, cfg)
    if choice.stream:
        from seislearn.runs import fingerprint_path

        prep = prepare_waveforms_streamed(
            dataset, cfg, fingerprint_path(data), on_error, class_names, with_targets
        )
    else:
        prep = prepare_waveforms(dataset, cfg, on_error, class_names, with_targets)
    prep.streaming = choice.as_dict()
    return prep, dataset


def choose_classify_streaming(dataset: WaveformDataset, cfg: ClassifyConfig) -> Any:
    """In memory or streamed (:mod:`seislearn.data.memory`) for the inputs of ``dataset``.

    The estimate counts the windows (``n x C x samples x 4`` bytes, the window of
    the variant at the target or the first trace's rate) and, for a spectrogram
    variant, the spectrogram of each window (float32).
    """
    from seislearn.data.memory import choose_streaming_mode

    variant = parse_variant(cfg.variant)
    before = variant.before_s if cfg.before_s is None else cfg.before_s
    after = variant.after_s if cfg.after_s is None else cfg.after_s
    meta = dataset.metadata
    rate = cfg.target_rate
    if rate is None and schema.SAMPLING_RATE in meta.columns and len(meta):
        rate = float(meta[schema.SAMPLING_RATE].iloc[0])
    rate = rate or 100.0
    samples = max(1, round((before + after) * rate))
    channels = len(dataset.component_order or "ZNE")
    feature_bytes = 0
    if variant.preset is not None:
        shape = log_spectrograms(np.zeros((1, channels, samples), np.float32), rate, variant.preset)
        feature_bytes = int(np.prod(shape.shape[1:])) * 4
    return choose_streaming_mode(
        cfg.data, len(dataset), channels, samples, feature_bytes, workflow="classify"
    )


#: Bump when :func:`prepare_waveforms` changes its outputs, so old stores are never read.
INPUT_STORE_VERSION = 1
_POSITION = "_seislearn_position"


def prepare_waveforms_streamed(
    dataset: WaveformDataset,
    cfg: ClassifyConfig,
    fingerprint: str,
    on_error: Literal["raise", "skip"] = "raise",
    class_names: list[str] | None = None,
    with_targets: bool = True,
) -> Prepared:
    """:func:`prepare_waveforms` in bounded memory, through the feature cache.

    The task (classification or regression) is inferred once from the whole
    metadata; then each chunk of ``data.chunk_traces`` traces goes through
    :func:`prepare_waveforms` itself (windows, spectrograms, side inputs, peak
    amplitudes: all per trace) and its inputs are appended to a feature-cache
    store keyed by ``fingerprint`` and every setting that changes them. A later
    command on the same data and settings (``explain`` after ``train``) reads
    the store instead. The metadata of the traces kept is kept in the store
    too; targets are encoded from it over all chunks, as in memory.
    ``inputs`` of the result is a :class:`~seislearn.data.window_store.StoredWindows`.
    """
    import hashlib
    import io

    from seislearn.data.dataset import WaveformDataset
    from seislearn.data.memory import cache_root
    from seislearn.data.window_store import StoredWindows
    from seislearn.features.cache import FeatureCache, cache_key

    meta = dataset.metadata
    if with_targets and cfg.target not in meta.columns:
        raise ConfigError(
            f"--target {cfg.target!r} is not a column of {dataset.name}; columns: "
            + ", ".join(map(str, meta.columns))
        )
    task = (
        infer_task(meta[cfg.target], cfg.task) if cfg.target in meta.columns else "classification"
    )
    chunk_cfg = cfg.model_copy(update={"task": task})
    names_digest = hashlib.sha256(
        "\n".join(meta[schema.TRACE_NAME].astype(str)).encode()
    ).hexdigest()[:16]
    settings = {
        "kind": "classify_inputs",
        "version": INPUT_STORE_VERSION,
        "config": chunk_cfg.model_dump(
            mode="json",
            exclude={"model", "training", "trainer", "data", "seed", "folds", "side_inputs"},
        ),
        # Resolved: a run saves "auto" as the list it chose, and both mean the same inputs.
        "side_inputs": resolve_side_inputs(cfg.side_inputs, task, meta, cfg.anchor, cfg.target),
        "on_error": on_error,
        "traces": names_digest,
    }
    key = cache_key(fingerprint, settings)
    parts: list[Prepared] = []
    skipped: list[str] = []
    size = cfg.data.chunk_traces

    def chunks() -> Any:
        for start in range(0, len(dataset), size):
            positions = np.arange(start, min(start + size, len(dataset)))
            part = dataset.select(positions)
            part_meta = part.metadata.copy()
            part_meta[_POSITION] = positions
            part = WaveformDataset(part_meta, part.loader, part.name)
            try:
                prep = prepare_waveforms(part, chunk_cfg, on_error, None, with_targets=False)
            except DataError as exc:
                if on_error != "skip" or "no window could be cut" not in str(exc):
                    raise
                skipped.append(f"traces {start}-{positions[-1]} of {dataset.name}: {exc.reason}")
                continue
            skipped.extend(prep.skipped)
            parts.append(replace(prep, inputs=np.empty(0), metadata=prep.metadata.iloc[:0]))
            # HDF5 chunks cannot have a zero dimension: a model without side inputs keeps
            # one column of zeros, dropped again on reading ("side": false).
            side = prep.side if prep.side is not None else np.zeros((len(prep.metadata), 1))
            yield (
                prep.inputs.astype(np.float32),
                side.astype(np.float32),
                prep.peak_amplitude.astype(np.float64),
                prep.metadata[_POSITION].to_numpy(np.int64),
                prep.metadata.drop(columns=[_POSITION]),
            )

    metadata_parts: list[pd.DataFrame] = []

    def arrays() -> Any:
        for *values, rows in chunks():
            metadata_parts.append(rows)
            yield tuple(values)

    def extra() -> dict[str, Any]:
        first = parts[0]
        rows = pd.concat(metadata_parts, ignore_index=True)
        return {
            "metadata": rows.to_json(orient="split", date_format="iso", double_precision=15),
            "skipped": skipped,
            "task": task,
            "kind": first.kind,
            "sampling_rate": first.sampling_rate,
            "axes": first.axes,
            "side": first.side is not None,
            "side_inputs": first.side_inputs,
            "side_columns": first.side_columns,
            "truth": first.truth,
        }

    log.info(
        "streaming %s inputs of %s into the feature cache (key %s)", cfg.variant, dataset.name, key
    )
    store = FeatureCache(cache_root(cfg.data)).get_or_build(
        key, arrays(), ("inputs", "side", "peak", "position"), extra=extra
    )
    info = store.extra
    if metadata_parts:  # built now: the metadata as prepared (the store keeps a JSON copy)
        rows = pd.concat(metadata_parts, ignore_index=True)
    else:
        rows = pd.read_json(io.StringIO(info["metadata"]), orient="split", dtype=False)
    _, side, peak, _ = store.read(0, len(store))
    if info.get("truth"):
        from seislearn.data.labels import apply_distance_truth

        # Counts over every trace kept (each chunk saw only its own).
        position = store.read(0, len(store))[3]
        _, distance = apply_distance_truth(
            meta.iloc[position].reset_index(drop=True), cfg.labels, dataset.name
        )
        info["truth"] = {"distance": distance.summary()}
    if with_targets:
        y, names = encode_targets(rows, cfg.target, task, class_names, dataset.name)
    else:
        y, names = np.zeros(len(rows)), list(class_names or [])
    return Prepared(
        StoredWindows(store.path, "inputs"),  # type: ignore[arg-type]
        rows,
        y,
        task,
        names,
        info["kind"],
        float(info["sampling_rate"]),
        np.asarray(peak),
        list(info["skipped"]),
        {k: list(v) for k, v in info["axes"].items()},
        np.asarray(side, np.float32) if info["side"] else None,
        list(info["side_inputs"]),
        list(info["side_columns"]),
        info.get("truth") or {},
    )


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
