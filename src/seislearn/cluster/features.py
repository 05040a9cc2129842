"""Spectrogram features of the ``cluster`` workflow: window, filter, STFT, scale.

One :class:`FeatureConfig` describes the whole chain, as used for real data
(zClust-like): bandpass and optional resampling (:class:`~seislearn.data.windows.Preprocess`),
a fixed-length window starting some seconds before the P pick
(:func:`~seislearn.data.windows.extract_windows`), an STFT with a Hann or
Kaiser window, linear or log power, a frequency crop
(:func:`~seislearn.features.spectrogram.spectrogram`) and a per-sample scaling.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from seislearn.config import StrictModel, check_order
from seislearn.data import schema
from seislearn.data.dataset import WaveformDataset
from seislearn.data.identity import message_names
from seislearn.data.window_store import WindowsLike
from seislearn.errors import ConfigError, DataError

log = logging.getLogger(__name__)

_WINDOW_START = "_cluster_window_start_sample"


class FeatureConfig(StrictModel):
    """Preprocessing and STFT settings (seconds, Hz, samples as named)."""

    components: str = Field("Z", description="components used, from ZNE (e.g. Z or ZNE)")
    phase: Literal["P", "S"] = "P"
    start_s: float = Field(-2.0, description="window start relative to the pick, seconds")
    length_s: float = Field(20.0, gt=0, description="window length, seconds")
    missing_pick_start_s: float | None = Field(
        None,
        description="traces without a pick: window start after the trace start, seconds "
        "(None = such a trace is an error, or skipped with --on-error skip)",
    )
    freqmin: float | None = Field(1.0, description="bandpass low corner, Hz")
    freqmax: float | None = Field(20.0, description="bandpass high corner, Hz")
    corners: int = Field(4, ge=1, description="Butterworth order")
    target_rate: float | None = Field(None, description="resample to this rate, Hz")
    taper_fraction: float = 0.05
    max_constant_s: float | None = Field(
        None,
        gt=0,
        description="quality screen, seconds: a window whose raw samples (before filtering) "
        "hold one value for longer than this in a used component (a zero-filled gap, a dead "
        "channel, padding past the trace end) is an error, or skipped and listed with "
        "--on-error skip; None = no screen",
    )
    nperseg: int = Field(128, ge=4, description="STFT segment length, samples")
    noverlap: int | None = Field(None, description="samples shared by segments (default half)")
    nfft: int | None = Field(None, description="FFT length (default: next power of 2 >= nperseg)")
    stft_window: Literal["hann", "kaiser"] = "hann"
    kaiser_beta: float = Field(1.8 * math.pi, description="beta of the Kaiser window")
    power: Literal["log", "linear"] = "log"
    fmin: float | None = Field(1.0, description="keep frequencies >= fmin, Hz")
    fmax: float | None = Field(20.0, description="keep frequencies <= fmax, Hz")
    background: Literal["none", "median", "quantile", "leading"] = Field(
        "none",
        description="reference spectrum removed per frequency (subtracted from log power, "
        "divided out of linear power): none; median over the window (the station's "
        "background); the background_quantile over the window (a noise floor that stays "
        "put when an event fills more than half of the window); or mean of the leading "
        "background_s seconds (pre-event noise when the window starts before the pick: a "
        "signal-to-noise spectrogram)",
    )
    background_quantile: float = Field(
        0.2, gt=0, lt=1, description="quantile over time for background 'quantile'"
    )
    background_s: float = Field(3.0, gt=0, description="leading seconds for 'leading'")
    scale: Literal["maxabs", "minmax", "none"] = Field(
        "minmax", description="per-sample scaling: max-abs, min-max to [0, 1], or none"
    )

    @model_validator(mode="after")
    def _possible(self) -> FeatureConfig:
        if (
            not self.components
            or any(c not in "ZNE" for c in self.components)
            or len(set(self.components)) != len(self.components)
        ):
            raise ValueError(
                f"features.components {self.components!r} must be letters of ZNE, each once"
            )
        check_order(self.freqmin, self.freqmax, "features.freqmin", "features.freqmax")
        check_order(self.fmin, self.fmax, "features.fmin", "features.fmax")
        if self.noverlap is not None and not 0 <= self.noverlap < self.nperseg:
            raise ValueError(
                f"features.noverlap ({self.noverlap}) must be at least 0 and below "
                f"features.nperseg ({self.nperseg})"
            )
        if self.nfft is not None and self.nfft < self.nperseg:
            raise ValueError(
                f"features.nfft ({self.nfft}) must be at least features.nperseg "
                f"({self.nperseg}): a shorter FFT would use only {self.nfft} of its samples"
            )
        if self.target_rate is not None:
            check_order(self.freqmax, self.target_rate / 2, "features.freqmax", "Nyquist")
            samples = round(self.length_s * self.target_rate)
            if self.nperseg > samples:
                raise ValueError(
                    f"features.nperseg ({self.nperseg}) is longer than the window "
                    f"(features.length_s {self.length_s:g} s = {samples} samples)"
                )
        return self

    def spectrogram_config(self):  # -> SpectrogramConfig (import kept lazy)
        """The :class:`~seislearn.features.spectrogram.SpectrogramConfig` of these settings."""
        from seislearn.features.spectrogram import SpectrogramConfig

        window = "hann" if self.stft_window == "hann" else ("kaiser", self.kaiser_beta)
        nfft = self.nfft or 1 << (self.nperseg - 1).bit_length()
        return SpectrogramConfig(
            nperseg=self.nperseg,
            noverlap=self.noverlap,
            nfft=nfft,
            window=window,
            log=self.power == "log",
            fmin=self.fmin,
            fmax=self.fmax,
        )


@dataclass
class SpectrogramSet:
    """Spectrograms of a dataset and what was kept.

    Attributes
    ----------
    spectrograms : ndarray, float32, shape (n, C, F, T), scaled per sample; a
        :class:`~seislearn.data.window_store.StoredWindows` (on disk, read on
        demand) when computed by :func:`compute_spectrograms_streamed`
    windows : ndarray, float32, shape (n, C, L), the filtered waveform windows
        (stored windows too when streamed)
    metadata : DataFrame, the rows kept (original columns)
    skipped : list of str, one message per trace left out
    sampling_rate : float, Hz, of the windows
    frequencies : ndarray, Hz, rows of the spectrograms
    times : ndarray, seconds from the window start, columns of the spectrograms
    """

    spectrograms: WindowsLike
    windows: WindowsLike
    metadata: pd.DataFrame
    skipped: list[str]
    sampling_rate: float
    frequencies: np.ndarray
    times: np.ndarray


def _component_check(meta: pd.DataFrame, components: str, name: str) -> list[tuple[int, DataError]]:
    """Rows lacking a requested component (zeroed channels must not pass as signal)."""
    bad: list[tuple[int, DataError]] = []
    if schema.AVAILABLE_COMPONENTS not in meta.columns:
        return bad
    for i, avail in enumerate(meta[schema.AVAILABLE_COMPONENTS].astype(str)):
        missing = [c for c in components if c not in avail]
        if missing:
            error = DataError(
                f"component(s) {''.join(missing)} not recorded (available: {avail}); "
                "use components: Z or --on-error skip",
                path=name,
                trace=str(message_names(meta)[i]),
            )
            bad.append((i, error))
    return bad


def scale_spectrograms(spec: np.ndarray, scale: str) -> np.ndarray:
    """Scale each sample ``(C, F, T)`` alone: ``maxabs`` divides by the peak |value|, ``minmax`` maps to [0, 1]."""
    if scale == "none":
        return spec
    flat = spec.reshape(len(spec), -1)
    if scale == "maxabs":
        peak = np.abs(flat).max(axis=1)
        out = flat / np.where(peak > 0, peak, 1.0)[:, None]
    elif scale == "minmax":
        lo, hi = flat.min(axis=1), flat.max(axis=1)
        out = (flat - lo[:, None]) / np.where(hi > lo, hi - lo, 1.0)[:, None]
    else:
        raise ValueError(f"unknown scale {scale!r}")
    return out.reshape(spec.shape).astype(np.float32)


def _check_window_fits(cfg: FeatureConfig, meta: pd.DataFrame, name: str) -> None:
    """The settings that depend on the data's rate, checked from the metadata alone."""
    from seislearn.config import check_band_below_nyquist

    if schema.SAMPLING_RATE not in meta.columns:
        return
    rates = pd.to_numeric(meta[schema.SAMPLING_RATE], errors="coerce").dropna()
    rates = rates[rates > 0]
    if rates.empty:
        return
    rate = float(cfg.target_rate or rates.min())
    check_band_below_nyquist(
        cfg.freqmin, cfg.freqmax, min(rate, float(rates.min())), name,
        ("features.freqmin", "features.freqmax"),
    )  # fmt: skip
    samples = round(cfg.length_s * rate)
    if cfg.nperseg > samples:
        raise ConfigError(
            f"features.nperseg ({cfg.nperseg}) is longer than the window: features.length_s "
            f"{cfg.length_s:g} s at {rate:g} Hz is {samples} samples ({name})"
        )


