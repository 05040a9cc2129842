"""``seislearn data`` end to end on the real data in ../shared/data, the NPZ reader, and bad input."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from seislearn.cli.main import main
from seislearn.errors import DataError
from seislearn.io import read_dataset
from seislearn.io.npz import read_npz_folder


def test_npz_vertical_only_traces_are_flagged_from_channels(shared_data):
    ds = read_npz_folder(shared_data / "ncedc_phasenet")
    meta = ds.metadata
    assert len(ds) == 154
    assert (meta.trace_available_components == "Z").sum() == 39
    assert (meta.trace_available_components == "ZNE").sum() == 115
    z_only = int(np.flatnonzero(meta.trace_available_components == "Z")[0])
    wave = ds.get_waveform(z_only)
    assert wave.shape == (3, 9001) and wave[0].any() and not wave[1:].any()


def test_npz_missing_file_names_file_and_trace(tmp_path, shared_data):
    src = shared_data / "ncedc_phasenet"
    index = pd.read_csv(src / "waveform.csv").head(2)
    (tmp_path / "waveform_train").mkdir()
    shutil.copy(src / "waveform_train" / index.fname[0], tmp_path / "waveform_train")
    index.to_csv(tmp_path / "waveform.csv", index=False)
    ds = read_dataset(tmp_path)
    assert ds.get_waveform(0).shape == (3, 9001)
    with pytest.raises(DataError, match=rf"{index.fname[1]}.*no waveform file"):
        ds.get_waveform(1)


def test_corrupt_npz_is_a_clear_error(tmp_path):
    (tmp_path / "waveform.csv").write_text(
        "fname,itp,its,channels\nXX_STA_20200101000000.npz,10,20,HHZ\n"
    )
    (tmp_path / "XX_STA_20200101000000.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DataError, match=r"XX_STA_20200101000000.*cannot read npz"):
        read_dataset(tmp_path).get_waveform(0)


def test_data_info_summarizes_the_seisbench_dummy(shared_data, capsys):
    assert main(["data", "info", str(shared_data / "seisbench_dummy")]) == 0
    out = capsys.readouterr().out
    assert "traces       100" in out and "20: 100" in out and "shape (3, 1200)" in out


def test_data_check_lists_the_vertical_only_traces(shared_data, tmp_path, capsys):
    out_csv = tmp_path / "problems.csv"
    assert main(["data", "check", str(shared_data / "ncedc_phasenet"), "--out", str(out_csv)]) == 0
    assert "missing_component         warning          39      39" in capsys.readouterr().out
    assert (pd.read_csv(out_csv).check == "missing_component").sum() == 39


def test_data_convert_npz_to_seisbench_round_trips(shared_data, tmp_path, capsys):
    dst = tmp_path / "sb"
    assert main(["data", "convert", str(shared_data / "ncedc_phasenet"), str(dst)]) == 0
    assert "wrote 154 traces" in capsys.readouterr().out
    src, back = read_dataset(shared_data / "ncedc_phasenet"), read_dataset(dst)
    for i in (0, 1, 153):
        np.testing.assert_array_equal(back.get_waveform(i), src.get_waveform(i))
    assert list(back.metadata.trace_available_components) == list(
        src.metadata.trace_available_components
    )
    assert main(["data", "convert", str(shared_data / "ncedc_phasenet"), str(dst)]) == 1
    assert "overwrite" in capsys.readouterr().err


def test_data_synth_events_writes_a_readable_dataset(tmp_path, capsys):
    assert (
        main(["data", "synth", "events", "--n", "6", "--out", str(tmp_path / "s"), "--seed", "2"])
        == 0
    )
    ds = read_dataset(tmp_path / "s")
    assert len(ds) == 6 and ds.get_waveform(0).shape == (3, 6000)
    assert main(["data", "check", str(tmp_path / "s")]) == 0
    assert "no problems found" in capsys.readouterr().out


def test_data_synth_events_at_a_typical_site_differs_from_the_ideal_one(tmp_path):
    common = ["data", "synth", "events", "--n", "3", "--seed", "2"]
    assert main([*common, "--out", str(tmp_path / "ideal")]) == 0
    assert main([*common, "--out", str(tmp_path / "site"), "--site", "typical"]) == 0
    ideal, site = read_dataset(tmp_path / "ideal"), read_dataset(tmp_path / "site")
    assert site.metadata["path_back_azimuth_deg"].tolist() == pytest.approx(
        ideal.metadata["path_back_azimuth_deg"].tolist()
    )
    assert not np.allclose(ideal.get_waveform(0), site.get_waveform(0))


def test_data_synth_events_defaults_to_the_ideal_generator_and_offers_broad_physics(tmp_path):
    from seislearn.data.synthetic import make_events

    common = ["data", "synth", "events", "--n", "40", "--seed", "2"]
    assert main([*common, "--out", str(tmp_path / "broad"), "--physics", "broad"]) == 0
    assert main([*common, "--out", str(tmp_path / "ideal")]) == 0
    broad, ideal = read_dataset(tmp_path / "broad"), read_dataset(tmp_path / "ideal")
    # Deeper and farther sources than the ideal generator's 2-20 km and 5-80 km.
    assert broad.metadata["source_depth_km"].max() > 20.0
    assert ideal.metadata["source_depth_km"].max() <= 20.0
    old = make_events(40, seed=2)
    np.testing.assert_array_equal(ideal.get_waveform(5), old.get_waveform(5))


def test_data_synth_events_at_20_hz_with_noise_from_real_traces(shared_data, tmp_path, capsys):
    out = tmp_path / "s20"
    args = ["data", "synth", "events", "--n", "5", "--out", str(out), "--sampling-rate", "20"]
    assert main([*args, "--noise-from", str(shared_data / "seisbench_dummy")]) == 0
    assert "pre-P stretches" in capsys.readouterr().out
    ds = read_dataset(out)
    assert ds.get_waveform(0).shape == (3, 1200)
    assert (ds.metadata["trace_sampling_rate_hz"] == 20.0).all()


def _with_bad_rows(shared_data, tmp_path):
    root = tmp_path / "bad"
    shutil.copytree(shared_data / "seisbench_dummy", root)
    meta = pd.read_csv(root / "metadata.csv")
    extra = meta.head(2).copy()
    extra["trace_name"] = ["bucket0$999,:3,:1200", "bucket0$x,:3"]
    pd.concat([meta.head(3), extra]).to_csv(root / "metadata.csv", index=False)
    return root


def test_convert_stops_at_the_first_bad_trace_naming_file_and_trace(shared_data, tmp_path, capsys):
    root = _with_bad_rows(shared_data, tmp_path)
    assert main(["data", "convert", str(root), str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "waveforms.hdf5" in err and "bucket0$999" in err and "Traceback" not in err


def test_convert_with_skip_writes_the_good_traces_and_lists_the_bad(shared_data, tmp_path, capsys):
    root = _with_bad_rows(shared_data, tmp_path)
    assert main(["data", "convert", str(root), str(tmp_path / "out"), "--on-error", "skip"]) == 0
    out = capsys.readouterr().out
    assert "wrote 3 traces" in out
    assert "bucket0$999" in out and "malformed trace block" in out
    assert len(read_dataset(tmp_path / "out")) == 3


def test_check_with_skip_lists_unreadable_traces(shared_data, tmp_path, capsys):
    root = _with_bad_rows(shared_data, tmp_path)
    assert main(["data", "check", str(root)]) == 1
    assert main(["data", "check", str(root), "--on-error", "skip"]) == 3  # errors found
    assert "unreadable" in capsys.readouterr().out


def test_convert_of_miniseed_with_a_corrupt_file(tmp_path, capsys):
    from obspy import read

    src = tmp_path / "mseed"
    src.mkdir()
    read().write(str(src / "good.mseed"), format="MSEED")  # ObsPy's example 3-component record
    (src / "broken.mseed").write_bytes(b"\x00garbage" * 64)
    assert main(["data", "convert", str(src), str(tmp_path / "o1")]) == 1
    assert "broken.mseed" in capsys.readouterr().err
    assert main(["data", "convert", str(src), str(tmp_path / "o2"), "--on-error", "skip"]) == 0
    out = capsys.readouterr().out
    assert "wrote 1 traces" in out and "broken.mseed" in out


def test_empty_folder_is_one_clear_error(tmp_path, capsys):
    assert main(["data", "check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "empty" in err and str(tmp_path) in err


def test_data_info_and_check_read_a_stead_folder(tmp_path, stead_writer, capsys):
    stead_writer(tmp_path, nested=True)
    assert main(["data", "info", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "traces       3" in out and "shape (3, 6000)" in out
    assert main(["data", "check", str(tmp_path / "chunk1.csv")]) == 0
    assert (
        "back_azimuth" in capsys.readouterr().out
    )  # the fixture's labels disagree with coordinates


def test_data_check_all_lists_every_row_and_the_default_says_how_to_get_them(shared_data, capsys):
    assert main(["data", "check", str(shared_data / "ncedc_phasenet")]) == 0
    out = capsys.readouterr().out
    assert "... and 29 more" in out and "pass --all to list every row" in out
    assert main(["data", "check", str(shared_data / "ncedc_phasenet"), "--all"]) == 0
    out = capsys.readouterr().out
    assert out.count("not recorded (flagged by") == 39 and "more" not in out


def test_data_check_out_never_replaces_a_file_without_overwrite(shared_data, tmp_path, capsys):
    out_csv = tmp_path / "problems.csv"
    out_csv.write_text("precious")
    args = ["data", "check", str(shared_data / "ncedc_phasenet"), "--out", str(out_csv)]
    assert main(args) == 1
    assert "--overwrite" in capsys.readouterr().err and out_csv.read_text() == "precious"
    assert main([*args, "--overwrite"]) == 0
    table = pd.read_csv(out_csv)
    assert list(table.columns) == [
        "position",
        "trace_name",
        "check",
        "severity",
        "detail",
        "trace_name_seisbench",
    ]


def test_data_check_names_converted_traces_by_their_original_name(shared_data, tmp_path, capsys):
    assert main(["data", "convert", str(shared_data / "ncedc_phasenet"), str(tmp_path / "sb")]) == 0
    capsys.readouterr()
    out_csv = tmp_path / "problems.csv"
    assert main(["data", "check", str(tmp_path / "sb"), "--out", str(out_csv)]) == 0
    assert "NC_MTU_2014071807051236_02 (SeisBench bucket" in capsys.readouterr().out
    table = pd.read_csv(out_csv)
    assert table.trace_name_seisbench.str.startswith("bucket").all()
    assert "NC_MTU_2014071807051236_02" in set(table.trace_name)


def _events_with_a_nan_trace(tmp_path):
    import h5py

    from seislearn.cli.data import CHECK_FAILED

    assert main(["data", "synth", "events", "--n", "6", "--out", str(tmp_path / "s")]) == 0
    with h5py.File(tmp_path / "s" / "waveforms.hdf5", "r+") as f:
        block = f["data"][next(iter(f["data"]))]
        block[2, 1, 100:110] = np.nan
    return tmp_path / "s", CHECK_FAILED


def test_data_check_exits_non_zero_when_a_trace_has_an_error_and_zero_when_clean(tmp_path, capsys):
    clean = tmp_path / "clean"
    assert main(["data", "synth", "events", "--n", "6", "--out", str(clean)]) == 0
    assert main(["data", "check", str(clean)]) == 0
    bad, failed = _events_with_a_nan_trace(tmp_path)
    capsys.readouterr()
    assert failed not in (0, 1, 2)  # not success, not "could not run", not argparse's usage
    assert main(["data", "check", str(bad)]) == failed
    assert "nan_or_inf" in capsys.readouterr().out
    assert main(["data", "check", str(bad), "--fail-on", "never"]) == 0


def test_data_check_warnings_pass_unless_fail_on_warning(shared_data):
    from seislearn.cli.data import CHECK_FAILED

    ncedc = str(shared_data / "ncedc_phasenet")  # warnings only (missing components)
    assert main(["data", "check", ncedc]) == 0
    assert main(["data", "check", ncedc, "--fail-on", "warning"]) == CHECK_FAILED


def test_data_check_help_documents_its_exit_status(capsys):
    with pytest.raises(SystemExit):
        main(["data", "check", "--help"])
    out = capsys.readouterr().out
    assert "exit status" in out and "3 when" in out
