"""The test-time rotation rule: the rotation average for stations the model has not learned."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seislearn.azimuth.evaluate import (
    ORIENTATION_CHECK_ALPHA,
    averaged_better_p_value,
    check_few_event_stations,
    compare_orientations,
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


def _check_data(
    offsets: list[float], names: list[str] | None = None, markers: list[int] | None = None
):
    """One station's rows whose truth the stub hits as recorded (100) or averaged (800),
    and a last test row; ``names``: the trace names of the labelled rows, ``markers``:
    their windows' numbers (the same number, the same window)."""
    from types import SimpleNamespace

    n = len(offsets)
    windows = np.zeros((n + 1, 3, 8), np.float32)
    windows[:, 0, 0] = np.r_[np.arange(n) if markers is None else markers, n + 100] * 3.0
    # The stub predicts marker + 100 as recorded and marker + 800 averaged, so a trace
    # whose truth is the other one is 20 degrees off (800 - 100 = 700 = 2 x 360 - 20).
    truth = (windows[:, 0, 0] + np.asarray([*offsets, 100.0])) % 360.0
    meta = _meta(["CX.PB01"] * (n + 1))
    if names is not None:
        meta[schema.TRACE_NAME] = [*names, "test"]
    return SimpleNamespace(windows=windows, metadata=meta, back_azimuth_deg=truth)


@settings(max_examples=20, deadline=None)
@given(
    offsets=st.lists(st.sampled_from([100.0, 800.0]), min_size=2, max_size=12),
    n_events=st.integers(1, 200),
)
def test_a_few_event_station_is_checked_on_its_own_labelled_traces(offsets, n_events):
    """Under the threshold, the station's labelled traces decide: as recorded unless the
    average is better with significance; a station at the threshold is not checked, and
    a test row never counts."""
    n = len(offsets)
    data = _check_data(offsets)
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
    # Each trace favours one setting by 20 degrees (to float32 rounding of the stub's
    # angles): the test of the mean difference is the sign test of a fair coin, between
    # P(more than k of n heads) + 2**-n and P(at least k).
    from scipy.stats import binom

    p_value = result["p_value_averaged_better"]
    k = averaged_right
    assert binom.sf(k, n, 0.5) + 2.0**-n - 1e-12 <= p_value <= binom.sf(k - 1, n, 0.5) + 1e-12
    better = result["averaged_mae_deg"] < result["as_recorded_mae_deg"]
    assert better == (k > n - k)
    assert result["learned"] == (not (better and p_value < ORIENTATION_CHECK_ALPHA))
    if k > n - k and binom.sf(k - 1, n, 0.5) < ORIENTATION_CHECK_ALPHA:
        assert not result["learned"]  # a clear majority overrules the recording
    if k <= n - k or binom.sf(k, n, 0.5) + 2.0**-n >= ORIENTATION_CHECK_ALPHA:
        assert result["learned"]
    assert not check_few_event_stations(_StubNet(1), data, labelled, {"CX.PB01": n_events}, 100)


@settings(max_examples=20, deadline=None)
@given(
    offsets=st.lists(st.sampled_from([100.0, 800.0]), min_size=1, max_size=8),
    copies=st.lists(st.integers(1, 6), min_size=8, max_size=8),
)
def test_copies_of_a_trace_are_one_piece_of_evidence(offsets, copies):
    """A fine-tuning mix repeats each real trace: the check sees each trace name once, so
    the copies decide nothing the traces alone would not."""
    n = len(offsets)
    repeats = copies[:n]
    names = [f"t{i}" for i in range(n)]
    once = check_few_event_stations(
        _StubNet(8),
        _check_data(offsets, names),
        np.r_[np.ones(n, bool), False],
        {"CX.PB01": 3},
        100,
    )
    many_offsets = [o for o, r in zip(offsets, repeats, strict=True) for _ in range(r)]
    many_names = [t for t, r in zip(names, repeats, strict=True) for _ in range(r)]
    many_markers = [i for i, r in enumerate(repeats) for _ in range(r)]
    many = check_few_event_stations(
        _StubNet(8),
        _check_data(many_offsets, many_names, many_markers),
        np.r_[np.ones(len(many_names), bool), False],
        {"CX.PB01": 3},
        100,
    )
    assert list(many) == list(once) == ["CX.PB01"]
    a, b = many["CX.PB01"], once["CX.PB01"]
    assert a["n_traces"] == b["n_traces"] == n
    assert a == b  # the same windows: the same check, to the bit


def _exact_sign_flip_p(d: np.ndarray) -> float:
    """The oracle: every one of the 2**n sign patterns, counted by hand."""
    import itertools

    observed = d.mean()
    means = [
        np.mean(d * np.asarray(signs)) for signs in itertools.product((1.0, -1.0), repeat=len(d))
    ]
    return float(np.mean(np.asarray(means) >= observed - 1e-9 * max(1.0, abs(observed))))


