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
