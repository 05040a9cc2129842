"""Bands chosen from the data's sampling rate; the test-time rotation average."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seislearn.azimuth.bands import NYQUIST_FRACTION, clip_bands, fit_bands_to_rate
from seislearn.azimuth.config import load_azimuth_config
from seislearn.errors import ConfigError


@settings(max_examples=200, deadline=None)
@given(rate=st.floats(2.6, 1000.0, allow_nan=False))
def test_default_bands_always_fit_below_the_nyquist_of_the_data(rate):
    config = fit_bands_to_rate(load_azimuth_config(), rate, "data")
    limit = NYQUIST_FRACTION * min(rate, config.window.target_rate_hz) / 2
    w, m = config.window, config.model
    assert w.freqmin_hz < w.freqmax_hz <= limit + 1e-3
    assert w.freqmax_hz < rate / 2
    assert m.covariance_bands_hz, "at least the widest band stays"
    for lo, hi in m.covariance_bands_hz:
        assert lo < hi <= limit + 1e-3
    # The config is still valid as a whole (its own validators).
    type(config).model_validate(config.model_dump())


@settings(max_examples=50, deadline=None)
@given(rate=st.floats(50.0, 1000.0))
def test_data_fast_enough_keeps_the_default_bands(rate):
    default = load_azimuth_config()
    assert fit_bands_to_rate(default, rate, "data") == default


def test_20_hz_data_gets_bands_below_8_hz_and_says_so(caplog):
    with caplog.at_level(logging.INFO, logger="seislearn.azimuth.bands"):
        config = fit_bands_to_rate(load_azimuth_config(), 20.0, "my_archive")
    assert config.window.freqmax_hz == pytest.approx(8.0)
    assert (8.0, 20.0) not in config.model.covariance_bands_hz
    assert max(hi for _, hi in config.model.covariance_bands_hz) == pytest.approx(8.0)
    assert "my_archive is sampled at 20 Hz" in caplog.text


def test_a_band_the_user_set_is_never_changed():
    config = load_azimuth_config(overrides=["window.freqmax_hz=15"])
    assert fit_bands_to_rate(config, 20.0, "data").window.freqmax_hz == 15


def test_data_too_slow_for_any_band_is_refused_naming_the_rate_and_the_key():
    with pytest.raises(ConfigError, match=r"2 Hz.*window.freqmin_hz"):
        fit_bands_to_rate(load_azimuth_config(), 2.0, "slow_data")


@given(
    bands=st.lists(
        st.tuples(st.floats(0.1, 30.0), st.floats(0.1, 60.0)).filter(lambda b: b[0] < b[1]),
        max_size=8,
    ),
    limit=st.floats(1.0, 50.0),
)
@settings(max_examples=100, suppress_health_check=[HealthCheck.filter_too_much])
def test_clipped_bands_are_below_the_limit_wide_enough_and_unique(bands, limit):
    out = clip_bands(bands, limit)
    assert len(out) == len(set(out))
    for lo, hi in out:
        assert hi <= limit + 1e-3 and hi >= 1.5 * lo - 1e-3


def test_training_on_20_hz_data_with_the_defaults_records_the_chosen_bands(
    tmp_path, synthetic_archive
):
    import yaml

    from seislearn.cli.main import main

    data = synthetic_archive(60, seed=1, sampling_rate=20.0)
    run = tmp_path / "run"
    tiny = ["training.vae_epochs=1", "training.head_epochs=1", "training.batch_size=32"]
    args = ["azimuth", "train", "--data", str(data), "--out", str(run)]
    for item in tiny:
        args += ["--set", item]
    assert main(args) == 0
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["window"]["freqmax_hz"] == pytest.approx(8.0)
    assert all(hi <= 8.0 for _, hi in saved["model"]["covariance_bands_hz"])


def _net(rotations: int):
    import torch

    from seislearn.azimuth.api import net_arguments
    from seislearn.azimuth.heads import AzimuthNet

    torch.manual_seed(0)
    config = load_azimuth_config(overrides=[f"model.test_time_rotations={rotations}"])
    return AzimuthNet(**net_arguments(config, 250, (45, 75))).eval()


@settings(max_examples=10, deadline=None)
@given(turn=st.sampled_from([45.0, 90.0, 135.0, 180.0, 270.0]))
def test_rotation_average_turns_with_the_sensor(turn):
    """Averaged over 8 orientations, turning the sensor by a multiple of 45 degrees turns
    the prediction by exactly that angle (whatever the net's weights)."""
    import torch

    from seislearn.azimuth.losses import unit_to_angle_deg

    net = _net(8)
    x = torch.randn(6, 3, 250)
    th = np.radians(turn)
    turned = x.clone()
    turned[:, 1] = float(np.cos(th)) * x[:, 1] + float(np.sin(th)) * x[:, 2]
    turned[:, 2] = -float(np.sin(th)) * x[:, 1] + float(np.cos(th)) * x[:, 2]
    with torch.no_grad():
        a = unit_to_angle_deg(net.predict(x)["back_azimuth"]).numpy()
        b = unit_to_angle_deg(net.predict(turned)["back_azimuth"]).numpy()
    np.testing.assert_allclose((a - b - turn + 180) % 360 - 180, 0, atol=0.05)


def test_one_rotation_is_the_plain_forward_pass():
    import torch

    net = _net(1)
    x = torch.randn(4, 3, 250)
    with torch.no_grad():
        assert torch.equal(net.predict(x)["back_azimuth"], net(x)["back_azimuth"])
