"""The broader physics of the synthetic generator: responses, incidence, noise, real noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from obspy.signal.rotate import rotate_ne_rt

from seislearn.data import schema
from seislearn.data.dataset import ArrayLoader, WaveformDataset
from seislearn.data.noise import NoiseBank, first_arrival_sample
from seislearn.data.synthetic import (
    VP_KM_S,
    SiteEffects,
    SyntheticConfig,
    instrument_response,
    make_events,
    resonance_response,
    varied_noise,
)

FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _waves(ds: WaveformDataset) -> np.ndarray:
    return np.stack([ds.get_waveform(i) for i in range(len(ds))]).astype(np.float64)


# -- responses ------------------------------------------------------------------------
@FAST
@given(st.floats(20.0, 200.0))
def test_broadband_is_flat_in_band_and_cuts_at_the_anti_alias_corner(sampling_rate):
    nyquist = sampling_rate / 2
    f = np.array([0.5, 0.1 * sampling_rate, 0.4 * sampling_rate, 0.49 * sampling_rate])
    h = np.abs(instrument_response(f, "broadband", sampling_rate))
    np.testing.assert_allclose(h[:2], 1.0, atol=0.01)  # flat to velocity in the band
    assert h[2] == pytest.approx(2**-0.5, rel=0.01)  # Butterworth -3 dB at 0.4 fs
    assert h[3] < 0.7 and h[3] < h[2]  # falling towards Nyquist
    assert nyquist > f[2]


@FAST
@given(st.floats(20.0, 200.0))
def test_short_period_geophone_falls_as_f_squared_below_one_hertz(sampling_rate):
    f = np.array([0.05, 0.1, 1.0, 5.0])
    h = np.abs(instrument_response(f, "short_period", sampling_rate))
    assert h[1] / h[0] == pytest.approx(4.0, rel=0.02)  # f^2 below the corner
    assert h[2] == pytest.approx(2**-0.5, rel=0.01)  # damping 0.707: -3 dB at 1 Hz
    assert h[3] == pytest.approx(1.0, abs=0.02)


@pytest.mark.parametrize(
    "response",
    [
        lambda f: resonance_response(f, 2.0, 3.0, 4.0),
        lambda f: instrument_response(f, "broadband", 100.0),
        lambda f: instrument_response(f, "short_period", 100.0),
    ],
)
def test_responses_are_causal(response):
    """A sensor or a resonant layer cannot ring before the arrival."""
    n = 8000
    h = np.fft.irfft(response(np.fft.rfftfreq(n, 0.01)), n=n)
    assert np.abs(h[n // 2 :]).max() < 0.03 * np.abs(h).max()


@FAST
@given(st.floats(0.5, 12.0), st.floats(1.0, 5.0), st.floats(1.5, 8.0))
def test_resonance_amplifies_by_a_at_f0_and_not_far_away(f0, amplification, q):
    h = resonance_response(np.array([f0, f0 / 50, f0 * 50]), f0, amplification, q)
    assert abs(h[0]) == pytest.approx(amplification, rel=1e-6)
    np.testing.assert_allclose(np.abs(h[1:]), 1.0, atol=0.1 * amplification)


# -- the original generator is unchanged ------------------------------------------------
def test_ideal_preset_is_the_original_generator():
    a, b = make_events(6, seed=2), make_events(6, seed=2, config=SyntheticConfig.ideal())
    np.testing.assert_array_equal(_waves(a), _waves(b))


def test_physics_options_leave_the_events_unchanged():
    """The broader physics draws from its own stream: same sources, same labels."""
    old = make_events(10, seed=4).metadata
    new = make_events(10, seed=4, config=SyntheticConfig(instrument="broadband")).metadata
    for column in (schema.BACK_AZIMUTH, schema.EP_DISTANCE, schema.SOURCE_MAGNITUDE):
        np.testing.assert_array_equal(old[column], new[column])


# -- incidence --------------------------------------------------------------------------
@FAST
@given(st.floats(2.0, 5.9))
def test_slower_near_surface_rock_gives_the_snell_incidence(vp_surface):
    cfg = SyntheticConfig(surface_vp_range_km_s=(vp_surface, vp_surface))
    meta = make_events(4, seed=1, config=cfg).metadata
    ray = np.arctan2(meta[schema.EP_DISTANCE], meta[schema.SOURCE_DEPTH])
    expected = np.degrees(np.arcsin(np.sin(ray) * vp_surface / VP_KM_S))
    np.testing.assert_allclose(meta[schema.INCIDENCE], expected, rtol=1e-9)


def test_broad_physics_covers_steep_and_grazing_incidence():
    inc = make_events(300, seed=0, config=SyntheticConfig.broad()).metadata[schema.INCIDENCE]
    ideal = make_events(300, seed=0).metadata[schema.INCIDENCE]
    assert inc.min() < 10 and inc.max() > 40
    assert np.percentile(inc, 25) < np.percentile(ideal, 25) - 10  # many steeper rays


def test_measured_incidence_follows_the_label_with_broad_physics():
    """Z/R amplitude of the P onset (high SNR, no resonance) gives back the incidence."""
    cfg = SyntheticConfig.broad(snr_db_range=(40.0, 40.0), site_resonance=False)
    ds = make_events(60, seed=3, config=cfg)
    measured, label = [], []
    for i in range(len(ds)):
        wave, meta = ds[i]
        p = round(meta[schema.P_ARRIVAL])
        seg = wave[:, p - 2 : p + 8].astype(np.float64)
        r, _ = rotate_ne_rt(seg[1], seg[2], meta[schema.BACK_AZIMUTH])
        cov = np.cov(np.vstack([seg[0], r]))
        vec = np.linalg.eigh(cov)[1][:, -1]
        measured.append(np.degrees(np.arctan2(abs(vec[1]), abs(vec[0]))))
        label.append(meta[schema.INCIDENCE])
    assert np.corrcoef(measured, label)[0, 1] > 0.8


# -- polarization physics survives the broader physics -------------------------------
def test_broad_physics_keeps_p_radial_and_first_motion_up_and_away():
    cfg = SyntheticConfig.broad(snr_db_range=(35.0, 40.0))
    ds = make_events(80, seed=5, config=cfg)
    signs, ratios = [], []
    for i in range(len(ds)):
        wave, meta = ds[i]
        p = round(meta[schema.P_ARRIVAL])
        seg = wave[:, p : p + 15].astype(np.float64)
        r, t = rotate_ne_rt(seg[1], seg[2], meta[schema.BACK_AZIMUTH])
        ratios.append((t**2).sum() / (r**2).sum())
        signs.append(np.sign(np.dot(seg[0], r)))
    # Random stations deviate P by up to 12 degrees and the coda is random: mostly radial.
    assert np.median(ratios) < 0.1
    assert np.mean(np.array(signs) > 0) > 0.85


def test_random_sites_are_modest_and_different():
    rng = np.random.default_rng(0)
    sites = [SiteEffects.random(rng) for _ in range(200)]
    mis = np.array([s.misorientation_deg for s in sites])
    assert 2.0 < mis.std() < 4.0 and abs(mis.mean()) < 1.0
    assert max(max(s.deviation_amplitude_deg) for s in sites) <= 8.0
    assert not any(s.is_ideal for s in sites)


# -- noise ------------------------------------------------------------------------------
@FAST
@given(st.integers(0, 10_000), st.sampled_from([20.0, 50.0, 100.0, 200.0]))
def test_varied_noise_has_unit_variance_and_is_stronger_on_horizontals_on_average(seed, sr):
    noise = varied_noise(np.random.default_rng(seed), 4000, sr)
    assert np.mean(noise.var(axis=1)) == pytest.approx(1.0, rel=1e-6)
    assert np.all(np.isfinite(noise))


def test_varied_noise_colour_and_hv_change_from_trace_to_trace():
    rng = np.random.default_rng(1)
    hv = [
        np.sqrt(n[1:].var() / n[0].var())
        for n in (varied_noise(rng, 4000, 100.0) for _ in range(50))
    ]
    assert np.mean(hv) > 1.0 and np.std(hv) > 0.2


def test_in_band_snr_label_matches_the_measured_in_band_snr():
    from seislearn.data.synthetic import _band_rms

    cfg = SyntheticConfig.broad(snr_db_range=(5.0, 25.0), noise_model="coloured")
    cfg = SyntheticConfig.broad(snr_db_range=(5.0, 25.0))
    ds = make_events(30, seed=2, config=cfg)
    errs = []
    for i in range(len(ds)):
        wave, meta = ds[i]
        band = _band_rms(wave.astype(np.float64), meta[schema.SAMPLING_RATE], (1.0, 20.0))
        p = round(meta[schema.P_ARRIVAL])
        sr = round(meta[schema.SAMPLING_RATE])
        noise = band[:, sr : p - sr]
        signal = band[:, p : p + sr]
        measured = 10 * np.log10(
            max(np.mean(signal**2) - np.mean(noise**2), 1e-12) / np.mean(noise**2)
        )
        errs.append(measured - meta[schema.SNR_DB])
    assert abs(np.median(errs)) < 2.5


# -- real noise -------------------------------------------------------------------------
def _noise_dataset(n: int = 6, sr: float = 50.0, with_picks: bool = True) -> WaveformDataset:
    """Anisotropic 'real' noise (E twice N, N twice Z) with a strong pulse at 30 s."""
    rng = np.random.default_rng(0)
    waves, rows = {}, []
    for i in range(n):
        x = rng.standard_normal((3, int(60 * sr))) * np.array([[1.0], [2.0], [4.0]])
        x[:, int(30 * sr) : int(31 * sr)] += 200.0 * rng.standard_normal((3, int(sr)))
        waves[f"t{i}"] = x.astype(np.float32)
        rows.append(
            {
                schema.TRACE_NAME: f"t{i}",
                schema.SAMPLING_RATE: sr,
                schema.P_ARRIVAL: 30 * sr if with_picks else np.nan,
            }
        )
    meta = pd.DataFrame(rows)
    meta[schema.COMPONENT_ORDER] = "ZNE"
    return WaveformDataset(meta, ArrayLoader(waves), name="fake_station")


@pytest.mark.parametrize("with_picks", [True, False])
def test_noise_bank_takes_only_the_noise_before_the_arrival(with_picks):
    bank = NoiseBank.from_dataset(_noise_dataset(with_picks=with_picks), margin_s=2.0)
    assert len(bank.segments) == 6
    for seg in bank.segments:
        assert seg.shape[1] <= 28 * 50  # the pulse at 30 s (and 2 s before it) left out
        assert np.abs(seg).max() < 30  # no event energy
    # The polarization of the noise is kept: amplitude ratios Z : N : E = 1 : 2 : 4.
    x = bank.draw(np.random.default_rng(0), 5000, 50.0)
    np.testing.assert_allclose(x.std(axis=1) / x[0].std(), [1.0, 2.0, 4.0], rtol=0.1)
    assert np.mean(x.var(axis=1)) == pytest.approx(1.0, rel=1e-6)


def test_sta_lta_finds_a_synthetic_p_onset():
    ds = make_events(10, seed=1, config=SyntheticConfig(snr_db_range=(15.0, 20.0)))
    for i in range(len(ds)):
        wave, meta = ds[i]
        onset = first_arrival_sample(wave[0], meta[schema.SAMPLING_RATE])
        assert onset is not None
        # Never late (P energy would leak into the noise), at most a little early.
        delay_s = (onset - meta[schema.P_ARRIVAL]) / meta[schema.SAMPLING_RATE]
        assert -1.5 < delay_s < 0.5


@FAST
@given(st.sampled_from([20.0, 40.0, 100.0, 200.0]), st.integers(100, 3000))
def test_noise_bank_draws_any_length_at_any_rate(rate, n):
    bank = NoiseBank.from_dataset(_noise_dataset(n=2))
    x = bank.draw(np.random.default_rng(n), n, rate)
    assert x.shape == (3, n) and np.all(np.isfinite(x))


def test_noise_from_a_dataset_gets_its_spectrum_into_the_synthetic_traces():
    """Traces made with bank noise carry the bank's polarization before P."""
    bank = NoiseBank.from_dataset(_noise_dataset(sr=100.0))
    cfg = SyntheticConfig.broad(noise_bank=bank, snr_db_range=(10.0, 10.0), random_sites=False)
    ds = make_events(8, seed=0, config=cfg)
    for i in range(len(ds)):
        wave, meta = ds[i]
        pre = wave[:, : int(meta[schema.P_ARRIVAL]) - 100].astype(np.float64)
        ratio = pre.std(axis=1) / pre[0].std()
        np.testing.assert_allclose(ratio, [1.0, 2.0, 4.0], rtol=0.2)


