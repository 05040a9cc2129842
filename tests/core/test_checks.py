from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from obspy.geodetics import gps2dist_azimuth

from seislearn.data.checks import check_dataset, format_report
from seislearn.data.dataset import ArrayLoader, WaveformDataset
from seislearn.errors import DataError
from seislearn.io import read_dataset
from seislearn.io.stead import read_stead


def _dataset(waves: dict[str, np.ndarray], **columns) -> WaveformDataset:
    meta = pd.DataFrame({"trace_name": list(waves), "trace_sampling_rate_hz": 100.0, **columns})
    return WaveformDataset(meta, ArrayLoader(waves))


def _clean(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((3, 1000)).astype(np.float32)


def _checks(problems: pd.DataFrame, trace: str) -> set[str]:
    return set(problems.loc[problems.trace_name == trace, "check"])


def test_clean_traces_have_no_problems():
    problems = check_dataset(_dataset({"a": _clean(0), "b": _clean(1)}))
    assert problems.empty
    assert "no problems" in format_report(problems)


def test_nan_zero_flat_and_clipped_channels_are_reported():
    nan, zero, flat, clipped = _clean(1), _clean(2), _clean(3), _clean(4)
    nan[1, 10] = np.nan
    zero[2] = 0
    flat[0] = 7.5
    clipped[0] = np.clip(clipped[0] * 5, -3, 3)
    problems = check_dataset(_dataset({"nan": nan, "zero": zero, "flat": flat, "clip": clipped}))
    assert _checks(problems, "nan") == {"nan_or_inf"}
    assert _checks(problems, "zero") == {"zero_channel"}
    assert _checks(problems, "flat") == {"flat_channel"}
    assert _checks(problems, "clip") == {"clipping"}


def test_a_gap_filled_with_a_constant_is_not_called_clipping():
    wave = _clean(5)
    wave[0, 800:] = 10.0
    assert _checks(check_dataset(_dataset({"gap": wave})), "gap") == {"constant_segment"}


def test_flagged_missing_component_is_not_a_zero_channel_error():
    wave = _clean(6)
    wave[1:] = 0
    problems = check_dataset(_dataset({"z_only": wave}, trace_available_components=["Z"]))
    assert _checks(problems, "z_only") == {"missing_component"}
    assert "N, E" in problems.detail.iloc[0]


def test_picks_outside_the_trace_rates_and_ranges_are_reported():
    waves = {"a": _clean(0), "b": _clean(1), "c": _clean(2)}
    ds = _dataset(
        waves,
        trace_p_arrival_sample=[100, 1500, -3],
        source_magnitude=[2.0, 12.0, 1.0],
    )
    ds.metadata.loc[1, "trace_sampling_rate_hz"] = 40.0
    problems = check_dataset(ds)
    assert _checks(problems, "a") == set()
    assert _checks(problems, "b") == {
        "pick_outside_trace",
        "label_out_of_range",
        "sampling_rate_mismatch",
    }
    assert _checks(problems, "c") == {"pick_outside_trace"}


def test_back_azimuth_labelled_with_the_azimuth_is_reported_as_flipped():
    station, source = (35.0, -117.0), (35.5, -116.4)
    _, az, baz = gps2dist_azimuth(*source, *station)
    ds = _dataset(
        {"right": _clean(0), "flipped": _clean(1), "wrong": _clean(2)},
        source_latitude_deg=source[0],
        source_longitude_deg=source[1],
        station_latitude_deg=station[0],
        station_longitude_deg=station[1],
        path_back_azimuth_deg=[baz, az, (baz + 40) % 360],
    )
    problems = check_dataset(ds)
    assert _checks(problems, "right") == set()
    assert _checks(problems, "flipped") == {"back_azimuth_flipped"}
    assert _checks(problems, "wrong") == {"back_azimuth_mismatch"}


def test_synthetic_labels_agree_with_their_coordinates(synthetic_small):
    problems = check_dataset(synthetic_small, waveforms=False)
    assert not problems.check.str.startswith("back_azimuth").any()


def test_unreadable_trace_raises_or_is_listed_with_skip():
    ds = _dataset({"a": _clean(0)})
    ds = WaveformDataset(
        pd.concat(
            [
                ds.metadata,
                pd.DataFrame({"trace_name": ["ghost"], "trace_sampling_rate_hz": [100.0]}),
            ]
        ),
        ds.loader,
    )
    with pytest.raises(DataError, match="ghost"):
        check_dataset(ds)
    problems = check_dataset(ds, on_error="skip")
    assert _checks(problems, "ghost") == {"unreadable"}


def test_ncedc_vertical_only_traces_show_as_missing_components(shared_data):
    problems = check_dataset(read_dataset(shared_data / "ncedc_phasenet"))
    missing = problems[problems.check == "missing_component"]
    assert missing.trace_name.nunique() == 39
    assert not problems.check.isin(["zero_channel", "flat_channel", "nan_or_inf"]).any()
    assert "missing_component" in format_report(problems)


def test_seisbench_dummy_is_clean(shared_data):
    problems = check_dataset(read_dataset(shared_data / "seisbench_dummy"))
    assert problems.attrs["n_traces"] == 100
    assert problems.empty, format_report(problems)


def test_stead_row_labelled_with_the_azimuth_is_found(tmp_path, stead_writer):
    stead_writer(tmp_path)
    ds = read_stead(tmp_path)
    _, az, baz = gps2dist_azimuth(35.5, -116.5, 35.0, -117.0)
    ds.metadata.loc[0, "path_back_azimuth_deg"] = baz
    ds.metadata.loc[1, "path_back_azimuth_deg"] = az
    problems = check_dataset(ds, waveforms=False)
    assert list(problems.trace_name) == ["AB.STA2_20180101_EV"]
    assert problems.check.iloc[0] == "back_azimuth_flipped"


# -- checks added for issue 15 -----------------------------------------------------------
def test_dead_horizontals_are_one_error_row_naming_both_channels():
    wave = _clean(7)
    wave[1:] = 0
    problems = check_dataset(_dataset({"dead_ne": wave}))
    assert list(problems.check) == ["zero_channel"]
    assert problems.detail.iloc[0].startswith("N, E: all 1000 samples are zero")


def test_a_wholly_dead_trace_says_so():
    problems = check_dataset(_dataset({"dead": np.zeros((3, 1000), dtype=np.float32)}))
    assert "the trace is dead" in problems.detail.iloc[0]


def test_a_two_channel_trace_is_a_channel_count_error_not_a_clean_trace():
    problems = check_dataset(_dataset({"ok": _clean(0), "two": _clean(1)[:2]}))
    assert _checks(problems, "two") == {"channel_count"}
    assert "2 channels" in problems.detail.iloc[0]
    assert "no problems" not in format_report(problems)


def test_a_dataset_without_any_sampling_rate_has_an_error_per_trace():
    waves = {"a": _clean(0), "b": _clean(1)}
    ds = WaveformDataset(pd.DataFrame({"trace_name": list(waves)}), ArrayLoader(waves))
    problems = check_dataset(ds)
    assert list(problems.check) == ["no_sampling_rate"] * 2
    assert "no problems" not in format_report(problems)


def test_missing_or_non_positive_rates_are_errors_and_odd_rates_warnings():
    ds = _dataset({k: _clean(i) for i, k in enumerate("abcde")})
    ds.metadata["trace_sampling_rate_hz"] = [100.0, np.nan, 0.0, 40.0, 100.0]
    problems = check_dataset(ds)
    assert _checks(problems, "b") == _checks(problems, "c") == {"no_sampling_rate"}
    assert _checks(problems, "d") == {"sampling_rate_mismatch"}


def test_duplicate_trace_names_are_an_error_on_every_copy():
    meta = pd.DataFrame({"trace_name": ["a", "b", "a"], "trace_sampling_rate_hz": 100.0})
    ds = WaveformDataset(meta, ArrayLoader({"a": _clean(0), "b": _clean(1)}))
    problems = check_dataset(ds)
    dup = problems[problems.check == "duplicate_trace_name"]
    assert list(dup.position) == [0, 2]
    assert "also rows 2" in dup.detail.iloc[0]


def test_conflicting_miniseed_overlaps_are_errors_and_identical_ones_are_not():
    from obspy import Stream, Trace, UTCDateTime

    from seislearn.io.obspy_files import dataset_from_stream

    t0 = UTCDateTime("2021-03-04T05:06:07")
    rng = np.random.default_rng(0)

    def stream(sta: str, conflicting: bool) -> Stream:
        traces = []
        for cha in ("HHZ", "HHN", "HHE"):
            data = rng.standard_normal(2000)
            second = data[1000:].copy()
            if conflicting and cha == "HHZ":
                second[:200] += 1.0  # the resent stretch holds other samples
            for part, start in ((data[:1200], t0), (second, t0 + 10.0)):
                tr = Trace(part.copy())
                tr.stats.update(
                    {"network": "XX", "station": sta, "channel": cha, "sampling_rate": 100.0}
                )
                tr.stats.starttime = start
                traces.append(tr)
        return Stream(traces)

    ds = dataset_from_stream(stream("BAD", True) + stream("OK", False))
    problems = check_dataset(ds)
    bad = problems[problems.check == "conflicting_overlap"]
    assert len(bad) == 1 and bad.trace_name.iloc[0].startswith("XX.BAD")
    assert "XX.BAD..HHZ" in bad.detail.iloc[0] and "differ" in bad.detail.iloc[0]


def test_trace_errors_lists_every_error_with_its_position_and_never_raises():
    from seislearn.data.checks import trace_errors

    nan = _clean(1)
    nan[0, 5] = np.nan
    meta = pd.DataFrame(
        {
            "trace_name": ["good", "nan", "ghost", "clipped"],
            "trace_sampling_rate_hz": 100.0,
            "trace_name_original": ["G", "N", "H", "C"],
        }
    )
    clipped = np.clip(_clean(4) * 5, -3, 3)
    ds = WaveformDataset(meta, ArrayLoader({"good": _clean(0), "nan": nan, "clipped": clipped}))
    errors = trace_errors(ds)
    assert list(errors.position) == [1, 2]
    assert list(errors.check) == ["nan_or_inf", "unreadable"]
    assert list(errors.trace_name) == ["N", "H"]  # the user's names
    assert list(errors.trace_name_seisbench) == ["nan", "ghost"]
    assert set(errors.severity) == {"error"}  # clipping (a warning) is left out
    assert errors.attrs["n_bad_traces"] == 2 and errors.attrs["n_traces"] == 4
    kept = ds.filter(~np.isin(np.arange(len(ds)), errors.position))
    assert list(kept.metadata.trace_name) == ["good", "clipped"]


def test_the_report_names_traces_by_their_original_name_beside_the_seisbench_name():
    wave = _clean(0)
    wave[2] = 0
    ds = _dataset({"bucket0$0,:3,:1000": wave}, trace_name_original=["NC_MEM_2017"])
    report = format_report(check_dataset(ds))
    assert "NC_MEM_2017 (SeisBench bucket0$0,:3,:1000): E: all 1000 samples are zero" in report


def test_the_report_says_how_many_rows_it_left_out_and_lists_all_when_asked():
    waves = {f"t{i}": np.zeros((3, 100), dtype=np.float32) for i in range(15)}
    problems = check_dataset(_dataset(waves))
    short = format_report(problems, 10, more_hint="pass --all")
    assert "... and 5 more" in short and "5 rows not listed; pass --all" in short
    full = format_report(problems, None)
    assert all(f"t{i}:" in full for i in range(15)) and "more" not in full
