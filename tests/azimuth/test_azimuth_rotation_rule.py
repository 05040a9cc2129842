"""The test-time rotation rule: the rotation average for stations the model has not learned."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seislearn.azimuth.evaluate import (
    check_few_event_stations,
    predict_arrays,
    rotation_mask,
    training_stations,
)
from seislearn.data import schema


def _meta(stations: list[str], events: list[str] | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            schema.TRACE_NAME: [f"t{i}" for i in range(len(stations))],
            schema.STATION_NETWORK: [s.split(".")[0] for s in stations],
            schema.STATION_CODE: [s.split(".")[1] for s in stations],
            schema.SOURCE_ID: events
            if events is not None
            else [f"e{i}" for i in range(len(stations))],
        }
    )


def test_training_stations_count_distinct_events_not_copies():
    """Sixteen traces repeated ten times are 16 events of their station."""
    meta = _meta(
        ["CX.PB01"] * 160 + ["XS.S000"] * 3, [f"e{i % 16}" for i in range(160)] + ["a", "b", "c"]
    )
    assert training_stations(meta, np.ones(len(meta), bool)) == {"CX.PB01": 16, "XS.S000": 3}
    assert training_stations(meta, np.zeros(len(meta), bool)) == {}


@settings(max_examples=30, deadline=None)
@given(
    n_events=st.integers(0, 300),
    min_events=st.integers(1, 300),
    other=st.sampled_from(["CX.PB01", "XS.S001", "GE.APE"]),
)
def test_only_a_station_with_enough_training_events_is_predicted_as_recorded(
    n_events, min_events, other
):
    learned = {"XS.S000": n_events}
    mask = rotation_mask(_meta(["XS.S000", other, "XS.S000"]), learned, min_events)
    own = n_events >= min_events
    assert mask.tolist() == [not own, True, not own]


@given(n_events=st.integers(0, 99))
def test_a_station_checked_as_learned_is_predicted_as_recorded_however_few_its_events(
    n_events,
):
    learned = {"CX.PB01": n_events}
    meta = _meta(["CX.PB01", "XS.S001"])
    assert rotation_mask(meta, learned, 100).tolist() == [True, True]
    assert rotation_mask(meta, learned, 100, also_learned=["CX.PB01"]).tolist() == [False, True]


def test_no_recorded_stations_or_the_rule_off():
    meta = _meta(["XS.S000", "CX.PB01"])
    assert rotation_mask(meta, None, 100) is None  # a run made before the rule: unchanged
    assert not rotation_mask(meta, {"XS.S000": 5}, 0).any()  # 0: every station is learned


class _StubNet:
    """Stands in for the net: back-azimuth = the window's marker + 100 x its rotations.

    The rotation average itself is tested on the real net in test_azimuth_bands.py;
    here only which windows get which setting, and in which order they come back.
    """

    def __init__(self, rotations: int) -> None:
        self.test_time_rotations = rotations

    def eval(self) -> _StubNet:
        return self

    def cpu(self) -> _StubNet:
        return self

    def predict(self, x):
        import torch

        angle = torch.deg2rad(x[:, 0, 0] + 100.0 * self.test_time_rotations)
        n = len(x)
        return {
            "back_azimuth": torch.stack([torch.cos(angle), torch.sin(angle)], -1),
            "kappa": torch.ones(n),
            "incidence": torch.stack([torch.ones(n), torch.zeros(n)], -1),
            "embedding": x[:, 0, :2],
        }


@settings(max_examples=20, deadline=None)
@given(rotate=st.lists(st.booleans(), min_size=1, max_size=12))
def test_each_trace_gets_the_orientations_of_its_station(rotate):
    """Rotated windows come back with the net's rotations, the others as recorded (1),
    each in its own row; the net's setting is restored."""
    rotate = np.asarray(rotate)
    windows = np.zeros((len(rotate), 3, 8), np.float32)
    windows[:, 0, 0] = np.arange(len(rotate)) * 3.0  # a marker per window (deg)
    net = _StubNet(8)
    out = predict_arrays(net, windows, rotate=rotate)
    expected = np.arange(len(rotate)) * 3.0 + np.where(rotate, 800.0, 100.0)
    np.testing.assert_allclose(out["back_azimuth_deg"], expected % 360.0, atol=1e-3)
    np.testing.assert_array_equal(out["embedding"][:, 0], windows[:, 0, 0])
    assert net.test_time_rotations == 8  # restored
    plain = predict_arrays(_StubNet(8), windows)["back_azimuth_deg"]  # no rule: all rotated
    np.testing.assert_allclose(plain, (np.arange(len(rotate)) * 3.0 + 800.0) % 360.0, atol=1e-3)


@settings(max_examples=20, deadline=None)
@given(
    offsets=st.lists(st.sampled_from([100.0, 800.0]), min_size=2, max_size=6),
    n_events=st.integers(1, 200),
)
def test_a_few_event_station_is_checked_on_its_own_labelled_traces(offsets, n_events):
    """Under the threshold, the station's labelled traces decide: as recorded when its
    error there is no larger than averaged; a station at the threshold is not checked,
    and a test row never counts."""
    from types import SimpleNamespace

    n = len(offsets)
    windows = np.zeros((n + 1, 3, 8), np.float32)
    windows[:, 0, 0] = np.arange(n + 1) * 3.0
    # The stub predicts marker + 100 as recorded and marker + 800 averaged, so a trace
    # whose truth is the other one is 20 degrees off (800 - 100 = 700 = 2 x 360 - 20).
    truth = (windows[:, 0, 0] + np.asarray([*offsets, 100.0])) % 360.0
    data = SimpleNamespace(
        windows=windows, metadata=_meta(["CX.PB01"] * (n + 1)), back_azimuth_deg=truth
    )
    labelled = np.r_[np.ones(n, bool), False]  # the last row: a test trace
    checked = check_few_event_stations(_StubNet(8), data, labelled, {"CX.PB01": n_events}, 100)
    if n_events >= 100:
        assert checked == {}
        return
    averaged_right = sum(o == 800.0 for o in offsets)
    result = checked["CX.PB01"]
    assert result["n_traces"] == n
    assert result["as_recorded_mae_deg"] == pytest.approx(20.0 * averaged_right / n, abs=1e-3)
    assert result["averaged_mae_deg"] == pytest.approx(20.0 * (n - averaged_right) / n, abs=1e-3)
    assert result["learned"] == (averaged_right <= n - averaged_right)
    assert not check_few_event_stations(_StubNet(1), data, labelled, {"CX.PB01": n_events}, 100)
