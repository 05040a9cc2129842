"""The truth policy of back-azimuth and distance (seislearn.data.labels)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from obspy.geodetics import gps2dist_azimuth

from seislearn.data import schema
from seislearn.data.labels import back_azimuth_truth, distance_truth, geodesic_inverse
from seislearn.errors import DataError


def _wrapped(a: np.ndarray) -> np.ndarray:
    return np.abs((a + 180.0) % 360.0 - 180.0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.floats(-89.0, 89.0),
            st.floats(-180.0, 180.0),
            # ObsPy's own Vincenty fails on points closer than this (division by zero).
            st.floats(-8.0, 8.0).filter(lambda d: abs(d) > 1e-3),
            st.floats(-8.0, 8.0).filter(lambda d: abs(d) > 1e-3),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_vectorised_geodesic_matches_obspy(pairs):
    lat1, lon1, dlat, dlon = (np.array(v) for v in zip(*pairs, strict=True))
    lat2, lon2 = np.clip(lat1 + dlat, -89.9, 89.9), lon1 + dlon
    distance, azimuth, back_azimuth = geodesic_inverse(lat1, lon1, lat2, lon2)
    for i in range(len(lat1)):
        d, az, baz = gps2dist_azimuth(lat1[i], lon1[i], lat2[i], lon2[i])
        assert distance[i] == pytest.approx(d, abs=0.1)  # metres
        if d > 1.0:  # azimuths of points a metre apart are not defined to a millidegree
            assert _wrapped(azimuth[i] - az) < 1e-3
            assert _wrapped(back_azimuth[i] - baz) < 1e-3


def _metadata(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    meta = pd.DataFrame(
        {
            schema.TRACE_NAME: [f"bucket0_0${i},:3,:100" for i in range(n)],
            "trace_name_original": [f"AB.ST{i:02d}_EV" for i in range(n)],
            schema.SOURCE_LATITUDE: 35.0 + rng.uniform(-1, 1, n),
            schema.SOURCE_LONGITUDE: -117.0 + rng.uniform(-1, 1, n),
            schema.STATION_LATITUDE: 35.0,
            schema.STATION_LONGITUDE: -117.0,
        }
    )
    values = [gps2dist_azimuth(*row) for row in meta.iloc[:, 2:6].to_numpy()]
    meta[schema.BACK_AZIMUTH] = [v[2] for v in values]
    meta[schema.EP_DISTANCE] = [v[0] / 1000.0 for v in values]
    return meta


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(4, 40), st.integers(0, 2**31 - 1), st.floats(0.0, 1.0))
def test_auto_truth_of_randomly_flipped_labels_equals_the_clean_twin(n, seed, fraction):
    clean = _metadata(n, seed)
    flipped = clean.copy()
    rows = np.random.default_rng(seed).uniform(size=n) < fraction
    # The azimuth (source to station) stored instead of the back-azimuth.
    flipped.loc[rows, schema.BACK_AZIMUTH] = (flipped.loc[rows, schema.BACK_AZIMUTH] + 180) % 360
    auto_clean, auto_flipped = back_azimuth_truth(clean), back_azimuth_truth(flipped)
    np.testing.assert_array_equal(auto_flipped.values, auto_clean.values)
    summary = auto_flipped.summary()
    assert summary["labels_overridden"] == summary["labels_about_180_deg_off"] == rows.sum()
    assert set(summary["disagreeing_traces"]) <= set(clean["trace_name_original"][rows])
    label = back_azimuth_truth(flipped, "label")
    assert (_wrapped(label.values - auto_clean.values) > 170).sum() == rows.sum()
    assert label.summary()["labels_disagreeing_used"] == rows.sum()


def test_auto_uses_the_label_only_where_coordinates_are_missing():
    meta = _metadata(6, 1)
    meta.loc[[0, 3], schema.SOURCE_LATITUDE] = np.nan
    meta.loc[[0, 3], schema.BACK_AZIMUTH] = [10.0, 20.0]
    truth = back_azimuth_truth(meta)
    assert (
        list(truth.origin) == ["label", "coordinates", "coordinates", "label"] + ["coordinates"] * 2
    )
    assert truth.values[0] == 10.0 and truth.values[3] == 20.0


def test_coordinates_policy_names_the_traces_without_coordinates_by_the_users_name():
    meta = _metadata(5, 2)
    meta.loc[[1, 4], schema.STATION_LONGITUDE] = np.nan
    with pytest.raises(DataError, match=r"AB\.ST01_EV, AB\.ST04_EV") as info:
        back_azimuth_truth(meta, "coordinates", where="ds")
    assert info.value.trace == "AB.ST01_EV"


def test_a_label_inside_the_tolerance_agrees_and_one_outside_disagrees():
    meta = _metadata(3, 3)
    truth_baz = back_azimuth_truth(meta).values.copy()
    meta[schema.BACK_AZIMUTH] = (truth_baz + np.array([9.0, -11.0, 359.0])) % 360
    assert list(back_azimuth_truth(meta, tolerance_deg=10).disagree) == [False, True, False]


def test_distance_labels_follow_the_same_policy():
    meta = _metadata(4, 4)
    computed = distance_truth(meta).values.copy()
    meta.loc[1, schema.EP_DISTANCE] = computed[1] * 3 + 10  # a wrong catalogue distance
    auto = distance_truth(meta)
    np.testing.assert_allclose(auto.values, computed)
    assert auto.summary()["labels_overridden"] == 1
    assert distance_truth(meta, "label").values[1] == pytest.approx(computed[1] * 3 + 10)
    meta = meta.drop(columns=[schema.SOURCE_LATITUDE])
    assert list(distance_truth(meta).origin) == ["label"] * 4
    with pytest.raises(DataError, match="distance-from coordinates"):
        distance_truth(meta, "coordinates")
