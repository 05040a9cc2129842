"""Physics-shaped synthetic local earthquakes (3 components, ZNE).

The generator is the embedded default for the demo and most tests. It is
simple but shaped by the physics a model should learn:

* **Geometry.** A station at a reference point; a source at epicentral
  distance ``d`` (km) and back-azimuth ``baz`` (degrees clockwise from north,
  station to source) and depth ``h`` (km). Labels are recomputed from the
  coordinates with :func:`obspy.geodetics.gps2dist_azimuth`, so
  ``path_back_azimuth_deg`` always agrees with the coordinates.
* **Travel times.** Straight rays in a half-space, ``vp`` = 6.0 km/s,
  ``vs`` = 3.5 km/s: the S-P time grows with hypocentral distance.
* **Polarization.** P moves along the ray. With incidence ``i`` (degrees from
  vertical at the station, after refraction into slower near-surface rock) a
  compressional first motion is *up* on Z and *away from the source* on the
  horizontals: ``Z = cos(i) s(t)``, ``N = -sin(i) cos(baz) s(t)``,
  ``E = -sin(i) sin(baz) s(t)``. So rotating N/E to R/T with ObsPy's
  :func:`obspy.signal.rotate.rotate_ne_rt` and the true back-azimuth puts the
  P energy on R (positive, away from the source) and almost none on T, and Z
  and R of the P onset are correlated positively. The source polarity is
  random (either sign of ``s``), as for real focal mechanisms. S is a mix of
  SH (transverse) and SV (in the ray plane, perpendicular to the ray).
* **Source spectrum.** Brune omega-squared: the displacement pulse has the
  spectrum ``1 / (1 + i f / fc)^2``, with corner frequency
  ``fc = 0.49 beta (stress_drop / M0)^(1/3)`` from magnitude and a stress drop
  drawn per *source population* (e.g. low and high stress drop, for
  classification), then anelastic attenuation ``exp(-pi f t*)``.
* **Amplitude** from magnitude and distance (a local-magnitude-like
  attenuation law), S about 1.7 times P.
* **Coda** of scattered, randomly polarized energy with an exponential decay.
* **Noise.** Coloured noise (red spectrum plus a microseism peak) scaled to a
  target SNR: ``snr_db = 20 log10(rms(signal, first second after P) / rms(noise))``,
  all three components together. Noise-only traces have category ``noise``.
* **Station site (opt-in, :class:`SiteEffects`).** By default the station is
  ideal. Real single stations are not, and polarization analysis inherits
  every one of these effects: a horizontal sensor *misorientation* (the "N"
  channel points a few degrees off north); a *back-azimuth-dependent
  deviation* of the P polarization from the great-circle direction, as made by
  a dipping interface under the station (a 360-degree periodic term) and
  anisotropy (180-degree periodic), ``dev(baz) = a1 sin(baz - phi1) +
  a2 sin(2 (baz - phi2))``; and *directional noise*, a share of the noise that
  is Rayleigh-type (Z and radial 90 degrees out of phase) from a persistent
  source azimuth (ocean microseism, a road). The labels stay the geometric
  back-azimuth from the coordinates, which is what a user wants to recover.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from seislearn.data import schema
from seislearn.data.dataset import ArrayLoader, WaveformDataset

if TYPE_CHECKING:
    from seislearn.data.noise import NoiseBank

VP_KM_S = 6.0
VS_KM_S = 3.5
#: Near-surface P velocity: rays refract towards the vertical on their way up.
VP_SURFACE_KM_S = 4.0
BETA_M_S = 3500.0
KM_PER_DEG = 111.19


@dataclass(frozen=True)
class SiteEffects:
    """How one station's site and installation distort the recorded wavefield.

    All zero (the default) is an ideal station. :meth:`typical` gives modest
    values of the kind reported for permanent stations.

    Attributes
    ----------
    misorientation_deg : float, degrees clockwise
        Azimuth the "N" channel really points to (the "E" channel 90 degrees
        further); the recorded N/E are the ground motion rotated into that frame.
    deviation_amplitude_deg : tuple of two floats, degrees
        Amplitudes ``a1, a2`` of the 360- and 180-degree periodic deviation of
        the P (and S) polarization azimuth from the geometric back-azimuth.
    deviation_phase_deg : tuple of two floats, degrees
        Phases ``phi1, phi2`` of those two terms.
    noise_directional_fraction : float, 0-1
        Share of the noise power that is Rayleigh-type from one azimuth.
    noise_azimuth_deg : float, degrees
        Mean azimuth the directional noise comes from.
    noise_azimuth_spread_deg : float, degrees
        Standard deviation of that azimuth from trace to trace.
    """

    misorientation_deg: float = 0.0
    deviation_amplitude_deg: tuple[float, float] = (0.0, 0.0)
    deviation_phase_deg: tuple[float, float] = (0.0, 0.0)
    noise_directional_fraction: float = 0.0
    noise_azimuth_deg: float = 0.0
    noise_azimuth_spread_deg: float = 0.0

    @classmethod
    def typical(cls) -> SiteEffects:
        """A modest, realistic station: 4 degrees misoriented, a deviation of up to
        about 9 degrees (6 degrees 360-periodic, 3 degrees 180-periodic), and half
        of the noise power Rayleigh-type from about 250 degrees (spread 15 degrees).
        """
        return cls(
            misorientation_deg=4.0,
            deviation_amplitude_deg=(6.0, 3.0),
            deviation_phase_deg=(40.0, 110.0),
            noise_directional_fraction=0.5,
            noise_azimuth_deg=250.0,
            noise_azimuth_spread_deg=15.0,
        )

    @classmethod
    def random(cls, rng: np.random.Generator) -> SiteEffects:
        """A station drawn at random, for training a model that is not tied to one station.

        Misorientation normal with standard deviation 3 degrees; deviation amplitudes
        uniform in 0-8 degrees (360-periodic) and 0-4 degrees (180-periodic) with random
        phases; 0-50 % of the noise power Rayleigh-type from a random azimuth
        (spread 15 degrees).

        Parameters
        ----------
        rng : numpy.random.Generator
        """
        return cls(
            misorientation_deg=float(rng.normal(0.0, 3.0)),
            deviation_amplitude_deg=(float(rng.uniform(0, 8)), float(rng.uniform(0, 4))),
            deviation_phase_deg=(float(rng.uniform(0, 360)), float(rng.uniform(0, 360))),
            noise_directional_fraction=float(rng.uniform(0.0, 0.5)),
            noise_azimuth_deg=float(rng.uniform(0, 360)),
            noise_azimuth_spread_deg=15.0,
        )

    @property
    def is_ideal(self) -> bool:
        """True when the station adds no effect at all."""
        return (
            self.misorientation_deg == 0.0
            and not any(self.deviation_amplitude_deg)
            and self.noise_directional_fraction == 0.0
        )

    def polarization_azimuth_deg(self, back_azimuth_deg: np.ndarray | float) -> np.ndarray:
        """Azimuth (degrees, geographic frame) the P polarization points back along."""
        b = np.radians(np.asarray(back_azimuth_deg, dtype=float))
        (a1, a2), (p1, p2) = self.deviation_amplitude_deg, self.deviation_phase_deg
        dev = a1 * np.sin(b - np.radians(p1)) + a2 * np.sin(2 * (b - np.radians(p2)))
        return np.mod(np.degrees(b) + dev, 360.0)

    def record(self, zne: np.ndarray) -> np.ndarray:
        """Ground motion (3, n) in the geographic ZNE frame as the misoriented sensor records it."""
        if self.misorientation_deg == 0.0:
            return zne
        t = np.radians(self.misorientation_deg)
        out = zne.copy()
        out[1] = np.cos(t) * zne[1] + np.sin(t) * zne[2]
        out[2] = -np.sin(t) * zne[1] + np.cos(t) * zne[2]
        return out


@dataclass
class SyntheticConfig:
    """Parameters of :func:`make_events`.

    Attributes
    ----------
    sampling_rate : float, Hz
    duration_s : float, seconds, trace length
    p_time_range_s : tuple, seconds, P arrival time after the trace start
    distance_range_km : tuple, epicentral distance, km
    depth_range_km : tuple, km
    magnitude_range : tuple, uniform in magnitude
    snr_db_range : tuple, dB, uniform
    populations : dict, population name -> (log10 stress drop in MPa, its standard deviation)
    noise_fraction : float, fraction of traces that are noise only
    stations_per_event : int, stations recording each event (each its own trace)
    split_fractions : tuple, train/dev/test fractions, assigned per event
    station_latitude_deg, station_longitude_deg : float, reference station position
    site : SiteEffects, the reference station's site and installation (ideal by default)
    surface_vp_range_km_s : tuple, km/s, near-surface P velocity, uniform per trace: rays
        refract towards the vertical by ``sin(i) = sin(i_ray) vp_surface / vp``, so slower
        rock gives steeper incidence (one value: the old fixed 4 km/s)
    instrument : {"ideal", "broadband", "short_period"}, the sensor and digitizer response
        applied to signal and synthetic noise (see :func:`instrument_response`)
    site_resonance : bool, a near-surface resonance per trace (see :func:`resonance_response`)
    p_coda_ratio_range : tuple, scattered P coda amplitude relative to the direct P pulse,
        uniform per trace
    p_coda_rise_s_range : tuple, seconds, build-up time of the scattered P coda after the
        onset, log-uniform per trace (short: scattering right under the station)
    noise_model : {"coloured", "varied"}, one noise spectrum for all traces, or a spectral
        colour, microseism peak, horizontal-to-vertical ratio and directional share drawn
        per trace (see :func:`varied_noise`)
    random_sites : bool, every event recorded by another station: misorientation,
        polarization deviation and directional noise drawn per event (see
        :meth:`SiteEffects.random`); overrides ``site``
    snr_band_hz : tuple or None, Hz, measure the SNR after a band-pass in this band
        (None: broadband, the old definition)
    noise_bank : NoiseBank or None, real noise (pre-P windows of the user's own recordings,
        :class:`seislearn.data.noise.NoiseBank`) mixed into the signals
    noise_bank_fraction : float, 0-1, share of the traces that get real noise from
        ``noise_bank`` (the others get synthetic noise)
    """

    sampling_rate: float = 100.0
    duration_s: float = 60.0
    p_time_range_s: tuple[float, float] = (8.0, 15.0)
    distance_range_km: tuple[float, float] = (5.0, 80.0)
    depth_range_km: tuple[float, float] = (2.0, 20.0)
    magnitude_range: tuple[float, float] = (1.0, 3.5)
    snr_db_range: tuple[float, float] = (0.0, 20.0)
    populations: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: {"low_stress": (-0.7, 0.15), "high_stress": (1.3, 0.15)}
    )
    noise_fraction: float = 0.0
    stations_per_event: int = 1
    split_fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)
    station_latitude_deg: float = 46.0
    station_longitude_deg: float = 8.0
    site: SiteEffects = field(default_factory=SiteEffects)
    surface_vp_range_km_s: tuple[float, float] = (VP_SURFACE_KM_S, VP_SURFACE_KM_S)
    instrument: Literal["ideal", "broadband", "short_period"] = "ideal"
    site_resonance: bool = False
    p_coda_ratio_range: tuple[float, float] = (0.35, 0.35)
    p_coda_rise_s_range: tuple[float, float] = (0.3, 0.3)
    noise_model: Literal["coloured", "varied"] = "coloured"
    random_sites: bool = False
    snr_band_hz: tuple[float, float] | None = None
    noise_bank: NoiseBank | None = None
    noise_bank_fraction: float = 1.0

    @classmethod
    def ideal(cls, **changes: Any) -> SyntheticConfig:
        """The original generator: an ideal station, fixed near-surface velocity, one noise
        spectrum, local shallow events (the library default, kept for reproducibility)."""
        return cls(**changes)

    @classmethod
    def broad(cls, **changes: Any) -> SyntheticConfig:
        """Broader physics (``seislearn data synth events --physics broad``).

        Local to regional and intermediate-depth events (5-250 km away, 2-200 km deep, so
        incidences from near-vertical to grazing), near-surface P velocity 2-5.5 km/s, a
        broadband sensor with the digitizer's anti-alias filter, a near-surface resonance
        per trace, scattered P coda of varied strength and build-up, noise of varied
        colour, H/V ratio and directionality, a different station per event
        (misorientation, polarization deviation, directional noise), SNR 0-40 dB measured
        in the 1-20 Hz band. ``changes`` override single fields.
        """
        values: dict[str, Any] = {
            "distance_range_km": (5.0, 250.0),
            "depth_range_km": (2.0, 200.0),
            "snr_db_range": (0.0, 40.0),
            "surface_vp_range_km_s": (2.0, 5.5),
            "instrument": "broadband",
            "site_resonance": True,
            "p_coda_ratio_range": (0.1, 0.6),
            "p_coda_rise_s_range": (0.05, 1.0),
            "noise_model": "varied",
            "random_sites": True,
            "snr_band_hz": (1.0, 20.0),
        }
        values.update(changes)
        return cls(**values)


def instrument_response(freqs: np.ndarray, kind: str, sampling_rate: float) -> np.ndarray:
    """Complex response of a sensor and digitizer to ground velocity, dimensionless.

    Parameters
    ----------
    freqs : ndarray, Hz
    kind : {"ideal", "broadband", "short_period"}
        ``ideal``: 1 everywhere. ``broadband``: flat to velocity above a 2-pole
        high-pass at 1/120 Hz, then the digitizer's anti-alias filter, a causal 4-pole
        Butterworth low-pass at 0.4 times the sampling rate (minimum phase, so the P
        onset rings a little after, never before, the arrival). ``short_period``: a
        1 Hz geophone (damping 0.707, flat to velocity above 1 Hz, falling as f^2
        below) with the same anti-alias filter.
    sampling_rate : float, Hz

    Returns
    -------
    ndarray of complex, the same shape as ``freqs``
    """
    from scipy.signal import butter
    from scipy.signal import freqs as analog_response

    f = np.asarray(freqs, dtype=float)
    if kind == "ideal":
        return np.ones(f.shape, dtype=complex)
    if kind not in ("broadband", "short_period"):
        raise ValueError(f"unknown instrument {kind!r}; choose ideal, broadband or short_period")
    w = 2 * np.pi * f
    b, a = butter(4, 2 * np.pi * 0.4 * sampling_rate, "low", analog=True)
    response = analog_response(b, a, worN=w)[1]
    corner, damping = (1.0 / 120.0, 0.707) if kind == "broadband" else (1.0, 0.707)
    s = 1j * w
    w0 = 2 * np.pi * corner
    return response * s**2 / (s**2 + 2 * damping * w0 * s + w0**2)


def resonance_response(
    freqs: np.ndarray, f0_hz: float, amplification: float, q: float
) -> np.ndarray:
    """Complex transfer function of a resonant near-surface layer, dimensionless.

    ``T(f) = 1 + (A - 1) / (1 + i Q (f / f0 - f0 / f))``: 1 far from the resonance,
    ``A`` at ``f0``, with the phase of a resonator (the layer rings after the arrival).
    A soft layer of thickness ``H`` and shear velocity ``vs`` resonates near
    ``vs / (4 H)`` on the horizontals and higher on the vertical, so the Z and
    horizontal motions of P get different amplitudes and phases at each frequency.

    Parameters
    ----------
    freqs : ndarray, Hz
    f0_hz : float, Hz, resonance frequency
    amplification : float, peak amplification ``A`` (1: none)
    q : float, quality factor (width of the peak, ``f0 / Q``)
    """
    f = np.maximum(np.asarray(freqs, dtype=float), 1e-6)
    return 1.0 + (amplification - 1.0) / (1.0 + 1j * q * (f / f0_hz - f0_hz / f))


def corner_frequency_hz(magnitude: np.ndarray, stress_drop_mpa: np.ndarray) -> np.ndarray:
    """Brune corner frequency, Hz, from moment magnitude and stress drop (MPa)."""
    m0 = 10.0 ** (1.5 * np.asarray(magnitude) + 9.1)  # N m
    return 0.49 * BETA_M_S * (np.asarray(stress_drop_mpa) * 1e6 / m0) ** (1.0 / 3.0)


def peak_velocity_nm_s(magnitude: np.ndarray, hypocentral_km: np.ndarray) -> np.ndarray:
    """Peak P-wave ground velocity, nm/s, from an ML-like attenuation law."""
    r = np.maximum(np.asarray(hypocentral_km), 1.0)
    return 10.0 ** (np.asarray(magnitude) + 2.5 - 1.1 * np.log10(r / 10.0) - 0.002 * (r - 10.0))


def _pulse_spectrum(freqs: np.ndarray, fc: float, t_star: float, delay_s: float) -> np.ndarray:
    """Spectrum of a unit Brune velocity pulse delayed by ``delay_s`` seconds."""
    w = 2j * np.pi * freqs
    wc = 2 * np.pi * fc
    displacement = wc**2 / (wc + w) ** 2
    return w * displacement * np.exp(-np.pi * freqs * t_star) * np.exp(-w * delay_s)


def _coloured_noise(rng: np.random.Generator, n: int, sr: float, channels: int = 3) -> np.ndarray:
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    shape = 1.0 / np.sqrt(1.0 + (freqs / 2.0) ** 2)  # red above 2 Hz
    shape += 3.0 * np.exp(-0.5 * ((freqs - 0.2) / 0.08) ** 2)  # microseism
    shape[0] = 0.0
    spec = rng.standard_normal((channels, freqs.size)) + 1j * rng.standard_normal(
        (channels, freqs.size)
    )
    noise = np.fft.irfft(spec * shape, n=n, axis=-1)
    return noise / noise.std(axis=-1, keepdims=True)


def varied_noise(rng: np.random.Generator, n: int, sr: float) -> np.ndarray:
    """Noise (3, n) of a spectral colour, microseism and polarization drawn for this trace.

    The amplitude spectrum is ``(1 + (f / fc)^2)^(-p / 2)`` with corner ``fc``
    log-uniform in 0.5-5 Hz and slope ``p`` uniform in 0.5-2.5, plus a microseism
    peak (0.12-0.3 Hz, 0.3-10 times the flat level); the horizontals are scaled by
    an H/V ratio log-uniform in 0.7-2.5 (noise is usually stronger on the
    horizontals), each horizontal by its own factor within 20 %. Unit mean variance
    per channel, like :func:`_coloured_noise`.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int, samples
    sr : float, Hz
    """
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    fc = np.exp(rng.uniform(np.log(0.5), np.log(5.0)))
    slope = rng.uniform(0.5, 2.5)
    shape = (1.0 + (freqs / fc) ** 2) ** (-slope / 2)
    fm = rng.uniform(0.12, 0.3)
    shape = shape + np.exp(rng.uniform(np.log(0.3), np.log(10.0))) * np.exp(
        -0.5 * ((freqs - fm) / (0.3 * fm)) ** 2
    )
    shape[0] = 0.0
    spec = rng.standard_normal((3, freqs.size)) + 1j * rng.standard_normal((3, freqs.size))
    noise = np.fft.irfft(spec * shape, n=n, axis=-1)
    noise /= noise.std(axis=-1, keepdims=True)
    hv = np.exp(rng.uniform(np.log(0.7), np.log(2.5)))
    noise[1:] *= hv * rng.uniform(0.8, 1.2, size=(2, 1))
    return noise / np.sqrt(np.mean(noise.var(axis=-1)))


def _band_rms(x: np.ndarray, sr: float, band: tuple[float, float] | None) -> np.ndarray:
    """``x`` (..., n) band-passed with a zero-phase spectral mask, or unchanged without a band."""
    if band is None:
        return x
    freqs = np.fft.rfftfreq(x.shape[-1], 1.0 / sr)
    hi = min(band[1], 0.45 * sr)
    spec = np.fft.rfft(x, axis=-1)
    spec[..., (freqs < band[0]) | (freqs > hi)] = 0.0
    return np.fft.irfft(spec, n=x.shape[-1], axis=-1)


def _site_noise(
    rng: np.random.Generator,
    site_rng: np.random.Generator,
    n: int,
    sr: float,
    site: SiteEffects,
    varied: bool = False,
) -> np.ndarray:
    """Coloured noise (3, n) in the geographic frame, part of it Rayleigh-type from one azimuth.

    The directional part is retrograde-elliptical like a fundamental-mode
    Rayleigh wave: the radial component (along the propagation direction, away
    from the noise source) is the Hilbert transform of the vertical, with a
    horizontal-to-vertical ratio of 0.8. The result has unit mean variance per
    channel, like :func:`_coloured_noise`. The directional part draws from
    ``site_rng`` so that the events (sources, SNR, isotropic noise) are the same
    whatever the site.
    """
    from scipy.signal import hilbert

    noise = varied_noise(rng, n, sr) if varied else _coloured_noise(rng, n, sr)
    f = site.noise_directional_fraction
    if f == 0.0:
        return noise
    vertical = _coloured_noise(site_rng, n, sr, channels=1)[0]
    radial = 0.8 * np.imag(hilbert(vertical))
    azimuth = np.radians(site_rng.normal(site.noise_azimuth_deg, site.noise_azimuth_spread_deg))
    # Propagation away from the source at ``azimuth``: radial unit vector (N, E) = -(cos, sin).
    directional = np.stack([vertical, -np.cos(azimuth) * radial, -np.sin(azimuth) * radial])
    directional /= np.sqrt(np.mean(directional.var(axis=-1)))
    return np.sqrt(1.0 - f) * noise + np.sqrt(f) * directional


def _phase(
    rng: np.random.Generator,
    n: int,
    sr: float,
    onset_s: float,
    fc: float,
    t_star: float,
    coda_decay_s: float,
    coda_ratio: float,
    rise_s: float = 0.3,
) -> tuple[np.ndarray, np.ndarray]:
    """One phase: a polarized Brune pulse (1D) and randomly polarized coda (3, n)."""
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    pulse = np.fft.irfft(_pulse_spectrum(freqs, fc, t_star, onset_s), n=n)
    peak = np.abs(pulse).max()
    pulse /= peak
    t = np.arange(n) / sr - onset_s
    envelope = np.where(
        t > 0, (1 - np.exp(-t / rise_s)) * np.exp(-np.maximum(t, 0) / coda_decay_s), 0
    )
    filt = np.abs(_pulse_spectrum(freqs, fc, t_star, 0.0))
    spec = rng.standard_normal((3, freqs.size)) + 1j * rng.standard_normal((3, freqs.size))
    coda = np.fft.irfft(spec * filt, n=n, axis=-1)
    coda = coda / (np.abs(coda).max() + 1e-12) * envelope * coda_ratio
    return pulse, coda


def make_events(n: int, seed: int = 0, config: SyntheticConfig | None = None) -> WaveformDataset:
    """Generate ``n`` synthetic 3-component traces in memory.

    Parameters
    ----------
    n : int
        Number of traces (events times stations; noise traces included).
    seed : int
        Seed of the random generator: the same seed gives the same data.
    config : SyntheticConfig, optional

    Returns
    -------
    WaveformDataset
        Waveforms float32 ``(3, N)`` in ZNE order, nm/s; metadata with SeisBench
        columns, ``source_type`` (the population) and ``split`` (by event).
    """
    from obspy.geodetics import gps2dist_azimuth

    cfg = config or SyntheticConfig()
    rng = np.random.default_rng(seed)
    site_rng = np.random.default_rng([seed, 1])  # the site's own draws; events stay the same
    # Draws of the broader physics (off by default) come from their own stream, so the
    # original generator's events are unchanged whatever is switched on.
    phys_rng = np.random.default_rng([seed, 2])
    sr = cfg.sampling_rate
    npts = round(cfg.duration_s * sr)
    freqs = np.fft.rfftfreq(npts, 1.0 / sr)
    response = None if cfg.instrument == "ideal" else instrument_response(freqs, cfg.instrument, sr)
    vp_lo, vp_hi = cfg.surface_vp_range_km_s
    broad_coda = tuple(cfg.p_coda_ratio_range) != (0.35, 0.35) or tuple(
        cfg.p_coda_rise_s_range
    ) != (0.3, 0.3)
    pops = list(cfg.populations)
    n_noise = round(n * cfg.noise_fraction)
    n_event_traces = n - n_noise
    n_events = int(np.ceil(n_event_traces / cfg.stations_per_event)) if n_event_traces else 0
    # Cumulative split fractions, normalized so fractions that do not sum to one still work.
    split_bounds = np.cumsum(cfg.split_fractions) / np.sum(cfg.split_fractions)

    def draw_split() -> str:
        """Draw train/dev/test for one event (one uniform draw, as the seeded stream expects)."""
        index = int(np.searchsorted(split_bounds, rng.uniform()))
        return schema.SPLITS[min(index, len(schema.SPLITS) - 1)]

    waveforms: dict[str, np.ndarray] = {}
    rows: list[dict] = []
    t0 = pd.Timestamp("2020-01-01T00:00:00Z")
    event_times = np.sort(rng.uniform(0, 365 * 86400, n_events + n_noise))

    for ev in range(n_events):
        population = pops[int(rng.integers(len(pops)))]
        log_sd, sd_sigma = cfg.populations[population]
        stress_drop = 10 ** rng.normal(log_sd, sd_sigma)
        magnitude = rng.uniform(*cfg.magnitude_range)
        depth = rng.uniform(*cfg.depth_range_km)
        split = draw_split()
        # Epicentre placed relative to the reference station.
        ev_dist = rng.uniform(*cfg.distance_range_km)
        ev_az = rng.uniform(0, 360)
        src_lat = cfg.station_latitude_deg + ev_dist * np.cos(np.radians(ev_az)) / KM_PER_DEG
        src_lon = cfg.station_longitude_deg + ev_dist * np.sin(np.radians(ev_az)) / (
            KM_PER_DEG * np.cos(np.radians(cfg.station_latitude_deg))
        )
        origin = t0 + pd.Timedelta(seconds=float(event_times[ev]))
        for st in range(cfg.stations_per_event):
            if len(rows) >= n_event_traces:
                break
            if st == 0:
                sta_lat, sta_lon = cfg.station_latitude_deg, cfg.station_longitude_deg
            else:  # other stations scattered around the source
                d = rng.uniform(*cfg.distance_range_km)
                a = rng.uniform(0, 360)
                sta_lat = src_lat + d * np.cos(np.radians(a)) / KM_PER_DEG
                sta_lon = src_lon + d * np.sin(np.radians(a)) / (
                    KM_PER_DEG * np.cos(np.radians(src_lat))
                )
            dist_m, _, baz = gps2dist_azimuth(src_lat, src_lon, sta_lat, sta_lon)
            dist_km = dist_m / 1000.0
            hypo = float(np.hypot(dist_km, depth))
            ray_incidence = np.degrees(np.arctan2(dist_km, depth))
            vp_surface = vp_lo  # one value: no draw (the original generator's 4 km/s)
            if vp_lo != vp_hi:
                vp_surface = float(phys_rng.uniform(vp_lo, vp_hi))
            incidence = float(
                np.degrees(np.arcsin(np.sin(np.radians(ray_incidence)) * vp_surface / VP_KM_S))
            )
            tp = rng.uniform(*cfg.p_time_range_s)
            ts = tp + hypo / VS_KM_S - hypo / VP_KM_S
            fc = float(corner_frequency_hz(magnitude, stress_drop))
            fc = min(fc, 0.45 * sr)
            amp_p = float(peak_velocity_nm_s(magnitude, hypo))
            coda_ratio, rise = 0.35, 0.3
            if broad_coda:
                coda_ratio = float(phys_rng.uniform(*cfg.p_coda_ratio_range))
                rise = float(np.exp(phys_rng.uniform(*np.log(cfg.p_coda_rise_s_range))))
            p_pulse, p_coda = _phase(
                rng, npts, sr, tp, fc, hypo / VP_KM_S / 800 + 0.01, 1.5, coda_ratio, rise
            )
            s_pulse, s_coda = _phase(
                rng, npts, sr, ts, fc / 1.5, hypo / VS_KM_S / 500 + 0.01, 4.0, 0.5
            )
            inc = np.radians(incidence)
            site = cfg.site
            if st == 0 and cfg.random_sites:
                site = SiteEffects.random(phys_rng)
            # Polarization azimuth: the geometric one unless the site deviates it.
            b = np.radians(site.polarization_azimuth_deg(baz) if st == 0 else baz)
            polarity = 1.0 if rng.uniform() < 0.5 else -1.0
            p_dir = np.array([np.cos(inc), -np.sin(inc) * np.cos(b), -np.sin(inc) * np.sin(b)])
            sv_dir = np.array([np.sin(inc), np.cos(inc) * np.cos(b), np.cos(inc) * np.sin(b)])
            sh_dir = np.array([0.0, -np.sin(b), np.cos(b)])
            mix = rng.uniform(0, 2 * np.pi)
            s_dir = np.cos(mix) * sv_dir + np.sin(mix) * sh_dir
            signal = amp_p * (polarity * p_dir[:, None] * p_pulse + p_coda)
            signal += 1.7 * amp_p * (s_dir[:, None] * s_pulse + s_coda)
            snr_db = rng.uniform(*cfg.snr_db_range)
            i0, i1 = int(tp * sr), int(tp * sr + sr)
            if cfg.site_resonance:
                f0 = float(np.exp(phys_rng.uniform(np.log(0.5), np.log(12.0))))
                amp_h = float(phys_rng.uniform(1.0, 4.0))
                q = float(phys_rng.uniform(2.0, 6.0))
                spec = np.fft.rfft(signal, axis=-1)
                spec[1:] *= resonance_response(freqs, f0, amp_h, q)
                spec[0] *= resonance_response(
                    freqs, f0 * float(phys_rng.uniform(1.7, 3.5)), 1.0 + 0.5 * (amp_h - 1.0), q
                )
                signal = np.fft.irfft(spec, n=npts, axis=-1)
            if response is not None:
                signal = np.fft.irfft(np.fft.rfft(signal, axis=-1) * response, n=npts, axis=-1)
            rms_signal = np.sqrt(np.mean(_band_rms(signal, sr, cfg.snr_band_hz)[:, i0:i1] ** 2))
            use_bank = st == 0 and cfg.noise_bank is not None
            if use_bank and cfg.noise_bank_fraction < 1.0:
                use_bank = bool(phys_rng.uniform() < cfg.noise_bank_fraction)
            if use_bank:
                # Real noise was recorded by the real sensor: no synthetic instrument or site.
                noise = cfg.noise_bank.draw(phys_rng, npts, sr)  # type: ignore[union-attr]
            elif st == 0 and not site.is_ideal:
                varied = cfg.noise_model == "varied"
                noise = _site_noise(
                    phys_rng if varied else rng, site_rng, npts, sr, site, varied=varied
                )
            elif cfg.noise_model == "varied":
                noise = varied_noise(phys_rng, npts, sr)
            else:
                noise = _coloured_noise(rng, npts, sr)
            if not use_bank and response is not None:
                noise = np.fft.irfft(np.fft.rfft(noise, axis=-1) * response, n=npts, axis=-1)
            rms_noise = 1.0  # every noise source has unit mean variance per channel
            if cfg.snr_band_hz is not None:
                rms_noise = float(np.sqrt(np.mean(_band_rms(noise, sr, cfg.snr_band_hz) ** 2)))
            noise = noise * rms_signal / max(rms_noise, 1e-30) / 10 ** (snr_db / 20)
            if use_bank:
                trace = site.record(signal) + noise
            elif st == 0 and not site.is_ideal:
                trace = site.record(signal + noise)
            else:
                trace = signal + noise
            name = f"synth_{len(rows):06d}"
            waveforms[name] = trace.astype(np.float32)
            rows.append(
                {
                    schema.TRACE_NAME: name,
                    schema.SOURCE_ID: f"ev{ev:06d}",
                    schema.SOURCE_ORIGIN_TIME: origin.isoformat(),
                    schema.START_TIME: (
                        origin + pd.Timedelta(seconds=hypo / VP_KM_S - tp)
                    ).isoformat(),
                    schema.SAMPLING_RATE: sr,
                    schema.P_ARRIVAL: tp * sr,
                    schema.S_ARRIVAL: ts * sr,
                    schema.SOURCE_LATITUDE: src_lat,
                    schema.SOURCE_LONGITUDE: src_lon,
                    schema.SOURCE_DEPTH: depth,
                    schema.SOURCE_MAGNITUDE: magnitude,
                    "source_magnitude_type": "Mw",
                    "source_stress_drop_mpa": stress_drop,
                    "source_corner_frequency_hz": fc,
                    "source_polarity": int(polarity),
                    "source_type": population,
                    schema.STATION_NETWORK: "XS",
                    schema.STATION_CODE: f"S{st:03d}",
                    schema.STATION_LATITUDE: sta_lat,
                    schema.STATION_LONGITUDE: sta_lon,
                    schema.BACK_AZIMUTH: baz,
                    schema.INCIDENCE: incidence,
                    schema.EP_DISTANCE: dist_km,
                    schema.SNR_DB: snr_db,
                    schema.CATEGORY: "earthquake",
                    schema.SPLIT: split,
                }
            )
    for k in range(n_noise):
        name = f"synth_{len(rows):06d}"
        amp = 10 ** rng.uniform(1, 3)
        if cfg.noise_bank is not None:
            noise = cfg.noise_bank.draw(phys_rng, npts, sr)
        elif cfg.noise_model == "varied":
            noise = varied_noise(phys_rng, npts, sr)
        elif cfg.site.is_ideal:
            noise = _coloured_noise(rng, npts, sr)
        else:
            noise = cfg.site.record(_site_noise(rng, site_rng, npts, sr, cfg.site))
        waveforms[name] = (noise * amp).astype(np.float32)
        start = t0 + pd.Timedelta(seconds=float(event_times[n_events + k]))
        split = draw_split()
        rows.append(
            {
                schema.TRACE_NAME: name,
                schema.SOURCE_ID: f"noise{k:06d}",
                schema.START_TIME: start.isoformat(),
                schema.SAMPLING_RATE: sr,
                schema.P_ARRIVAL: np.nan,
                schema.S_ARRIVAL: np.nan,
                schema.STATION_NETWORK: "XS",
                schema.STATION_CODE: "S000",
                schema.STATION_LATITUDE: cfg.station_latitude_deg,
                schema.STATION_LONGITUDE: cfg.station_longitude_deg,
                "source_type": "noise",
                schema.CATEGORY: "noise",
                schema.SPLIT: split,
            }
        )
    metadata = pd.DataFrame(rows)
    metadata[schema.COMPONENT_ORDER] = "ZNE"
    return WaveformDataset(metadata, ArrayLoader(waveforms), name=f"synthetic(seed={seed})")
