"""Frequency bands of the azimuth workflow chosen from the data's sampling rate.

The defaults (bandpass up to 20 Hz, covariance bands up to 20 Hz) suit data
sampled at 50 Hz and more. Slower data (20 Hz broadband channels, 10 Hz
archives) cannot hold a 20 Hz band: unless the user set a band, the corners
are lowered to :data:`NYQUIST_FRACTION` of the Nyquist frequency of the
slowest trace, covariance bands are clipped to it and the bands left too
narrow are dropped. A band the user set explicitly is never changed (one above
the Nyquist frequency is refused by :func:`seislearn.config.check_band_below_nyquist`
with its key).
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

from seislearn.azimuth.config import AzimuthConfig

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

#: The highest corner, as a fraction of the Nyquist frequency: 0.8 leaves room for the
#: roll-off of the bandpass and of the anti-alias filter of the recorder.
NYQUIST_FRACTION = 0.8
#: A clipped covariance band is kept when its upper corner is at least this times its lower.
MIN_BAND_RATIO = 1.5


def highest_corner_hz(sampling_rate: float, target_rate: float | None = None) -> float:
    """The highest usable corner, Hz: :data:`NYQUIST_FRACTION` of the lowest Nyquist.

    Parameters
    ----------
    sampling_rate : float
        The slowest trace's sampling rate, Hz.
    target_rate : float, optional
        The rate the windows are resampled to, Hz (a slower one lowers the limit).
    """
    rate = sampling_rate if target_rate is None else min(sampling_rate, target_rate)
    return NYQUIST_FRACTION * rate / 2


def fit_bands_to_rate(config: AzimuthConfig, sampling_rate: float, source: str) -> AzimuthConfig:
    """``config`` with default bands lowered below the Nyquist frequency of ``sampling_rate``.

    Only keys the user did not set are changed (``window.freqmax_hz`` and
    ``model.covariance_bands_hz``); a config that already fits is returned as is.
    What changed is logged, naming the rate and ``source``.

    Parameters
    ----------
    config : AzimuthConfig
    sampling_rate : float
        The slowest trace's sampling rate, Hz.
    source : str
        The data, for the messages.

    Raises
    ------
    ConfigError
        When the rate is too low for any band above ``window.freqmin_hz``.
    """
    from seislearn.errors import ConfigError

    if not (math.isfinite(sampling_rate) and sampling_rate > 0):
        return config
    w, m = config.window, config.model
    limit = highest_corner_hz(sampling_rate, w.target_rate_hz)
    changes: list[str] = []
    window_update: dict = {}
    model_update: dict = {}
    if "freqmax_hz" not in w.model_fields_set and w.freqmax_hz is not None and w.freqmax_hz > limit:
        if w.freqmin_hz is not None and limit <= w.freqmin_hz:
            raise ConfigError(
                f"{source}: sampled at {sampling_rate:g} Hz, its usable band ends at "
                f"{limit:g} Hz ({NYQUIST_FRACTION:g} of the Nyquist frequency), not above "
                f"window.freqmin_hz = {w.freqmin_hz:g} Hz; lower it (--set window.freqmin_hz=...)"
            )
        window_update["freqmax_hz"] = round(limit, 3)
        changes.append(f"window.freqmax_hz {w.freqmax_hz:g} -> {limit:g} Hz")
    if "covariance_bands_hz" not in m.model_fields_set and m.covariance_bands_hz:
        bands = clip_bands(m.covariance_bands_hz, limit)
        lowest = min(float(lo) for lo, _ in m.covariance_bands_hz)
        if not bands and limit > lowest:  # slow data: one band from the lowest corner up
            bands = [(lowest, round(limit, 3))]
        if bands != [tuple(b) for b in m.covariance_bands_hz]:
            if not bands and m.covariance_features:
                raise ConfigError(
                    f"{source}: sampled at {sampling_rate:g} Hz, no covariance band of "
                    f"model.covariance_bands_hz fits below {limit:g} Hz; set bands that do"
                )
            model_update["covariance_bands_hz"] = bands
            changes.append(
                "model.covariance_bands_hz -> " + ", ".join(f"{lo:g}-{hi:g}" for lo, hi in bands)
            )
    if not changes:
        return config
    log.info(
        "%s is sampled at %g Hz (Nyquist %g Hz): bands chosen below %g Hz: %s "
        "(set them with --set to choose others)",
        source,
        sampling_rate,
        sampling_rate / 2,
        limit,
        "; ".join(changes),
    )
    return config.model_copy(
        update={
            "window": w.model_copy(update=window_update),
            "model": m.model_copy(update=model_update),
        }
    )


def clip_bands(
    bands: list[tuple[float, float]] | list[list[float]], limit: float
) -> list[tuple[float, float]]:
    """Bands with upper corners clipped to ``limit`` Hz; too narrow ones and repeats dropped.

    A band is kept when its clipped upper corner is at least :data:`MIN_BAND_RATIO`
    times its lower corner.
    """
    out: list[tuple[float, float]] = []
    for lo, hi in bands:
        top = min(float(hi), limit)
        band = (float(lo), round(top, 3))
        if top >= MIN_BAND_RATIO * float(lo) and band not in out:
            out.append(band)
    return out


def lowest_rate_hz(metadata: pd.DataFrame) -> float:
    """The slowest positive sampling rate in the metadata, Hz (NaN when none is given)."""
    import numpy as np
    import pandas as pd

    from seislearn.data import schema

    if schema.SAMPLING_RATE not in metadata.columns:
        return float("nan")
    rates = pd.to_numeric(metadata[schema.SAMPLING_RATE], errors="coerce").to_numpy(float)
    rates = rates[np.isfinite(rates) & (rates > 0)]
    return float(rates.min()) if len(rates) else float("nan")
