"""Specification of the spectrogram features of the cluster workflow."""

from __future__ import annotations

import numpy as np
import pytest

from seislearn.cluster.features import (
    FeatureConfig,
    compute_spectrograms,
    scale_spectrograms,
)
from seislearn.errors import DataError


def test_features_have_one_spectrogram_per_trace_with_frequencies_cropped(synthetic_small) -> None:
    cfg = FeatureConfig(components="ZNE", start_s=-2, length_s=10, nperseg=64, fmin=2, fmax=15)
    out = compute_spectrograms(synthetic_small, cfg)
    n = len(synthetic_small)
    assert out.spectrograms.shape[:2] == (n, 3)
    assert out.windows.shape == (n, 3, 1000)
    assert out.frequencies.min() >= 2 and out.frequencies.max() <= 15
    assert out.spectrograms.shape[2:] == (out.frequencies.size, out.times.size)
    assert list(out.metadata["trace_name"]) == list(synthetic_small.metadata["trace_name"])


def test_features_window_starts_before_the_pick(synthetic_small) -> None:
    # Unfiltered, the window is the raw trace from P - 2 s (up to the linear
    # trend, removed over the longer stretch that includes the filter margin).
    cfg = FeatureConfig(start_s=-2, length_s=5, freqmin=None, freqmax=None, taper_fraction=0)
    out = compute_spectrograms(synthetic_small.select([0]), cfg)
    pick = round(float(synthetic_small.metadata["trace_p_arrival_sample"].iloc[0]))
    raw = synthetic_small.get_waveform(0)[0, pick - 200 : pick + 300]
    from scipy.signal import detrend

    got = detrend(out.windows[0, 0])
    assert np.allclose(got, detrend(raw), atol=1e-3 * np.abs(raw).max())
    assert not np.allclose(got, detrend(np.roll(raw, 1)), atol=1e-3 * np.abs(raw).max())


def test_features_minmax_scaling_maps_each_sample_to_unit_range(synthetic_small) -> None:
    out = compute_spectrograms(synthetic_small.select([0, 1, 2]), FeatureConfig(scale="minmax"))
    flat = out.spectrograms.reshape(3, -1)
    assert np.allclose(flat.min(1), 0) and np.allclose(flat.max(1), 1)


def test_maxabs_scaling_divides_each_sample_by_its_peak() -> None:
    spec = np.array([[[[2.0, -4.0]]], [[[1.0, 0.5]]]], dtype=np.float32)
    out = scale_spectrograms(spec, "maxabs")
    assert np.allclose(out[0], [[[0.5, -1.0]]]) and np.allclose(out[1], [[[1.0, 0.5]]])


def test_features_kaiser_window_and_linear_power_are_used_when_asked() -> None:
    cfg = FeatureConfig(stft_window="kaiser", power="linear", nperseg=100)
    scfg = cfg.spectrogram_config()
    assert scfg.window == ("kaiser", pytest.approx(1.8 * np.pi))
    assert scfg.log is False and scfg.nfft == 128


def test_features_remove_background_flattens_a_stationary_spectrum(synthetic_small) -> None:
    cfg = FeatureConfig(background="median", scale="none")
    out = compute_spectrograms(synthetic_small.select([0]), cfg)
    assert np.allclose(np.median(out.spectrograms, axis=-1), 0, atol=1e-5)


def test_features_trace_without_pick_names_the_trace(synthetic_small) -> None:
    from seislearn.data.synthetic import SyntheticConfig, make_events

    ds = make_events(6, seed=3, config=SyntheticConfig(noise_fraction=0.5))
    with pytest.raises(DataError, match=r"synth_00000[3-5]"):
        compute_spectrograms(ds, FeatureConfig())
    out = compute_spectrograms(ds, FeatureConfig(missing_pick_start_s=10.0))
    assert len(out.metadata) == 6


def test_features_refuse_zeroed_horizontals_of_vertical_only_traces(shared_data) -> None:
    from seislearn.io import read_dataset

    ds = read_dataset(shared_data / "ncedc_phasenet")
    vertical_only = ds.metadata["trace_available_components"] == "Z"
    with pytest.raises(DataError, match="not recorded"):
        compute_spectrograms(ds, FeatureConfig(components="ZNE"))
    sub = ds.select(np.r_[np.flatnonzero(vertical_only)[:2], np.flatnonzero(~vertical_only)[:2]])
    out = compute_spectrograms(sub, FeatureConfig(components="ZNE"), on_error="skip")
    assert len(out.metadata) == 2 and len(out.skipped) == 2
    assert "trace" in out.skipped[0]
    z_only = compute_spectrograms(sub, FeatureConfig(components="Z"))
    assert z_only.spectrograms.shape[:2] == (4, 1)