def _empty_set(meta: pd.DataFrame, cfg: FeatureConfig, skipped: list[str]) -> SpectrogramSet:
    """The set of a chunk whose every trace was skipped."""
    empty = np.zeros((0, len(cfg.components), 0, 0), np.float32)
    return SpectrogramSet(
        empty, np.zeros((0, len(cfg.components), 0), np.float32), meta.iloc[:0].drop(columns=[_WINDOW_START]), skipped,
        float(cfg.target_rate or 0.0), np.zeros(0), np.zeros(0),
    )  # fmt: skip


def compute_spectrograms(
    dataset: WaveformDataset,
    config: FeatureConfig | None = None,
    on_error: Literal["raise", "skip"] = "raise",
    allow_empty: bool = False,
) -> SpectrogramSet:
    """Window, filter and transform every trace of ``dataset``.

    Parameters
    ----------
    dataset : WaveformDataset, ZNE waveforms with P (or S) picks
    config : FeatureConfig
    on_error : {"raise", "skip"}
        A trace without the pick (and no ``missing_pick_start_s``), lacking a
        requested component, or with a bad waveform raises :class:`DataError`
        naming it, or is skipped and listed.
    allow_empty : bool
        With ``on_error="skip"``, a dataset whose every trace is skipped gives an
        empty set (the skipped listed) instead of a :class:`DataError` (a chunk of
        :func:`compute_spectrograms_streamed`).

    Returns
    -------
    SpectrogramSet
    """
    from seislearn.data.windows import Preprocess, extract_windows
    from seislearn.features.spectrogram import frequencies, spectrogram, times

    cfg = config or FeatureConfig()
    unknown = set(cfg.components) - set(dataset.component_order)
    if not cfg.components or unknown:
        raise ConfigError(
            f"features.components = {cfg.components!r}, but {dataset.name} holds the components "
            f"{dataset.component_order}"
        )
    meta = dataset.metadata.copy()
    _check_window_fits(cfg, meta, dataset.name)
    if schema.SAMPLING_RATE not in meta.columns:
        raise DataError("dataset has no sampling rate column", path=dataset.name)
    pick_col = schema.P_ARRIVAL if cfg.phase == "P" else schema.S_ARRIVAL
    picks = (
        meta[pick_col].astype(float).to_numpy() if pick_col in meta else np.full(len(meta), np.nan)
    )
    sr = meta[schema.SAMPLING_RATE].astype(float).to_numpy()
    start = picks + cfg.start_s * sr
    if cfg.missing_pick_start_s is not None:
        start = np.where(np.isfinite(picks), start, cfg.missing_pick_start_s * sr)
    meta[_WINDOW_START] = start
    skipped: list[str] = []
    bad = _component_check(meta, cfg.components, dataset.name)
    if bad:
        if on_error == "raise":
            raise bad[0][1]
        skipped += [str(error) for _, error in bad]
        meta = meta.drop(index=[i for i, _ in bad]).reset_index(drop=True)
        if meta.empty and allow_empty:
            return _empty_set(meta, cfg, skipped)
    # extract_windows cuts around the P column: point it at the window start.
    shifted = meta.copy()
    shifted[schema.P_ARRIVAL] = shifted[_WINDOW_START]
    view = WaveformDataset(shifted, dataset.loader, dataset.name, dataset.component_order)
    rates = set(shifted[schema.SAMPLING_RATE].astype(float))
    pre = Preprocess(
        sampling_rate=float(next(iter(rates))),
        target_rate=cfg.target_rate,
        freqmin=cfg.freqmin,
        freqmax=cfg.freqmax,
        corners=cfg.corners,
        taper_fraction=cfg.taper_fraction,
    )
    idx = ["ZNE".index(c) for c in cfg.components]
    windows, rows, more = extract_windows(
        view,
        "P",
        before_s=0.0,
        after_s=cfg.length_s,
        preprocess=pre,
        on_error=on_error,
        max_constant_s=cfg.max_constant_s,
        constant_channels=idx,
        components=cfg.components,
        check_pick=False,  # the column holds the window start, which may precede the trace
        allow_empty=allow_empty,
    )
    skipped += more
    if len(windows) == 0:  # allow_empty: every trace was skipped
        return _empty_set(meta, cfg, skipped)
    kept = meta.set_index(schema.TRACE_NAME).loc[rows[schema.TRACE_NAME]].reset_index()
    kept = kept.drop(columns=[_WINDOW_START])
    out_rate = cfg.target_rate or float(rows[schema.SAMPLING_RATE].iloc[0])
    if len(set(rows[schema.SAMPLING_RATE].astype(float))) > 1 and cfg.target_rate is None:
        raise DataError(
            "traces have different sampling rates; set features.target_rate", path=dataset.name
        )
    windows = np.ascontiguousarray(windows[:, idx])
    scfg = cfg.spectrogram_config()
    spec = spectrogram(windows, out_rate, scfg).numpy()
    if spec.shape[-2] == 0:
        raise DataError(
            f"no STFT frequency lies in [{cfg.fmin}, {cfg.fmax}] Hz at {out_rate} Hz",
            path=dataset.name,
        )
    if cfg.background != "none":
        if cfg.background == "median":
            background = np.median(spec, axis=-1, keepdims=True)
        elif cfg.background == "quantile":
            background = np.quantile(spec, cfg.background_quantile, axis=-1, keepdims=True)
        else:
            t = times(scfg, windows.shape[-1], out_rate)
            lead = t + scfg.nperseg / 2 / out_rate <= cfg.background_s
            if not lead.any():
                raise DataError(
                    f"background_s = {cfg.background_s} s is shorter than one STFT segment",
                    path=dataset.name,
                )
            background = spec[..., lead].mean(axis=-1, keepdims=True)
        if cfg.power == "log":
            spec = spec - background
        else:
            spec = spec / np.maximum(background, np.finfo(np.float32).tiny)
    return SpectrogramSet(
        spectrograms=scale_spectrograms(spec, cfg.scale),
        windows=windows,
        metadata=kept,
        skipped=skipped,
        sampling_rate=out_rate,
        frequencies=frequencies(scfg, out_rate),
        times=times(scfg, windows.shape[-1], out_rate),
    )


