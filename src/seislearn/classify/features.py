"""Model inputs of the classify workflow: phase windows, log-spectrograms, train-only scaling.

A *variant* names the window and the STFT of the spectrogram-CNN design:
``P64`` = P-fixed window (5 s before P, 20 s after) with the Spectra64 preset
(nperseg 64, 50 % overlap); ``S32`` = S-fixed window (5 s before S, 15 s after)
with Spectra32 (nperseg 32, 80 % overlap); and so on. ``PW``/``SW`` feed the raw
window to the 1D CNN instead.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from seislearn.data import schema
from seislearn.errors import ConfigError, DataError

if TYPE_CHECKING:
    from seislearn.data.dataset import WaveformDataset
    from seislearn.data.window_store import StoredWindows

log = logging.getLogger(__name__)

#: Default window (seconds before, seconds after) around each phase.
PHASE_WINDOWS: dict[str, tuple[float, float]] = {"P": (5.0, 20.0), "S": (5.0, 15.0)}
PRESET_OF_SUFFIX = {"64": "spectra64", "32": "spectra32"}


@dataclass(frozen=True)
class Variant:
    """One input design: phase, window and STFT preset (``None`` = raw waveform)."""

    name: str
    phase: Literal["P", "S"]
    before_s: float
    after_s: float
    preset: str | None


def parse_variant(name: str) -> Variant:
    """Parse ``P64``, ``P32``, ``S64``, ``S32``, ``PW`` or ``SW`` (case-insensitive)."""
    match = re.fullmatch(r"([PS])(64|32|W)", name.strip().upper())
    if not match:
        raise ConfigError(
            f"unknown variant {name!r}; expected P64, P32, S64, S32 (spectrograms) "
            "or PW, SW (raw waveforms for the 1D CNN)"
        )
    phase, kind = match.groups()
    before, after = PHASE_WINDOWS[phase]
    preset = None if kind == "W" else PRESET_OF_SUFFIX[kind]
    return Variant(f"{phase}{kind}", phase, before, after, preset)  # type: ignore[arg-type]


def anchor_at_trace_start(dataset: WaveformDataset, phase: str, before_s: float) -> WaveformDataset:
    """A copy of ``dataset`` whose pick column puts each window at the trace start.

    For data without picks: the window then covers the first ``before + after``
    seconds of every trace.
    """
    from seislearn.data.dataset import WaveformDataset
    from seislearn.data.windows import PHASE_COLUMNS

    meta = dataset.metadata.copy()
    sr = meta[schema.SAMPLING_RATE].astype(float)
    meta[PHASE_COLUMNS[phase]] = np.round(before_s * sr)
    return WaveformDataset(meta, dataset.loader, dataset.name, dataset.component_order)


def waveform_windows(
    dataset: WaveformDataset,
    variant: Variant,
    anchor: Literal["pick", "trace_start"] = "pick",
    target_rate: float | None = None,
    freqmin: float | None = None,
    freqmax: float | None = None,
    normalize: Literal["peak", "std"] | None = None,
    on_error: Literal["raise", "skip"] = "raise",
) -> tuple[np.ndarray, pd.DataFrame, list[str], float]:
    """Detrended, tapered (optionally filtered and resampled) windows around the variant's phase.

    Returns
    -------
    windows : ndarray, float32, shape (n, C, samples)
    metadata : DataFrame of the traces kept
    skipped : list of str
    sampling_rate : float, Hz, of the windows
    """
    from seislearn.data.windows import Preprocess, extract_windows

    if len(dataset) == 0:
        raise DataError("the dataset is empty", path=dataset.name)
    if anchor == "trace_start":
        dataset = anchor_at_trace_start(dataset, variant.phase, variant.before_s)
    rates = dataset.metadata[schema.SAMPLING_RATE].astype(float).unique()
    if target_rate is None and len(rates) > 1:
        raise DataError(
            f"traces have several sampling rates {sorted(rates)}; set target_rate",
            path=dataset.name,
        )
    preprocess = Preprocess(
        sampling_rate=float(rates[0]),
        target_rate=target_rate,
        freqmin=freqmin,
        freqmax=freqmax,
        normalize=normalize,
    )
    windows, meta, skipped = extract_windows(
        dataset,
        phase=variant.phase,
        before_s=variant.before_s,
        after_s=variant.after_s,
        preprocess=preprocess,
        on_error=on_error,
    )
    return windows, meta, skipped, float(preprocess.output_rate if target_rate else rates[0])


def log_spectrograms(windows: np.ndarray, sampling_rate: float, preset: str) -> np.ndarray:
    """``log10`` PSD spectrograms ``(n, C, F, T)`` of windows ``(n, C, N)``, computed in batches.

    Reports its progress through :mod:`seislearn.progress` (a bar with the rate
    and the time left on a terminal, one line when done elsewhere, nothing when
    quiet).
    """
    import torch

    from seislearn.features.spectrogram import spectrogram
    from seislearn.progress import Bar

    batch = 256
    out = []
    with torch.no_grad(), Bar(f"{preset} spectrograms", total=len(windows), unit="trace") as bar:
        for start in range(0, len(windows), batch):
            out.append(spectrogram(windows[start : start + batch], sampling_rate, preset).numpy())
            bar.update(len(out[-1]))
    return np.concatenate(out).astype(np.float32)


@dataclass
class InputScaler:
    """Standardize inputs with statistics of the train split only.

    Spectrograms ``(n, C, F, T)`` get one mean and standard deviation per
    component and frequency row (pooled over train samples and time), so
    every frequency band enters the CNN on a comparable scale; raw windows
    ``(n, C, N)`` get one per component.
    """

    mean_: np.ndarray | None = None
    std_: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def fit(self, x: np.ndarray | StoredWindows) -> InputScaler:
        """Learn the statistics from train inputs.

        Stored inputs (streamed, :class:`seislearn.data.window_store.StoredWindows`)
        are read chunk by chunk and the moments merged
        (:func:`seislearn.data.moments.chunked_mean_std`), so memory stays bounded;
        the statistics equal those of the whole array to float rounding.
        """
        from seislearn.data.moments import chunked_mean_std
        from seislearn.data.window_store import iter_window_chunks

        if len(x) == 0:
            raise DataError("no training samples to fit the input scaler on")
        axes = (0, 3) if x.ndim == 4 else (0, 2)
        if isinstance(x, np.ndarray):
            mean = x.mean(axis=axes, dtype=np.float64)
            std = x.std(axis=axes, dtype=np.float64)
        else:
            mean, std = chunked_mean_std(iter_window_chunks(x), axes)
        self.mean_ = mean.astype(np.float32)
        std = std.astype(np.float32)
        self.std_ = np.where(std > 1e-8, std, 1.0).astype(np.float32)
        return self

    def transform(self, x: np.ndarray | StoredWindows) -> np.ndarray | StoredWindows:
        """Standardize ``x`` with the fitted statistics (stored inputs: lazily, per read)."""
        if self.mean_ is None or self.std_ is None:
            raise RuntimeError("InputScaler is not fitted")
        if not isinstance(x, np.ndarray) and hasattr(x, "with_transform"):
            return x.with_transform(self.transform)
        shape = (1, *self.mean_.shape, 1)
        return ((x - self.mean_.reshape(shape)) / self.std_.reshape(shape)).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (stored beside the model weights)."""
        return {"mean": np.asarray(self.mean_).tolist(), "std": np.asarray(self.std_).tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InputScaler:
        """Rebuild from :meth:`to_dict`."""
        return cls(
            np.asarray(data["mean"], dtype=np.float32), np.asarray(data["std"], dtype=np.float32)
        )


def resolve_side_inputs(
    requested: str | list[str],
    task: str,
    metadata: pd.DataFrame,
    anchor: str,
    target: str,
) -> list[str]:
    """The side inputs a run uses: ``requested``, or the ``auto`` choice for this task and data.

    ``auto``: none for classification; ``log_peak_amplitude`` for regression,
    plus ``log_sp_time`` when the windows are anchored on picks and every trace
    has a P and an S pick after it (a warning says how many lack one when the
    pick columns exist but some traces have no S pick, e.g. a picker's output).
    ``log_distance`` is only used when asked for.

    Raises
    ------
    ConfigError
        If a side input would be derived from the target column itself, or
        ``log_sp_time`` is asked for with ``anchor=trace_start``.
    """
    from seislearn.classify.baselines import DISTANCE_COLUMNS

    if requested == "auto":
        if task == "classification":
            return []
        chosen = ["log_peak_amplitude"]
        picks = [schema.P_ARRIVAL, schema.S_ARRIVAL]
        if anchor == "pick" and all(c in metadata.columns for c in picks):
            p, s = (pd.to_numeric(metadata[c], errors="coerce").to_numpy() for c in picks)
            usable = np.isfinite(p) & np.isfinite(s) & (s > p)
            if usable.all():
                chosen.append("log_sp_time")
            else:
                log.warning(
                    "side_inputs=auto leaves out log_sp_time: %d of %d traces have no S pick "
                    "after the P pick; side_inputs=[log_peak_amplitude,log_sp_time] with "
                    "on_error=skip trains on the %d that have one",
                    (~usable).sum(),
                    len(usable),
                    usable.sum(),
                )
        return chosen
    names = list(dict.fromkeys(requested))
    sources = {
        "log_sp_time": (schema.P_ARRIVAL, schema.S_ARRIVAL),
        "log_distance": DISTANCE_COLUMNS,
    }
    for name in names:
        if target in sources.get(name, ()):
            raise ConfigError(
                f"side input {name!r} is computed from the target column {target!r}; remove it"
            )
    if "log_sp_time" in names and anchor == "trace_start":
        raise ConfigError(
            "side input 'log_sp_time' needs P and S picks; anchor=trace_start ignores them"
        )
    return names


def side_input_values(
    names: list[str],
    raw_windows: np.ndarray,
    metadata: pd.DataFrame,
    components: str,
    source: str = "",
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Unscaled side inputs ``(n, k)``, their column names, and the rows that have them all.

    Parameters
    ----------
    names : side inputs (see :class:`~seislearn.classify.config.ClassifyConfig`)
    raw_windows : ndarray, (n, C, N), windows before any per-trace normalization
    metadata : DataFrame, one row per window
    components : str, component letters of the windows (e.g. ``ZNE``)
    source : str, dataset name for error messages

    Returns
    -------
    values : ndarray, float32, (n, k); NaN where a row lacks a value
    columns : list of str, e.g. ``log10_peak_Z``, ``log10_sp_time_s``, ``log10_distance_km``
    ok : ndarray of bool, (n,), rows with every value finite

    Raises
    ------
    DataError
        If a column a side input needs is missing altogether.
    """
    from seislearn.classify.baselines import epicentral_distance_km

    n = len(metadata)
    blocks: list[np.ndarray] = []
    columns: list[str] = []
    for name in names:
        if name == "log_peak_amplitude":
            peak = np.abs(raw_windows).max(axis=-1).astype(np.float64)
            trace_peak = peak.max(axis=1, keepdims=True)
            # A dead component (e.g. zeroed horizontals) sits 6 decades below the trace peak.
            floor = np.maximum(trace_peak * 1e-6, 1e-30)
            logs = np.log10(np.maximum(peak, floor))
            # A window that is zero on every component has no amplitude at all: NaN, so the
            # trace is an error or skipped and listed, not a -30 that skews the train scaling.
            logs[trace_peak[:, 0] <= 0] = np.nan
            blocks.append(logs)
            letters = components if len(components) == peak.shape[1] else "0123456789"
            columns += [f"log10_peak_{letters[c]}" for c in range(peak.shape[1])]
        elif name == "log_sp_time":
            for column in (schema.P_ARRIVAL, schema.S_ARRIVAL, schema.SAMPLING_RATE):
                if column not in metadata.columns:
                    raise DataError(
                        f"side input 'log_sp_time' needs the column {column!r}", path=source or None
                    )
            p, s, sr = (
                pd.to_numeric(metadata[c], errors="coerce").to_numpy(dtype=float)
                for c in (schema.P_ARRIVAL, schema.S_ARRIVAL, schema.SAMPLING_RATE)
            )
            sp = (s - p) / sr
            with np.errstate(invalid="ignore", divide="ignore"):
                blocks.append(np.where(sp > 0, np.log10(sp), np.nan)[:, None])
            columns.append("log10_sp_time_s")
        elif name == "log_distance":
            distance = epicentral_distance_km(metadata)
            if np.isnan(distance).all():
                raise DataError(
                    "side input 'log_distance' needs the column 'path_ep_distance_km' or the "
                    "source and station coordinates (source_latitude_deg, source_longitude_deg, "
                    "station_latitude_deg, station_longitude_deg)",
                    path=source or None,
                )
            # Clamped at 0.1 km: a station on the epicentre has no finite log distance.
            blocks.append(np.log10(np.maximum(distance, 0.1))[:, None])
            columns.append("log10_distance_km")
        else:
            raise ConfigError(f"unknown side input {name!r}")
    values = np.concatenate(blocks, axis=1) if blocks else np.zeros((n, 0))
    ok = np.isfinite(values).all(axis=1)
    return values.astype(np.float32), columns, ok


@dataclass
class SideScaler:
    """Standardize side inputs ``(n, k)`` with the train split's mean and std per column."""

    mean_: np.ndarray | None = None
    std_: np.ndarray | None = None

    def fit(self, side: np.ndarray) -> SideScaler:
        """Learn the statistics from the train rows."""
        if len(side) == 0:
            raise DataError("no training samples to fit the side-input scaler on")
        self.mean_ = side.mean(axis=0, dtype=np.float64).astype(np.float32)
        std = side.std(axis=0, dtype=np.float64).astype(np.float32)
        self.std_ = np.where(std > 1e-8, std, 1.0).astype(np.float32)
        return self

    def transform(self, side: np.ndarray) -> np.ndarray:
        """Standardize ``side`` with the fitted statistics."""
        if self.mean_ is None or self.std_ is None:
            raise RuntimeError("SideScaler is not fitted")
        return ((side - self.mean_) / self.std_).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (stored beside the model weights)."""
        return {"mean": np.asarray(self.mean_).tolist(), "std": np.asarray(self.std_).tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SideScaler:
        """Rebuild from :meth:`to_dict`."""
        return cls(
            np.asarray(data["mean"], dtype=np.float32), np.asarray(data["std"], dtype=np.float32)
        )