def test_noise_bank_reads_no_labels():
    """Labels are not read: shuffled back-azimuths give the same bank."""
    ds = _noise_dataset()
    with_labels = ds.metadata.copy()
    with_labels[schema.BACK_AZIMUTH] = np.arange(6) * 60.0
    a = NoiseBank.from_dataset(WaveformDataset(with_labels, ds.loader))
    with_labels[schema.BACK_AZIMUTH] = with_labels[schema.BACK_AZIMUTH].to_numpy()[::-1]
    b = NoiseBank.from_dataset(WaveformDataset(with_labels, ds.loader))
    for x, y in zip(a.segments, b.segments, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(("given", "expected"), [(None, 20.0), (40.0, 40.0)])
def test_noise_from_sets_the_synthetic_rate_to_the_recordings_unless_given(
    tmp_path, given, expected
):
    """`data synth events --noise-from DATA` makes events at DATA's rate (a given rate wins)."""
    import argparse

    from seislearn.cli.data import add_synth_event_options, synthetic_config_from_args
    from seislearn.io.seisbench import write_seisbench

    write_seisbench(_noise_dataset(n=2, sr=20.0), tmp_path / "station")
    parser = argparse.ArgumentParser()
    add_synth_event_options(parser)
    argv = ["--noise-from", str(tmp_path / "station")]
    if given is not None:
        argv += ["--sampling-rate", str(given)]
    assert synthetic_config_from_args(parser.parse_args(argv)).sampling_rate == expected
