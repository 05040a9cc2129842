from __future__ import annotations

import numpy as np
import pytest
from obspy import Trace

from seislearn.data.windows import Preprocess, cut_window, extract_windows
from seislearn.errors import DataError

WAVE = np.arange(3 * 100, dtype=np.float32).reshape(3, 100)


def test_window_inside_the_trace_is_a_plain_slice():
    window, padded = cut_window(WAVE, 50, 10, 20)
    np.testing.assert_array_equal(window, WAVE[:, 40:70])
    assert padded == 0


def test_window_near_the_start_pads_with_zeros():
    window, padded = cut_window(WAVE, 5, 10, 10, pad="zeros")
    assert window.shape == (3, 20) and padded == 5
    assert not window[:, :5].any()
    np.testing.assert_array_equal(window[:, 5:], WAVE[:, :15])


def test_window_near_the_end_repeats_the_edge_sample():
    window, padded = cut_window(WAVE, 95, 5, 10, pad="edge")
    assert padded == 5
    np.testing.assert_array_equal(window[:, -5:], np.repeat(WAVE[:, -1:], 5, axis=1))


def test_pad_raise_refuses_a_window_past_the_trace():
    with pytest.raises(DataError, match="runs past the trace"):
        cut_window(WAVE, 95, 5, 10, pad="raise")


def test_window_entirely_outside_the_trace_is_an_error_whatever_the_policy():
    with pytest.raises(DataError, match="outside the trace"):
        cut_window(WAVE, 500, 5, 10, pad="zeros")


def test_missing_pick_is_an_error():
    with pytest.raises(DataError, match="missing"):
        cut_window(WAVE, float("nan"), 5, 10)


def _noise(n: int = 6000, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n)


def test_bandpass_matches_obspy_zero_phase_bandpass_away_from_the_edges():
    x = _noise()
    ours = Preprocess(100.0, freqmin=1.0, freqmax=10.0, corners=4, detrend=False, taper_fraction=0)(
        x[None]
    )[0]
    tr = Trace(x.copy())
    tr.stats.sampling_rate = 100.0
    tr.filter("bandpass", freqmin=1.0, freqmax=10.0, corners=4, zerophase=True)
    middle = slice(1000, 5000)
    # ObsPy filters without edge padding; scipy's sosfiltfilt pads: they agree inside.
    np.testing.assert_allclose(ours[middle], tr.data[middle], atol=2e-3 * np.abs(tr.data).max())


def test_resampling_matches_obspy_on_a_band_limited_signal():
    t = np.arange(6000) / 100.0
    x = np.sin(2 * np.pi * 1.5 * t) + 0.5 * np.cos(2 * np.pi * 4.0 * t)
    ours = Preprocess(100.0, target_rate=40.0, detrend=False, taper_fraction=0)(x[None])[0]
    tr = Trace(x.copy())
    tr.stats.sampling_rate = 100.0
    tr.resample(40.0)
    assert ours.shape == tr.data.shape == (2400,)
    np.testing.assert_allclose(ours[200:-200], tr.data[200:-200], atol=0.02)


def test_peak_normalization_keeps_component_ratios_unless_per_channel():
    x = np.stack([_noise(seed=1), 3 * _noise(seed=2), 0.5 * _noise(seed=3)])
    joint = Preprocess(100.0, detrend=False, taper_fraction=0, normalize="peak")(x)
    assert np.abs(joint).max() == pytest.approx(1.0)
    assert np.abs(joint[1]).max() == pytest.approx(1.0)
    assert np.abs(joint[2]).max() < 0.5
    per = Preprocess(
        100.0, detrend=False, taper_fraction=0, normalize="std", normalize_per_channel=True
    )(x)
    np.testing.assert_allclose(per.std(axis=1), 1.0, rtol=1e-5)


def test_detrend_removes_a_linear_trend():
    x = (np.arange(1000) * 0.5 + 3.0)[None]
    out = Preprocess(100.0, taper_fraction=0)(x)
    assert np.abs(out).max() < 1e-3


def test_extract_windows_cuts_around_p_at_the_output_rate(synthetic_small):
    ds = synthetic_small.select(range(10))
    pp = Preprocess(100.0, target_rate=50.0, freqmin=1.0, freqmax=20.0)
    windows, rows, skipped = extract_windows(ds, "P", 1.0, 3.0, preprocess=pp)
    assert windows.shape == (10, 3, 200) and not skipped
    # The P onset sits one second into each window: quiet before, energetic after.
    energy_before = (windows[:, :, :40] ** 2).mean()
    energy_after = (windows[:, :, 50:100] ** 2).mean()
    assert energy_after > 3 * energy_before
    assert list(rows.trace_name) == list(ds.metadata.trace_name)


def test_extract_windows_skips_and_lists_traces_without_a_pick(synthetic_small):
    ds = synthetic_small.select(range(5))
    ds.metadata.loc[2, "trace_p_arrival_sample"] = np.nan
    bad_name = ds.metadata.trace_name[2]
    with pytest.raises(DataError, match=bad_name):
        extract_windows(ds, "P", 1.0, 2.0)
    windows, rows, skipped = extract_windows(ds, "P", 1.0, 2.0, on_error="skip")
    assert len(windows) == 4 and bad_name not in set(rows.trace_name)
    assert len(skipped) == 1 and bad_name in skipped[0]


def test_extract_windows_with_pad_raise_refuses_a_pick_near_the_edge(synthetic_small):
    ds = synthetic_small.select(range(3))
    ds.metadata.loc[0, "trace_p_arrival_sample"] = 20
    with pytest.raises(DataError, match="runs past the trace"):
        extract_windows(ds, "P", 1.0, 2.0, pad="raise")
    _, rows, _ = extract_windows(ds, "P", 1.0, 2.0, pad="zeros")
    assert rows.window_padded_samples.iloc[0] == 80
