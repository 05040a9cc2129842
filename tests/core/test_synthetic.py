from __future__ import annotations

import numpy as np
from obspy.geodetics import gps2dist_azimuth
from obspy.signal.rotate import rotate_ne_rt

from seislearn.data.synthetic import corner_frequency_hz, make_events


def test_same_seed_gives_the_same_data():
    a, b = make_events(5, seed=3), make_events(5, seed=3)
    np.testing.assert_array_equal(a.get_waveform(4), b.get_waveform(4))
    assert not np.array_equal(a.get_waveform(4), make_events(5, seed=4).get_waveform(4))


def test_rotating_to_rt_with_the_true_back_azimuth_puts_p_on_radial(synthetic_small):
    ratios = []
    for i in range(len(synthetic_small)):
        wave, meta = synthetic_small[i]
        p = round(meta["trace_p_arrival_sample"])
        seg = wave[:, p : p + 30].astype(np.float64)
        r, t = rotate_ne_rt(seg[1], seg[2], meta["path_back_azimuth_deg"])
        if meta["trace_snr_db"] > 15:
            ratios.append((t**2).sum() / (r**2).sum())
            # compressional first motion: up and away from the source, whatever the polarity
            assert np.sign(np.dot(seg[0], r)) > 0
    assert len(ratios) > 10
    assert np.median(ratios) < 0.05


def test_back_azimuth_label_agrees_with_coordinates(synthetic_small):
    meta = synthetic_small.metadata
    for _, row in meta.head(20).iterrows():
        _, _, baz = gps2dist_azimuth(
            row.source_latitude_deg,
            row.source_longitude_deg,
            row.station_latitude_deg,
            row.station_longitude_deg,
        )
        assert abs((baz - row.path_back_azimuth_deg + 180) % 360 - 180) < 1e-6


def test_s_minus_p_time_grows_with_distance(synthetic_small):
    meta = synthetic_small.metadata
    sp = (meta.trace_s_arrival_sample - meta.trace_p_arrival_sample) / meta.trace_sampling_rate_hz
    hypo = np.hypot(meta.path_ep_distance_km, meta.source_depth_km)
    assert np.corrcoef(sp, hypo)[0, 1] > 0.99


def test_high_stress_drop_population_has_higher_corner_frequencies(synthetic_small):
    meta = synthetic_small.metadata
    assert corner_frequency_hz(2.0, 10.0) > corner_frequency_hz(2.0, 0.1)
    resid = np.log10(meta.source_corner_frequency_hz) + 0.5 * meta.source_magnitude
    by_pop = resid.groupby(meta.source_type).mean()
    assert by_pop["high_stress"] > by_pop["low_stress"] + 0.3


def test_splits_are_by_event_and_noise_traces_have_no_picks():
    from seislearn.data.synthetic import SyntheticConfig

    ds = make_events(60, seed=1, config=SyntheticConfig(stations_per_event=3, noise_fraction=0.2))
    meta = ds.metadata
    assert meta.groupby("source_id")["split"].nunique().max() == 1
    noise = meta[meta.trace_category == "noise"]
    assert len(noise) == 12 and noise.trace_p_arrival_sample.isna().all()


def test_snr_label_matches_the_measured_snr(synthetic_small):
    meta = synthetic_small.metadata
    errs = []
    for i in range(30):
        wave = synthetic_small.get_waveform(i).astype(np.float64)
        p = int(meta.trace_p_arrival_sample[i])
        noise = wave[:, : p - 100]
        sig = wave[:, p : p + 100]
        measured = 10 * np.log10(
            max(np.mean(sig**2) - np.mean(noise**2), 1e-12) / np.mean(noise**2)
        )
        errs.append(measured - meta.trace_snr_db[i])
    assert abs(np.median(errs)) < 2.0


