"""``--init-from``: a run whose network differs is refused up front, naming the settings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from seislearn.azimuth.api import check_init_from
from seislearn.azimuth.config import load_azimuth_config
from seislearn.errors import ConfigError


def saved_run(tmp_path: Path, overrides: list[str]) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    config = load_azimuth_config(overrides=overrides)
    (run / "config.yaml").write_text(yaml.safe_dump(config.model_dump(mode="json")))
    return run


def test_init_from_names_the_covariance_bands_that_differ(tmp_path: Path) -> None:
    run = saved_run(tmp_path, [])
    config = load_azimuth_config(
        overrides=["window.freqmax_hz=8", "model.covariance_bands_hz=[[1,8],[1,3],[2,5],[4,8]]"]
    )
    with pytest.raises(ConfigError, match=r"model\.covariance_bands_hz") as error:
        check_init_from(run, config)
    assert "freqmax" not in str(error.value)  # the bandpass may change when fine-tuning


def test_init_from_names_a_different_window_length(tmp_path: Path) -> None:
    run = saved_run(tmp_path, ["window.after_s=3"])
    with pytest.raises(ConfigError, match=r"window\.after_s is 3\.0 there, 2\.0 here"):
        check_init_from(run, load_azimuth_config())


def test_init_from_accepts_the_same_network_with_another_bandpass(tmp_path: Path) -> None:
    run = saved_run(tmp_path, ["model.covariance_bands_hz=[[1,8],[1,3],[2,5],[4,8]]"])
    config = load_azimuth_config(
        overrides=["window.freqmax_hz=8", "model.covariance_bands_hz=[[1,8],[1,3],[2,5],[4,8]]"]
    )
    check_init_from(run, config)


def test_init_from_a_folder_without_a_run_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        check_init_from(tmp_path, load_azimuth_config())
