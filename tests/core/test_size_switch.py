"""The size switch (SEISLEARN_SMALL): tiny sizes for every config, the user's --set wins."""

from __future__ import annotations

import pytest

from seislearn.config import StrictModel, load_config
from seislearn.sizes import SMALL_ENV, small_count, small_sizes


def config_classes() -> list[type[StrictModel]]:
    from seislearn.azimuth.config import AzimuthConfig
    from seislearn.classify.config import ClassifyConfig
    from seislearn.cluster.config import ClusterConfig
    from seislearn.images.api import ImagesConfig

    return [AzimuthConfig, ClassifyConfig, ClusterConfig, ImagesConfig]


@pytest.mark.parametrize("value", ["", "0"])
def test_switch_is_off_unless_set_to_something_but_zero(monkeypatch, value) -> None:
    monkeypatch.setenv(SMALL_ENV, value)
    assert not small_sizes()
    assert small_count(4000, 300) == 4000


def test_switch_caps_generated_sizes(monkeypatch) -> None:
    monkeypatch.setenv(SMALL_ENV, "1")
    assert small_count(4000, 300) == 300
    assert small_count(100, 300) == 100


@pytest.mark.parametrize("model", config_classes(), ids=lambda m: m.__name__)
def test_every_training_config_has_valid_small_overrides(monkeypatch, model) -> None:
    monkeypatch.setenv(SMALL_ENV, "1")
    small = load_config(model)
    monkeypatch.delenv(SMALL_ENV)
    assert model.SMALL_OVERRIDES
    assert small != load_config(model)


def test_user_overrides_win_over_the_small_ones(monkeypatch) -> None:
    from seislearn.classify.config import ClassifyConfig

    monkeypatch.setenv(SMALL_ENV, "1")
    assert load_config(ClassifyConfig).training.epochs == 2
    assert load_config(ClassifyConfig, overrides=["training.epochs=7"]).training.epochs == 7
