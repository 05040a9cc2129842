"""Model inputs of the classify workflow: phase windows, log-spectrograms, train-only scaling.

A *variant* names the window and the STFT of the spectrogram-CNN design:
``P64`` = P-fixed window (5 s before P, 20 s after) with the Spectra64 preset
(nperseg 64, 50 % overlap); ``S32`` = S-fixed window (5 s before S, 15 s after)
with Spectra32 (nperseg 32, 80 % overlap); and so on. ``PW``/``SW`` feed the raw
window to the 1D CNN instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from seislearn.data import schema
from seislearn.errors import ConfigError, DataError

if TYPE_CHECKING:
    from seislearn.data.dataset import WaveformDataset

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
    """``log10`` PSD spectrograms ``(n, C, F, T)`` of windows ``(n, C, N)``, computed in batches."""
    import torch

    from seislearn.features.spectrogram import spectrogram

    out = []
    with torch.no_grad():
        for start in range(0, len(windows), 256):
            out.append(spectrogram(windows[start : start + 256], sampling_rate, preset).numpy())
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

    def fit(self, x: np.ndarray) -> InputScaler:
        """Learn the statistics from train inputs."""
        if len(x) == 0:
            raise DataError("no training samples to fit the input scaler on")
        axes = (0, 3) if x.ndim == 4 else (0, 2)
        self.mean_ = x.mean(axis=axes, dtype=np.float64).astype(np.float32)
        std = x.std(axis=axes, dtype=np.float64).astype(np.float32)
        self.std_ = np.where(std > 1e-8, std, 1.0).astype(np.float32)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Standardize ``x`` with the fitted statistics."""
        if self.mean_ is None or self.std_ is None:
            raise RuntimeError("InputScaler is not fitted")
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
