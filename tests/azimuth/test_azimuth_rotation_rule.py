"""The test-time rotation rule: the rotation average for stations the model has not learned."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from seislearn.azimuth.config import load_azimuth_config
from seislearn.azimuth.evaluate import predict_arrays, rotation_mask, training_stations
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


def test_no_recorded_stations_or_the_rule_off():
    meta = _meta(["XS.S000", "CX.PB01"])
    assert rotation_mask(meta, None, 100) is None  # a run made before the rule: unchanged
    assert not rotation_mask(meta, {"XS.S000": 5}, 0).any()  # 0: every station is learned


def _net(rotations: int):
    import torch

    from seislearn.azimuth.api import net_arguments
    from seislearn.azimuth.heads import AzimuthNet

    torch.manual_seed(0)
    config = load_azimuth_config(overrides=[f"model.test_time_rotations={rotations}"])
    return AzimuthNet(**net_arguments(config, 250, (45, 75))).eval()


def test_each_trace_gets_the_orientations_of_its_station():
    """Rotated traces match the 8-orientation average, the others the plain pass."""
    windows = np.random.default_rng(0).normal(size=(6, 3, 250)).astype(np.float32)
    rotate = np.array([True, False, True, False, False, True])
    net = _net(8)
    mixed = predict_arrays(net, windows, rotate=rotate)["back_azimuth_deg"]
    assert net.test_time_rotations == 8  # restored
    averaged = predict_arrays(net, windows)["back_azimuth_deg"]
    net.test_time_rotations = 1
    plain = predict_arrays(net, windows)["back_azimuth_deg"]
    np.testing.assert_allclose(mixed[rotate], averaged[rotate], atol=1e-3)
    np.testing.assert_allclose(mixed[~rotate], plain[~rotate], atol=1e-3)
    assert not np.allclose(averaged, plain, atol=1e-2)  # the rule makes a difference