#: Bump when :func:`compute_spectrograms` changes its outputs, so old stores are never read.
SPECTROGRAM_STORE_VERSION = 1
_POSITION = "_cluster_position"


def spectrogram_shape(dataset: WaveformDataset, config: FeatureConfig) -> tuple[int, int, int]:
    """Shape ``(C, F, T)`` of one spectrogram of ``dataset`` under ``config``, from the
    metadata alone (the target rate, else the first trace's rate; 100 Hz without one)."""
    from seislearn.features.spectrogram import frequencies, times

    meta = dataset.metadata
    rate = config.target_rate
    if rate is None and schema.SAMPLING_RATE in meta.columns and len(meta):
        rate = float(meta[schema.SAMPLING_RATE].iloc[0])
    rate = float(rate or 100.0)
    scfg = config.spectrogram_config()
    samples = max(round(config.length_s * rate), scfg.nperseg)
    return (
        len(config.components),
        len(frequencies(scfg, rate)),
        len(times(scfg, samples, rate)),
    )


def compute_spectrograms_streamed(
    dataset: WaveformDataset,
    config: FeatureConfig,
    fingerprint: str,
    on_error: Literal["raise", "skip"] = "raise",
    chunk_traces: int = 2048,
    cache_dir: str | None = None,
) -> SpectrogramSet:
    """:func:`compute_spectrograms` in bounded memory, through the feature cache.

    Every chunk of ``chunk_traces`` traces goes through :func:`compute_spectrograms`
    itself (window, filter, STFT, background and scaling are all per trace, so
    the values are those of the in-memory path) and is appended to a
    feature-cache store (:mod:`seislearn.features.cache`) keyed by
    ``fingerprint``, the feature settings, ``on_error`` and the trace names; a
    later command on the same data and settings (``cluster predict`` after
    ``train``) reads the store instead. A bad trace raises its per-trace
    :class:`DataError` or is skipped and listed, as in memory.

    Parameters
    ----------
    dataset : WaveformDataset
    config : FeatureConfig
    fingerprint : str
        Of the data (:func:`seislearn.runs.fingerprint_path`).
    on_error : {"raise", "skip"}
    chunk_traces : int
        Traces read and transformed at once (``data.chunk_traces``).
    cache_dir : str, optional
        Folder of the stores (``data.cache_dir``; default
        :func:`seislearn.data.memory.cache_root`).

    Returns
    -------
    SpectrogramSet whose ``spectrograms`` and ``windows`` are
    :class:`~seislearn.data.window_store.StoredWindows` (read on demand).
    """
    import hashlib

    from seislearn.data.memory import DataConfig, cache_root
    from seislearn.data.window_store import StoredWindows
    from seislearn.features.cache import FeatureCache, cache_key

    meta = dataset.metadata
    _check_window_fits(config, meta, dataset.name)
    names = "\n".join(meta[schema.TRACE_NAME].astype(str)) if len(meta) else ""
    settings = {
        "kind": "cluster_spectrograms",
        "version": SPECTROGRAM_STORE_VERSION,
        "features": config.model_dump(mode="json"),
        "on_error": on_error,
        "n_traces": len(meta),
        "trace_names": hashlib.sha256(names.encode()).hexdigest()[:16],
    }
    key = cache_key(fingerprint, settings)
    skipped: list[str] = []
    axes: dict[str, object] = {}

    def chunks() -> Iterator[tuple[np.ndarray, ...]]:
        for start in range(0, len(dataset), chunk_traces):
            positions = np.arange(start, min(start + chunk_traces, len(dataset)))
            part = dataset.select(positions)
            part_meta = part.metadata.copy()
            part_meta[_POSITION] = positions
            part = WaveformDataset(part_meta, part.loader, part.name, part.component_order)
            got = compute_spectrograms(part, config, on_error=on_error, allow_empty=True)
            skipped.extend(got.skipped)
            if len(got.spectrograms) == 0:
                continue
            shape = tuple(got.spectrograms.shape[1:])
            if not axes:
                axes.update(
                    shape=shape,
                    sampling_rate=got.sampling_rate,
                    frequencies=got.frequencies.tolist(),
                    times=got.times.tolist(),
                )
            elif shape != axes["shape"] or got.sampling_rate != axes["sampling_rate"]:
                raise DataError(
                    f"traces {start}-{positions[-1]} give spectrograms {shape} at "
                    f"{got.sampling_rate:g} Hz, the first ones {axes['shape']} at "
                    f"{axes['sampling_rate']:g} Hz: traces have different sampling rates; "
                    "set features.target_rate",
                    path=dataset.name,
                )
            yield (
                got.spectrograms,
                got.windows.astype(np.float32),
                got.metadata[_POSITION].to_numpy(np.int64),
            )
        if not axes:
            raise DataError("no window could be cut from the dataset", path=dataset.name)

    log.info("streaming spectrograms of %s into the feature cache (key %s)", dataset.name, key)
    root = cache_root(DataConfig(cache_dir=cache_dir))
    store = FeatureCache(root).get_or_build(
        key,
        chunks(),
        ("spectrograms", "windows", "position"),
        extra=lambda: {"skipped": skipped, **{k: v for k, v in axes.items() if k != "shape"}},
    )
    info = store.extra
    position = StoredWindows(store.path, "position").read()  # one int per trace kept
    # The rows as compute_spectrograms returns them: trace_name first, original columns.
    kept = meta.iloc[position].set_index(schema.TRACE_NAME).reset_index()
    return SpectrogramSet(
        spectrograms=StoredWindows(store.path, "spectrograms"),  # type: ignore[arg-type]
        windows=StoredWindows(store.path, "windows"),  # type: ignore[arg-type]
        metadata=kept,
        skipped=list(info.get("skipped", [])),
        sampling_rate=float(info["sampling_rate"]),
        frequencies=np.asarray(info["frequencies"], dtype=float),
        times=np.asarray(info["times"], dtype=float),
    )
