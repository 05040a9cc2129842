from __future__ import annotations

import h5py
import numpy as np
import pandas as pd
import pytest

from seislearn.errors import DataError
from seislearn.io import detect_format, read_dataset
from seislearn.io.seisbench import write_seisbench
from seislearn.io.stead import parse_number_list, read_stead


def test_stead_traces_come_out_zne_float32(tmp_path, stead_writer):
    stored = stead_writer(tmp_path)
    ds = read_stead(tmp_path)
    assert len(ds) == 3
    wave = ds.get_waveform(0)
    assert wave.dtype == np.float32 and wave.shape == (3, 6000)
    np.testing.assert_array_equal(wave, stored["AB.STA1_20180101_EV"].T[[2, 1, 0]])
    assert ds.sampling_rate(0) == 100.0


def test_stead_columns_are_mapped_to_seisbench_names(tmp_path, stead_writer):
    stead_writer(tmp_path)
    meta = read_stead(tmp_path).metadata
    assert meta["path_back_azimuth_deg"].iloc[1] == 300.0
    assert meta["trace_p_arrival_sample"].iloc[0] == 900.0
    assert meta["station_latitude_deg"].iloc[0] == 35.0
    assert meta["source_longitude_deg"].iloc[0] == -116.5
    assert meta["station_code"].iloc[1] == "STA2"
    assert meta["trace_coda_end_sample"].iloc[0] == 3898.0
    assert "receiver_latitude" not in meta.columns


def test_snr_string_is_parsed_per_component_and_averaged(tmp_path, stead_writer):
    stead_writer(tmp_path)
    meta = read_stead(tmp_path).metadata
    assert meta["trace_snr_db_e"].iloc[0] == pytest.approx(56.8)
    assert meta["trace_snr_db_z"].iloc[0] == pytest.approx(47.1)
    assert meta["trace_snr_db"].iloc[1] == pytest.approx(12.0)
    assert np.isnan(meta["trace_snr_db"].iloc[2])  # noise rows carry no SNR


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[56.8 55.6 47.1]", [56.8, 55.6, 47.1]),
        ("[[3898.]]", [3898.0]),
        ("", []),
        ("[1e2, nan]", [100.0, np.nan]),
    ],
)
def test_number_list_fields_parse_without_eval(text, expected):
    np.testing.assert_array_equal(parse_number_list(text), expected)


def test_number_list_parser_refuses_code():
    with pytest.raises(ValueError, match="not a list of numbers"):
        parse_number_list("__import__('os').system('true')")


def test_malformed_snr_names_the_csv_and_trace(tmp_path, stead_writer):
    stead_writer(tmp_path)
    table = pd.read_csv(tmp_path / "chunk1.csv")
    table.loc[1, "snr_db"] = "[12 abc]"
    table.to_csv(tmp_path / "chunk1.csv", index=False)
    with pytest.raises(DataError, match=r"chunk1\.csv.*AB\.STA2_20180101_EV.*malformed snr_db"):
        read_stead(tmp_path)


def test_traces_in_nested_groups_are_found(tmp_path, stead_writer):
    stored = stead_writer(tmp_path, nested=True)
    ds = read_stead(tmp_path)
    noise = ds.get_waveform(2)
    np.testing.assert_array_equal(noise, stored["AB.STA1_20180102_NO"].T[[2, 1, 0]])
    assert ds.loader.locate("AB.STA1_20180101_EV") == "earthquake/local/AB.STA1_20180101_EV"


@pytest.mark.parametrize("which", ["csv", "hdf5", "folder"])
def test_either_file_or_the_folder_opens_the_dataset(tmp_path, stead_writer, which):
    stead_writer(tmp_path)
    path = {"csv": tmp_path / "chunk1.csv", "hdf5": tmp_path / "chunk1.hdf5", "folder": tmp_path}[
        which
    ]
    assert detect_format(path) == "stead"
    assert len(read_dataset(path)) == 3


def test_metadata_row_without_waveform_names_file_and_trace(tmp_path, stead_writer):
    stead_writer(tmp_path)
    with h5py.File(tmp_path / "chunk1.hdf5", "a") as f:
        del f["data/AB.STA2_20180101_EV"]
    ds = read_stead(tmp_path)
    with pytest.raises(DataError, match=r"chunk1\.hdf5.*AB\.STA2_20180101_EV.*no waveform"):
        ds.get_waveform(1)


def test_truncated_stead_hdf5_is_a_clear_error(tmp_path, stead_writer):
    stead_writer(tmp_path)
    path = tmp_path / "chunk1.hdf5"
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DataError, match=r"chunk1\.hdf5.*cannot open HDF5"):
        read_stead(tmp_path).get_waveform(0)


def test_wrong_waveform_shape_is_a_clear_error(tmp_path, stead_writer):
    stead_writer(tmp_path)
    with h5py.File(tmp_path / "chunk1.hdf5", "a") as f:
        del f["data/AB.STA1_20180101_EV"]
        f["data/AB.STA1_20180101_EV"] = np.zeros(6000, dtype=np.float32)
    with pytest.raises(DataError, match=r"AB\.STA1_20180101_EV.*shape"):
        read_stead(tmp_path).get_waveform(0)


def test_two_csvs_without_a_matching_stem_ask_for_csv(tmp_path, stead_writer):
    stead_writer(tmp_path)
    (tmp_path / "other.csv").write_text("trace_name\nx\n")
    (tmp_path / "more.csv").write_text("trace_name\nx\n")
    assert len(read_stead(tmp_path / "chunk1.hdf5")) == 3  # same stem wins
    with pytest.raises(DataError, match="expected one STEAD metadata CSV"):
        read_stead(tmp_path)


def test_stead_converts_to_seisbench_and_back(tmp_path, stead_writer):
    stead_writer(tmp_path / "stead", nested=True)
    ds = read_stead(tmp_path / "stead")
    write_seisbench(ds, tmp_path / "sb")
    back = read_dataset(tmp_path / "sb")
    np.testing.assert_array_equal(back.get_waveform(2), ds.get_waveform(2))
    assert list(back.metadata["path_back_azimuth_deg"].iloc[:2]) == [45.0, 300.0]
