"""Windows around a phase pick, and waveform preprocessing (ObsPy/SciPy based).

Small composable callables, each usable on its own:

* :func:`cut_window` cuts ``before_s`` seconds before and ``after_s`` after a
  pick, with an explicit policy for windows that run past the trace edges.
* :class:`Preprocess` detrends, tapers, bandpasses, resamples and normalizes a
  ``(C, N)`` array.
* :func:`extract_windows` does both for a whole :class:`WaveformDataset`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np
import pandas as pd

from seislearn.data import schema
from seislearn.data.dataset import WaveformDataset
from seislearn.data.faults import trace_faults
from seislearn.data.identity import message_names
from seislearn.errors import DataError

PadPolicy = Literal["zeros", "edge", "raise"]
_CHUNK = 256  # traces read and preprocessed together
PHASE_COLUMNS = {"P": schema.P_ARRIVAL, "S": schema.S_ARRIVAL}


def cut_window(
    waveform: np.ndarray,
    pick_sample: float,
    before: int,
    after: int,
    pad: PadPolicy = "zeros",
) -> tuple[np.ndarray, int]:
    """Cut ``waveform[:, pick - before : pick + after]``.

    Parameters
    ----------
    waveform : ndarray, shape (C, N)
    pick_sample : float
        Pick position, samples from the trace start (rounded to the nearest sample).
    before, after : int
        Samples before and after the pick.
    pad : {"zeros", "edge", "raise"}
        What to do where the window runs past the trace: pad with zeros, repeat
        the edge sample, or raise :class:`DataError`.

    Returns
    -------
    window : ndarray, shape (C, before + after)
    n_padded : int
        How many samples were padded (0 when the window lies inside the trace).
    """
    if not np.isfinite(pick_sample):
        raise DataError("pick is missing (NaN)")
    pick = round(float(pick_sample))
    start, stop = pick - before, pick + after
    n = waveform.shape[-1]
    lo, hi = max(start, 0), min(stop, n)
    if hi <= lo:
        raise DataError(
            f"pick at sample {pick} puts the window [{start}, {stop}) outside the trace of {n} samples"
        )
    n_padded = (lo - start) + (stop - hi)
    window = waveform[:, lo:hi]
    if n_padded:
        if pad == "raise":
            raise DataError(
                f"window [{start}, {stop}) runs past the trace of {n} samples by {n_padded} samples"
            )
        mode = "constant" if pad == "zeros" else "edge"
        window = np.pad(window, ((0, 0), (lo - start, stop - hi)), mode=mode)
    return np.ascontiguousarray(window, dtype=np.float32), n_padded


def pad_mode(pad: PadPolicy) -> Literal["zeros", "edge"]:
    """The padding used for the filter margin: ``edge`` where the user asked for it, else zeros."""
    return "edge" if pad == "edge" else "zeros"


def cosine_taper(npts: int, fraction: float = 0.05) -> np.ndarray:
    """A cosine (Tukey) taper of ``npts`` samples, ``fraction`` tapered at each end."""
    from scipy.signal.windows import tukey

    return tukey(npts, alpha=min(1.0, 2 * fraction)).astype(np.float32)


@functools.lru_cache(maxsize=64)
def _butter_sos(
    corners: int, fmin: float | None, fmax: float | None, sr: float
) -> np.ndarray | None:
    """Second-order sections of the Butterworth band (designed once per rate and band)."""
    from scipy import signal

    if fmin and fmax:
        return signal.butter(corners, [fmin, fmax], btype="bandpass", fs=sr, output="sos")
    if fmin:
        return signal.butter(corners, fmin, btype="highpass", fs=sr, output="sos")
    if fmax:
        return signal.butter(corners, fmax, btype="lowpass", fs=sr, output="sos")
    return None


@dataclass
class Preprocess:
    """Detrend, taper, bandpass, resample and normalize a ``(C, N)`` waveform.

    A stack ``(B, C, N)`` of waveforms at the same rate is processed in one call,
    each trace as if alone (one filter design, one pass over the stack).

    Parameters
    ----------
    sampling_rate : float, Hz
        Rate of the input.
    target_rate : float, optional, Hz
        Resample to this rate (polyphase, anti-aliased).
    freqmin, freqmax : float, optional, Hz
        Butterworth bandpass corners (zero-phase); either may be ``None`` for a
        highpass or lowpass.
    corners : int
        Filter order (applied forward and backward).
    detrend : bool
        Remove a linear trend per channel.
    taper_fraction : float
        Cosine taper at each end, fraction of the length (0 for none).
    normalize : {"peak", "std", None}
        Divide by the peak absolute value or the standard deviation.
    normalize_per_channel : bool
        Normalize each channel alone (True) or all channels by one value (False,
        keeps the amplitude ratios between components, which carry polarization).
    """

    sampling_rate: float
    target_rate: float | None = None
    freqmin: float | None = None
    freqmax: float | None = None
    corners: int = 4
    detrend: bool = True
    taper_fraction: float = 0.05
    normalize: Literal["peak", "std"] | None = None
    normalize_per_channel: bool = False

    @property
    def output_rate(self) -> float:
        """Sampling rate of the output, Hz."""
        return self.target_rate or self.sampling_rate

    def __call__(self, waveform: np.ndarray) -> np.ndarray:
        from scipy import signal

        x = np.asarray(waveform, dtype=np.float64)
        if self.detrend:
            x = signal.detrend(x, axis=-1, type="linear")
        if self.taper_fraction > 0:
            x = x * cosine_taper(x.shape[-1], self.taper_fraction)
        sr = self.sampling_rate
        nyquist = sr / 2
        fmin = self.freqmin if self.freqmin else None
        fmax = self.freqmax if self.freqmax and self.freqmax < nyquist else None
        if self.target_rate and self.target_rate < sr:
            # Lowpass below the new Nyquist before decimating.
            fmax = min(fmax or np.inf, 0.45 * self.target_rate)
        sos = _butter_sos(self.corners, fmin, fmax, sr)
        if sos is not None:
            x = signal.sosfiltfilt(sos, x, axis=-1)
        if self.target_rate and self.target_rate != sr:
            ratio = Fraction(self.target_rate / sr).limit_denominator(1000)
            x = signal.resample_poly(x, ratio.numerator, ratio.denominator, axis=-1)
        if self.normalize:
            # one scale per trace (C, N) or per channel; a stack (B, C, N) is scaled trace by trace
            axis = -1 if self.normalize_per_channel else (None if x.ndim <= 2 else (-2, -1))
            scale = (
                np.abs(x).max(axis=axis, keepdims=True)
                if self.normalize == "peak"
                else x.std(axis=axis, keepdims=True)
            )
            x = x / np.where(scale > 0, scale, 1.0)
        return x.astype(np.float32)


def _screen_constant(
    raw: np.ndarray,
    sr: float,
    max_constant_s: float,
    channels: Sequence[int] | None,
    path: str,
    trace: str,
    names: str = "",
) -> None:
    """Raise :class:`DataError` when a channel of ``raw`` (C, N) is constant for > ``max_constant_s``."""
    from seislearn.data.checks import longest_constant_run

    for c in range(raw.shape[0]) if channels is None else channels:
        run = longest_constant_run(raw[c])
        if run > max_constant_s * sr:
            label = names[c] if len(names) == raw.shape[0] else str(c)
            raise DataError(
                f"component {label} holds one value for {run / sr:.2f} s of the window "
                f"(> max_constant_s = {max_constant_s:g} s): a filled gap or padding?",
                path=path,
                trace=trace,
            )


def _check_band(preprocess: Preprocess, meta: pd.DataFrame, name: str) -> None:
    """The bandpass against the lowest rate in the metadata, before any waveform is read.

    A corner at or above the Nyquist frequency would otherwise be dropped in
    silence (the highpass or lowpass alone would run).
    """
    from seislearn.config import check_band_below_nyquist

    if schema.SAMPLING_RATE not in meta.columns:
        return
    rates = pd.to_numeric(meta[schema.SAMPLING_RATE], errors="coerce")
    rates = rates[np.isfinite(rates) & (rates > 0)]
    if rates.empty:
        return
    lowest = float(rates.min())
    if preprocess.target_rate:
        lowest = min(lowest, float(preprocess.target_rate))
    check_band_below_nyquist(preprocess.freqmin, preprocess.freqmax, lowest, name)


def _recorded(meta: pd.DataFrame, i: int) -> str | None:
    """The components row ``i`` says were recorded, or ``None`` when the dataset does not say."""
    if schema.AVAILABLE_COMPONENTS not in meta.columns:
        return None
    value = meta[schema.AVAILABLE_COMPONENTS].iloc[i]
    return value if isinstance(value, str) and value else None


def iter_waveforms(
    dataset: WaveformDataset, batch_size: int = 256
) -> Iterator[tuple[np.ndarray | None, DataError | None]]:
    """``(waveform, None)`` or ``(None, error)`` for every trace of ``dataset``, in order.

    Reads ``batch_size`` traces at a time through :meth:`WaveformDataset.iter_batches`
    (one HDF5 call per run of consecutive rows where the loader can); a batch
    holding a trace that cannot be read is read again trace by trace, so each
    bad trace gets its own :class:`DataError` and the others their waveforms.
    """
    for start in range(0, len(dataset), batch_size):
        stop = min(start + batch_size, len(dataset))
        try:
            waves = next(dataset.select(np.arange(start, stop)).iter_batches(stop - start))[0]
        except DataError:
            waves = None
        for i in range(start, stop):
            if waves is not None:
                yield waves[i - start], None
                continue
            try:
                yield dataset.get_waveform(i), None
            except DataError as exc:
                yield None, exc


def extract_windows(
    dataset: WaveformDataset,
    phase: Literal["P", "S"] = "P",
    before_s: float = 1.0,
    after_s: float = 4.0,
    preprocess: Preprocess | None = None,
    pad: PadPolicy = "zeros",
    on_error: Literal["raise", "skip"] = "raise",
    preprocess_margin_s: float = 5.0,
    max_constant_s: float | None = None,
    constant_channels: Sequence[int] | None = None,
    components: str | None = None,
    check_pick: bool = True,
    allow_empty: bool = False,
) -> tuple[np.ndarray, pd.DataFrame, list[str]]:
    """Cut preprocessed windows around a phase for every trace of a dataset.

    Every trace first goes through the fault rules of
    :mod:`seislearn.data.faults` on the whole waveform: a channel count other
    than the dataset's components, a used component that is all zeros,
    constant or not recorded, a pick outside the trace. Such a trace is an
    error (:class:`DataError` naming it), or skipped and listed with
    ``on_error="skip"``; it is never cut into a window of zeros.

    The filter runs on a longer stretch (``preprocess_margin_s`` on each side)
    before the window is cut, so filter edge effects stay out of the window.

    Parameters
    ----------
    dataset : WaveformDataset
    phase : {"P", "S"}
    before_s, after_s : float, seconds
    preprocess : Preprocess, optional
        Its ``sampling_rate`` is replaced by each trace's own rate.
    pad : {"zeros", "edge", "raise"}
    on_error : {"raise", "skip"}
        ``skip`` leaves out traces with a missing pick or a bad waveform and
        lists them in the returned messages.
    preprocess_margin_s : float, seconds
    max_constant_s : float, optional, seconds
        Quality screen on the raw window (before preprocessing, padding
        included): a window in which one of ``constant_channels`` holds the
        same value for longer than this (a zero-filled gap, a dead channel,
        padding past the trace) is a bad waveform (:class:`DataError`, or
        skipped and listed with ``on_error="skip"``). None: no screen.
    constant_channels : sequence of int, optional
        Channels screened (default all); leave out channels known to be empty,
        e.g. the zeroed horizontals of a vertical-only trace.
    components : str, optional
        The components the caller uses (default all of the dataset's): a dead
        or unrecorded one of these is a fault, one of the others is not.
    check_pick : bool
        Refuse a pick outside the trace (off where the "pick" column holds a
        window start computed by the caller, which may lie before the trace).
    allow_empty : bool
        Return ``windows`` of length 0 instead of raising when no window could be
        cut (one chunk of a streaming pass whose traces were all skipped).

    Returns
    -------
    windows : ndarray, float32, shape (n, C, samples)
    metadata : DataFrame
        The rows kept, with ``window_padded_samples`` added.
    skipped : list of str
        One message per trace left out.
    """
    column = PHASE_COLUMNS[phase]
    meta = dataset.metadata
    if column not in meta.columns:
        raise DataError(f"dataset has no {phase} picks (column {column!r})", path=dataset.name)
    if preprocess is not None:
        _check_band(preprocess, meta, dataset.name)
    out: list[np.ndarray] = []
    keep: list[int] = []
    padded: list[int] = []
    skipped: list[str] = []
    expected: int | None = None
    names = message_names(meta)  # the user's names in every error and skip message
    picks = pd.to_numeric(meta[column], errors="coerce").to_numpy(dtype=float)
    rates = (
        pd.to_numeric(meta[schema.SAMPLING_RATE], errors="coerce").to_numpy(dtype=float)
        if schema.SAMPLING_RATE in meta.columns
        else np.full(len(meta), np.nan)
    )
    rate_ok = np.isfinite(rates) & (rates > 0)
    waveforms = iter_waveforms(dataset, _CHUNK)

    def failed(exc: DataError, name: str) -> str:
        if exc.trace is None:
            exc = DataError(exc.reason, path=dataset.name, trace=name)
        if on_error != "skip":
            raise exc from None
        return str(exc)

    for chunk_start in range(0, len(dataset), _CHUNK):
        # 1. per trace: read, checks, cut the segment (window + filter margins)
        messages: list[tuple[int, str]] = []
        segments: dict[tuple[float, tuple[int, ...]], list[tuple[int, np.ndarray, int]]] = {}
        for i in range(chunk_start, min(chunk_start + _CHUNK, len(dataset))):
            name = str(names[i])
            wave, read_error = next(waveforms)
            try:
                # the rate from the table read once; a bad one is named by sampling_rate()
                sr = float(rates[i]) if rate_ok[i] else dataset.sampling_rate(i)
                pick = float(picks[i])
                if not np.isfinite(pick):
                    raise DataError(f"no {phase} pick", trace=name)
                if read_error is not None:
                    raise read_error
                assert wave is not None
                faults = trace_faults(
                    wave,
                    dataset.component_order,
                    pick if check_pick else None,
                    phase,
                    used=components,
                    recorded=_recorded(meta, i),
                )
                if faults:
                    raise DataError(
                        "; ".join(f.detail for f in faults), path=dataset.name, trace=name
                    )
                if not np.all(np.isfinite(wave)):
                    raise DataError("waveform holds NaN or inf", path=dataset.name, trace=name)
                margin = round(preprocess_margin_s * sr)
                before_n, after_n = round(before_s * sr), round(after_s * sr)
                # Padding that reaches into the window itself (beyond the filter margin).
                inner_pad = max(0, before_n - round(pick)) + max(
                    0, round(pick) + after_n - wave.shape[-1]
                )
                if inner_pad and pad == "raise":
                    raise DataError(
                        f"window around {phase} runs past the trace by {inner_pad} samples",
                        path=dataset.name,
                        trace=name,
                    )
                seg, _ = cut_window(wave, pick, before_n + margin, after_n + margin, pad_mode(pad))
                if max_constant_s is not None:
                    raw, _ = cut_window(seg, margin + before_n, before_n, after_n)
                    _screen_constant(
                        raw,
                        sr,
                        max_constant_s,
                        constant_channels,
                        dataset.name,
                        name,
                        dataset.component_order,
                    )
            except DataError as exc:
                messages.append((i, failed(exc, name)))
                continue
            segments.setdefault((sr, seg.shape), []).append((i, seg, inner_pad))
        # 2. per group of equal rate and shape: one preprocessing call on the stacked segments
        windows: list[tuple[int, np.ndarray, int]] = []
        for (sr, _), members in segments.items():
            stacked = np.stack([seg for _, seg, _ in members])
            out_sr = sr
            if preprocess is not None:
                pp = Preprocess(**{**preprocess.__dict__, "sampling_rate": sr})
                stacked = pp(stacked)
                out_sr = pp.output_rate
            out_margin = round(preprocess_margin_s * out_sr)
            before = round(before_s * out_sr)
            for (i, _, inner_pad), seg in zip(members, stacked, strict=True):
                window, _ = cut_window(seg, out_margin + before, before, round(after_s * out_sr))
                windows.append((i, window, inner_pad))
        # 3. in trace order: every window as long as the first one
        for i, window, inner_pad in sorted(windows, key=lambda item: item[0]):
            if expected is None:
                expected = window.shape[-1]
            if window.shape[-1] != expected:
                exc = DataError(
                    f"window has {window.shape[-1]} samples, others {expected}: mixed sampling rates?",
                    path=dataset.name,
                    trace=str(names[i]),
                )
                messages.append((i, failed(exc, str(names[i]))))
                continue
            out.append(window)
            keep.append(i)
            padded.append(inner_pad)
        skipped += [message for _, message in sorted(messages, key=lambda item: item[0])]
    rows = meta.iloc[keep].reset_index(drop=True).copy()
    rows["window_padded_samples"] = padded
    if not out:
        if allow_empty:
            return np.zeros((0, 0, 0), np.float32), rows, skipped
        raise DataError("no window could be cut from the dataset", path=dataset.name)
    return np.stack(out), rows, skipped
