"""``detect_format`` judges a dataset by what its files hold, not by their names."""

from __future__ import annotations

import shutil

import h5py
import numpy as np
import pandas as pd
import pytest

from seislearn.cli.main import main
from seislearn.errors import DataError
from seislearn.io import detect_format, read_dataset
from seislearn.io.seisbench import write_seisbench


def _stead_as_seisbench_names(tmp_path, stead_writer):
    stead_writer(tmp_path / "src")
    root = tmp_path / "renamed"
    root.mkdir()
    shutil.copy(tmp_path / "src" / "chunk1.csv", root / "metadata.csv")
    shutil.copy(tmp_path / "src" / "chunk1.hdf5", root / "waveforms.hdf5")
    return root


def test_stead_saved_as_metadata_csv_and_waveforms_hdf5_is_read_as_stead(tmp_path, stead_writer):
    root = _stead_as_seisbench_names(tmp_path, stead_writer)
    assert detect_format(root) == "stead"
    ds = read_dataset(root)
    assert len(ds) == 3 and ds.get_waveform(0).shape == (3, 6000)
    assert "station_code" in ds.metadata.columns  # STEAD columns were mapped


def test_stead_with_only_its_hdf5_layout_is_recognised(tmp_path, stead_writer):
    stead_writer(tmp_path / "ds")
    pd.DataFrame({"trace_name": pd.read_csv(tmp_path / "ds" / "chunk1.csv").trace_name}).to_csv(
        tmp_path / "ds" / "chunk1.csv", index=False
    )
    assert detect_format(tmp_path / "ds") == "stead"


def test_seisbench_under_other_file_names_is_read_as_seisbench(tmp_path, synthetic_small):
    write_seisbench(synthetic_small.select([0, 1, 2]), tmp_path / "sb")
    (tmp_path / "sb" / "metadata.csv").rename(tmp_path / "sb" / "events.csv")
    (tmp_path / "sb" / "waveforms.hdf5").rename(tmp_path / "sb" / "events.h5")
    assert detect_format(tmp_path / "sb") == "seisbench"
    ds = read_dataset(tmp_path / "sb")
    np.testing.assert_array_equal(ds.get_waveform(2), synthetic_small.get_waveform(2))


def test_npz_folder_with_another_index_name_is_read_as_npz(tmp_path, shared_data):
    src = shared_data / "ncedc_phasenet"
    index = pd.read_csv(src / "waveform.csv").head(3)
    (tmp_path / "files").mkdir()
    for name in index.fname:
        shutil.copy(src / "waveform_train" / name, tmp_path / "files")
    index.to_csv(tmp_path / "catalogue.csv", index=False)
    assert detect_format(tmp_path) == "npz"
    assert read_dataset(tmp_path).get_waveform(2).shape == (3, 9001)


def test_miniseed_folder_with_a_pick_table_is_read_by_obspy(tmp_path):
    import obspy

    obspy.read().write(str(tmp_path / "event.mseed"), format="MSEED")
    (tmp_path / "picks.csv").write_text("station,phase,time\nBW.RJOB,P,2009-08-24T00:20:07\n")
    assert detect_format(tmp_path) == "obspy"


def test_the_shared_data_sets_are_recognised(shared_data):
    assert detect_format(shared_data / "seisbench_dummy") == "seisbench"
    assert detect_format(shared_data / "ncedc_phasenet") == "npz"


def test_a_path_fitting_two_formats_is_one_error_naming_both(tmp_path, stead_writer):
    root = _stead_as_seisbench_names(tmp_path, stead_writer)
    with h5py.File(root / "waveforms.hdf5", "a") as f:
        f["data_format/component_order"] = "ZNE"
    with pytest.raises(DataError, match="more than one format") as caught:
        detect_format(root)
    message = str(caught.value)
    assert "STEAD columns" in message and "data_format group" in message
    assert "--format stead" in message and "--format seisbench" in message
    assert read_dataset(root, format="stead").get_waveform(0).shape == (3, 6000)


def test_a_path_fitting_no_format_lists_every_format_option(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match="cannot tell the dataset format") as caught:
        detect_format(tmp_path)
    for fmt in ("seisbench", "stead", "npz", "obspy"):
        assert f"--format {fmt}" in str(caught.value)
    assert main(["data", "info", str(tmp_path)]) == 1
    assert "--format" in capsys.readouterr().err


def test_one_file_of_a_seisbench_dataset_asks_for_the_folder(shared_data):
    with pytest.raises(DataError, match="pass the folder"):
        detect_format(shared_data / "seisbench_dummy" / "metadata.csv")


def test_a_stead_file_is_recognised_alone(tmp_path, stead_writer):
    stead_writer(tmp_path)
    assert detect_format(tmp_path / "chunk1.hdf5") == "stead"
    assert detect_format(tmp_path / "chunk1.csv") == "stead"
