"""Real noise for synthetic signals: pre-P windows of a user's own recordings.

A synthetic event recorded with the noise of the station a model will be used
at carries that station's noise spectrum, polarization, instrument and
digitizer. :class:`NoiseBank` collects the stretches before the first arrival
of unlabelled traces (no back-azimuth or other label is read) and hands out
noise of any length, at any sampling rate, for
:func:`seislearn.data.synthetic.make_events` (``seislearn data synth events
--noise-from DATASET``).

Where the first arrival is: the P pick (``trace_p_arrival_sample``) where the
metadata has one; otherwise the first trigger of a classic recursive STA/LTA
on the vertical (ObsPy, 1 Hz high-passed, STA 1 s, LTA 5 s, on at 3.0), so a folder of
unpicked traces works too. Traces of category ``noise`` are used whole. A
safety margin (``margin_s``, 2 s) before the arrival is left out, so P energy
(an emergent onset, a pick a little late) does not leak into the noise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from seislearn.data import schema
from seislearn.data.dataset import WaveformDataset
from seislearn.errors import DataError

log = logging.getLogger(__name__)


def first_arrival_sample(
    vertical: np.ndarray,
    sampling_rate: float,
    sta_s: float = 1.0,
    lta_s: float = 5.0,
    threshold: float = 3.0,
) -> int | None:
    """First sample where a recursive STA/LTA of the vertical exceeds ``threshold``.

    The vertical is band-passed first (1 Hz to 0.4 times the sampling rate, 2 poles,
    zero phase) so microseism does not dominate the averages.

    Parameters
    ----------
    vertical : ndarray (n,), the Z component (any unit)
    sampling_rate : float, Hz
    sta_s, lta_s : float, seconds, short- and long-term average windows
    threshold : float, dimensionless STA/LTA ratio

    Returns
    -------
    int or None
        The trigger sample, or None when nothing triggers (the trace may be all noise)
        or the ratio is above the threshold as soon as the LTA is ready.
    """
    from obspy.signal.trigger import recursive_sta_lta
    from scipy.signal import butter, sosfiltfilt

    x = np.asarray(vertical, dtype=np.float64)
    x = x - np.median(x)
    sos = butter(2, [1.0, 0.4 * sampling_rate], "bandpass", fs=sampling_rate, output="sos")
    x = sosfiltfilt(sos, x)
    nsta, nlta = max(1, round(sta_s * sampling_rate)), max(2, round(lta_s * sampling_rate))
    if x.size <= nlta:
        return None
    ratio = recursive_sta_lta(x, nsta, nlta)
    ratio[:nlta] = 0.0  # the LTA is still warming up
    above = np.flatnonzero(ratio > threshold)
    if not above.size or above[0] == nlta:
        # Nothing triggers, or the ratio is already high when the LTA is ready: the
        # arrival may be earlier, so the onset is unknown.
        return None
    return int(above[0])


@dataclass
class NoiseBank:
    """Stretches of real three-component noise (ZNE), and noise drawn from them.

    Attributes
    ----------
    segments : list of ndarray (3, n_i), float64, demeaned, in the recording's units
    sampling_rate : float, Hz, of all segments
    source : str, where they come from (for messages and metadata)
    skipped : list of str, traces that gave no noise and why
    """

    segments: list[np.ndarray]
    sampling_rate: float
    source: str = ""
    skipped: list[str] = field(default_factory=list)

    @classmethod
    def from_dataset(
        cls,
        dataset: WaveformDataset,
        min_length_s: float = 4.0,
        margin_s: float = 2.0,
        max_traces: int | None = None,
    ) -> NoiseBank:
        """Collect the noise before the first arrival of each trace of ``dataset``.

        Parameters
        ----------
        dataset : WaveformDataset, three-component traces in ZNE order (labels unused)
        min_length_s : float, seconds, shorter stretches are left out
        margin_s : float, seconds left out before the first arrival
        max_traces : int, optional, use at most this many traces (the first ones)

        Raises
        ------
        DataError
            When the traces have another number of components than 3, mixed sampling
            rates, or no usable noise at all.
        """
        meta = dataset.metadata
        rates = {float(dataset.sampling_rate(i)) for i in range(len(dataset))}
        if len(rates) != 1:
            raise DataError(
                f"noise traces must share one sampling rate; found {sorted(rates)}",
                path=dataset.name,
            )
        sr = rates.pop()
        picks = (
            meta[schema.P_ARRIVAL].to_numpy(dtype=float)
            if schema.P_ARRIVAL in meta.columns
            else np.full(len(meta), np.nan)
        )
        category = (
            meta[schema.CATEGORY].astype(str).to_numpy()
            if schema.CATEGORY in meta.columns
            else np.full(len(meta), "")
        )
        names = meta[schema.TRACE_NAME].astype(str).to_numpy()
        segments: list[np.ndarray] = []
        skipped: list[str] = []
        n = len(dataset) if max_traces is None else min(max_traces, len(dataset))
        for i in range(n):
            wave = np.asarray(dataset.get_waveform(i), dtype=np.float64)
            if wave.ndim != 2 or wave.shape[0] != 3:
                raise DataError(
                    f"noise needs 3 components (ZNE); trace {names[i]!r} has shape {wave.shape}",
                    path=dataset.name,
                )
            if category[i] == "noise":
                stop = wave.shape[1]
            elif np.isfinite(picks[i]):
                stop = int(picks[i]) - round(margin_s * sr)
            else:
                onset = first_arrival_sample(wave[0], sr)
                if onset is None:
                    skipped.append(f"{names[i]}: no arrival found (STA/LTA), not used")
                    continue
                stop = onset - round(margin_s * sr)
            segment = wave[:, : max(stop, 0)]
            if segment.shape[1] < min_length_s * sr:
                skipped.append(f"{names[i]}: less than {min_length_s} s before the arrival")
                continue
            if not np.all(np.isfinite(segment)) or np.any(segment.std(axis=1) == 0):
                skipped.append(f"{names[i]}: NaN or a flat channel in the noise")
                continue
            segments.append(segment - segment.mean(axis=1, keepdims=True))
        if not segments:
            raise DataError(
                f"no noise stretch found before any first arrival ({len(skipped)} traces tried)",
                path=dataset.name,
            )
        log.info("noise bank: %d stretches from %s", len(segments), dataset.name)
        return cls(segments, sr, dataset.name, skipped)

    @property
    def total_seconds(self) -> float:
        """Seconds of noise in the bank."""
        return sum(s.shape[1] for s in self.segments) / self.sampling_rate

    def draw(self, rng: np.random.Generator, n: int, sampling_rate: float) -> np.ndarray:
        """Noise (3, n) at ``sampling_rate``, unit mean variance per channel.

        Random stretches (random trace, random start) are joined with 1 s cosine
        cross-fades until ``n`` samples are filled; the ratios between Z, N and E
        (the noise's polarization) are kept, only the overall scale is set. The
        bank is resampled (polyphase, anti-aliased) when the rates differ; above
        the bank's own Nyquist frequency the result has no noise.

        Parameters
        ----------
        rng : numpy.random.Generator
        n : int, samples
        sampling_rate : float, Hz, of the synthetic traces
        """
        from fractions import Fraction

        from scipy.signal import resample_poly

        ratio = Fraction(float(sampling_rate) / self.sampling_rate).limit_denominator(1000)
        fade = max(1, round(self.sampling_rate))
        need = int(np.ceil(n / float(ratio))) + 2 * fade
        out = np.zeros((3, 0))
        while out.shape[1] < need:
            seg = self.segments[int(rng.integers(len(self.segments)))]
            length = min(seg.shape[1], need - out.shape[1] + fade)
            start = int(rng.integers(0, seg.shape[1] - length + 1))
            piece = seg[:, start : start + length] / np.sqrt(np.mean(seg.var(axis=1)))
            if out.shape[1] >= fade and piece.shape[1] > fade:
                w = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, fade))
                overlap = out[:, -fade:] * np.sqrt(1 - w) + piece[:, :fade] * np.sqrt(w)
                out = np.concatenate([out[:, :-fade], overlap, piece[:, fade:]], axis=1)
            else:
                out = np.concatenate([out, piece], axis=1)
        if ratio != 1:
            out = resample_poly(out, ratio.numerator, ratio.denominator, axis=1)
        skip = round(fade * float(ratio))
        out = out[:, skip : skip + n]
        out = out - out.mean(axis=1, keepdims=True)
        return out / np.sqrt(np.mean(out.var(axis=1)))