def test_split_fractions_that_do_not_sum_to_one_are_normalized():
    from seislearn.data.synthetic import SyntheticConfig

    ds = make_events(200, seed=2, config=SyntheticConfig(split_fractions=(8, 1, 1)))
    counts = ds.metadata["split"].value_counts()
    assert set(counts.index) == {"train", "dev", "test"}
    assert counts["train"] > counts["dev"] + counts["test"]


def _p_polarization_azimuths(dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Covariance back-azimuth of the first 0.3 s of P, the label, and the SNR, per trace."""
    from seislearn.evaluation.polarization import polarization_analysis

    meta = dataset.metadata
    windows = []
    for i in range(len(dataset)):
        wave, row = dataset[i]
        p = round(row["trace_p_arrival_sample"])
        windows.append(wave[:, p : p + 30])
    result = polarization_analysis(np.stack(windows).astype(np.float64))
    return (
        result.back_azimuth_deg,
        meta["path_back_azimuth_deg"].to_numpy(),
        meta["trace_snr_db"].to_numpy(),
    )


def _wrap(deg: np.ndarray) -> np.ndarray:
    return (np.asarray(deg) + 180.0) % 360.0 - 180.0


def test_an_ideal_site_leaves_the_data_unchanged():
    from seislearn.data.synthetic import SiteEffects, SyntheticConfig

    a = make_events(6, seed=2)
    b = make_events(6, seed=2, config=SyntheticConfig(site=SiteEffects()))
    for i in range(6):
        np.testing.assert_array_equal(a.get_waveform(i), b.get_waveform(i))


def test_a_misoriented_sensor_shifts_the_polarization_azimuth_by_its_misorientation():
    from seislearn.data.synthetic import SiteEffects, SyntheticConfig

    cfg = SyntheticConfig(snr_db_range=(30.0, 40.0), site=SiteEffects(misorientation_deg=10.0))
    est, true, _ = _p_polarization_azimuths(make_events(40, seed=5, config=cfg))
    # The sensor's "N" points 10 degrees east of north, so angles read 10 degrees low.
    assert abs(np.median(_wrap(est - true)) + 10.0) < 1.5
    # Labels stay the geometric back-azimuth.
    ideal = make_events(40, seed=5, config=SyntheticConfig(snr_db_range=(30.0, 40.0)))
    np.testing.assert_allclose(ideal.metadata["path_back_azimuth_deg"], true)


def test_site_deviation_follows_its_periodic_terms():
    from seislearn.data.synthetic import SiteEffects, SyntheticConfig

    site = SiteEffects(deviation_amplitude_deg=(12.0, 0.0), deviation_phase_deg=(0.0, 0.0))
    cfg = SyntheticConfig(snr_db_range=(30.0, 40.0), site=site)
    est, true, _ = _p_polarization_azimuths(make_events(60, seed=6, config=cfg))
    expected = 12.0 * np.sin(np.radians(true))
    residual = _wrap(est - true) - expected
    assert np.median(np.abs(residual)) < 2.0
    assert np.corrcoef(_wrap(est - true), expected)[0, 1] > 0.9


def test_directional_noise_is_rayleigh_type_from_its_azimuth():
    from seislearn.data.synthetic import SiteEffects, SyntheticConfig

    site = SiteEffects(noise_directional_fraction=1.0, noise_azimuth_deg=60.0)
    data = make_events(8, seed=7, config=SyntheticConfig(noise_fraction=1.0, site=site))
    for i in range(len(data)):
        z, n, e = data.get_waveform(i).astype(np.float64)
        # Horizontal motion lies along the 60/240-degree line ...
        horizontal_azimuth = np.degrees(0.5 * np.arctan2(2 * (n * e).sum(), (n**2 - e**2).sum()))
        assert abs(_wrap(2 * (horizontal_azimuth - 60.0)) / 2) < 3.0
        # ... and is 90 degrees out of phase with the vertical (elliptical, not rectilinear).
        radial = -(np.cos(np.radians(60.0)) * n + np.sin(np.radians(60.0)) * e)
        assert abs(np.corrcoef(z, radial)[0, 1]) < 0.1