@settings(max_examples=40, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(st.integers(-180, 180), st.integers(-180, 180)), min_size=2, max_size=10
    )
)
def test_the_p_value_is_the_exact_sign_flip_test(pairs):
    """Up to 13 traces the test enumerates every sign pattern: it equals the oracle.
    Whole degrees keep every sum exact, so ties are ties for both."""
    as_recorded, averaged = (np.asarray(x, float) for x in zip(*pairs, strict=True))
    d = np.abs(as_recorded) - np.abs(averaged)
    p_value = averaged_better_p_value(as_recorded, averaged)
    if not np.any(d):
        assert p_value == 1.0
    else:
        assert p_value == pytest.approx(_exact_sign_flip_p(d), abs=1e-9)


def test_the_p_value_of_no_one_or_tied_traces():
    assert averaged_better_p_value(np.array([]), np.array([])) == 1.0
    assert averaged_better_p_value(np.array([30.0]), np.array([10.0])) == 0.5
    assert averaged_better_p_value(np.array([10.0]), np.array([30.0])) == 1.0
    assert averaged_better_p_value(np.array([5.0, -7.0]), np.array([-5.0, 7.0])) == 1.0
    assert averaged_better_p_value(np.array([np.nan, 30.0]), np.array([1.0, 10.0])) == 0.5


@settings(max_examples=40, deadline=None)
@given(
    errors=st.lists(
        st.tuples(st.floats(0, 180, allow_nan=False), st.floats(0, 180, allow_nan=False)),
        min_size=1,
        max_size=30,
    ),
    truth=st.floats(0, 359, allow_nan=False),
)
def test_the_average_never_overrules_the_recording_without_significance(errors, truth):
    """A station is rotated only when the average has the lower error and p < alpha; with
    fewer than 5 traces (smallest p 2**-n > 0.05) it never is."""
    as_recorded_err, averaged_err = (np.asarray(x) for x in zip(*errors, strict=True))
    n = len(errors)
    true_deg = np.full(n, truth)
    checked = compare_orientations(
        np.full(n, "CX.PB01"),
        true_deg,
        (true_deg + as_recorded_err) % 360.0,
        (true_deg - averaged_err) % 360.0,
        ["CX.PB01", "XS.S000"],
    )
    assert list(checked) == ["CX.PB01"]  # a station without rows is not decided
    result = checked["CX.PB01"]
    rotated = not result["learned"]
    if rotated:
        assert result["averaged_mae_deg"] < result["as_recorded_mae_deg"]
        assert result["p_value_averaged_better"] < ORIENTATION_CHECK_ALPHA
        assert n >= 5
    if n < 5:
        assert result["learned"]
    if result["averaged_mae_deg"] >= result["as_recorded_mae_deg"]:
        assert result["learned"]


@settings(max_examples=20, deadline=None)
@given(
    checked=st.dictionaries(
        st.sampled_from(["CX.PB01", "XS.S000", "GE.APE"]),
        st.tuples(st.integers(1, 40), st.floats(0, 180), st.floats(0, 180), st.floats(0, 1)),
        max_size=3,
    ),
    rotations=st.sampled_from([1, 8]),
)
def test_the_report_says_which_traces_were_averaged_and_why(checked, rotations):
    """Every checked station is a row with its decision; a net that averages nothing
    says nothing about orientations."""
    from seislearn.azimuth.evaluate import summary_section

    stations = {
        s: {
            "n_traces": n,
            "as_recorded_mae_deg": a,
            "averaged_mae_deg": b,
            "p_value_averaged_better": p,
            "learned": not (b < a and p < ORIENTATION_CHECK_ALPHA),
        }
        for s, (n, a, b, p) in checked.items()
    }
    section = {
        "orientations": rotations,
        "traces_rotated": 3 if rotations > 1 else 0,
        "traces_as_recorded": 4,
        "rule": "the rule",
        "stations_checked": stations,
    }
    out = summary_section("t", {"test_time_rotations": section}, [])
    said = [p for p in out.paragraphs if p.startswith("Orientations:")]
    tables = [rows for caption, _, rows in out.tables if caption.startswith("station check")]
    if rotations == 1:
        assert not said and not tables
        return
    assert said == [
        "Orientations: 3 traces averaged over 8 orientations of the horizontals, "
        "4 predicted as recorded (the rule)."
    ]
    if not stations:
        assert not tables
        return
    (rows,) = tables
    assert [row[0] for row in rows] == list(stations)
    for row, c in zip(rows, stations.values(), strict=True):
        assert row[1] == c["n_traces"]
        assert row[-1] == ("as recorded" if c["learned"] else "averaged")