def test_features_leading_background_is_the_pre_event_spectrum(synthetic_small) -> None:
    cfg = FeatureConfig(start_s=-3, length_s=8, background="leading", background_s=2.5)
    cfg = cfg.model_copy(update={"scale": "none"})
    out = compute_spectrograms(synthetic_small.select([0, 1]), cfg)
    lead = out.times + cfg.nperseg / 2 / out.sampling_rate <= 2.5
    assert np.allclose(out.spectrograms[..., lead].mean(-1), 0, atol=1e-4)
    # After the P onset the event stands above its own pre-event noise.
    assert out.spectrograms[..., out.times > 3.5].mean() > 0.5


def test_longest_constant_run_counts_identical_neighbours() -> None:
    from seislearn.data.checks import longest_constant_run

    assert longest_constant_run(np.array([])) == 0
    assert longest_constant_run(np.array([1.0, 2.0, 3.0])) == 1
    assert longest_constant_run(np.array([0.0, 0.0, 0.0, 1.0, 5.0, 5.0, 2.0])) == 3
    assert longest_constant_run(np.r_[np.arange(4.0), np.full(7, 2.5), 1.0]) == 7


def test_features_quality_screen_leaves_out_windows_with_a_constant_stretch(
    synthetic_small,
) -> None:
    ds = synthetic_small.select([0, 1, 2])
    sr = float(ds.metadata["trace_sampling_rate_hz"].iloc[0])
    pick = float(ds.metadata["trace_p_arrival_sample"].iloc[1]) / sr
    npts = ds.get_waveform(1).shape[-1] / sr
    # Real noise never holds one value for a second: the screen keeps every window ...
    ok = compute_spectrograms(ds, FeatureConfig(start_s=-2, length_s=5, max_constant_s=1.0))
    assert len(ok.metadata) == 3 and not ok.skipped
    # ... but a window running 3 s past the end of trace 1 is zero padded there.
    start = npts - pick - 7.0
    past_end = FeatureConfig(start_s=start, length_s=10, max_constant_s=1.0)
    with pytest.raises(DataError, match=r"holds one value for 3\.\d\d s.*max_constant_s"):
        compute_spectrograms(ds.select([1]), past_end)
    out = compute_spectrograms(ds.select([1]), past_end.model_copy(update={"max_constant_s": 4.0}))
    assert len(out.metadata) == 1
    unscreened = compute_spectrograms(
        ds.select([1]), past_end.model_copy(update={"max_constant_s": None})
    )
    assert len(unscreened.metadata) == 1


def test_features_quality_screen_names_zero_filled_real_windows(shared_data) -> None:
    from seislearn.io import read_dataset

    ds = read_dataset(shared_data / "ncedc_phasenet")
    names = ["NC_GBD_1985021117290228", "NC_MEM_2017100709282692"]
    sub = ds.select(np.flatnonzero(ds.metadata["trace_name"].isin(names)))
    # NC_GBD starts about 20 s late, zero filled: its noise window 25-5 s before P is
    # mostly zeros; its earthquake window, and both windows of NC_MEM, are clean.
    noise = FeatureConfig(start_s=-25, length_s=20, max_constant_s=1.0)
    out = compute_spectrograms(sub, noise, on_error="skip")
    assert list(out.metadata["trace_name"]) == ["NC_MEM_2017100709282692"]
    assert len(out.skipped) == 1 and "NC_GBD_1985021117290228" in out.skipped[0]
    assert "component Z holds one value" in out.skipped[0]
    quake = compute_spectrograms(sub, noise.model_copy(update={"start_s": -5.0}))
    assert len(quake.metadata) == 2


def test_features_quantile_background_is_the_quiet_frames_level(synthetic_small) -> None:
    cfg = FeatureConfig(start_s=-5, length_s=10, background="quantile", scale="none")
    out = compute_spectrograms(synthetic_small.select([0, 1]), cfg)
    # A fifth of the frames lie at or below zero at every frequency, the rest above.
    below = (out.spectrograms <= 1e-6).mean(axis=-1)
    n_t = out.times.size
    assert np.all(below >= np.floor(0.2 * (n_t - 1)) / n_t) and np.all(below < 0.5)
    median = compute_spectrograms(
        synthetic_small.select([0, 1]), cfg.model_copy(update={"background": "median"})
    )
    # The event after P raises the median above the quiet frames, not the 20 % quantile.
    assert out.spectrograms.mean() > median.spectrograms.mean()
