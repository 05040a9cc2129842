"""The bad inputs a probe found (issue 15): each is one clear error naming the file, or a check row."""

from __future__ import annotations

import h5py
import pandas as pd
import pytest

from seislearn.data.checks import check_dataset
from seislearn.errors import DataError
from seislearn.io import read_dataset

from .conftest import dataset_copy


@pytest.mark.parametrize(
    ("fmt", "csv", "content", "message"),
    [
        ("seisbench", "metadata.csv", b"", "empty"),
        ("npz", "waveform.csv", b"", "empty"),
        ("npz", "waveform.csv", b"fname,itp,its,channels\n", "header but no rows"),
        ("seisbench", "metadata.csv", b"trace_name,split\n", "header but no rows"),
        ("seisbench", "metadata.csv", b"split\ntrain\n", "no 'trace_name' column"),
        ("stead", "chunk1.csv", b"receiver_code,snr_db\nST1,[1 2 3]\n", "no 'trace_name'"),
    ],
)
def test_an_empty_headerless_or_nameless_table_is_one_error_naming_it(fmt, csv, content, message):
    with dataset_copy(fmt) as root:
        (root / csv).write_bytes(content)
        with pytest.raises(DataError, match=message) as caught:
            read_dataset(root, fmt)
        assert csv in str(caught.value)


def test_damage_to_the_data_format_group_is_not_called_a_missing_sampling_rate():
    with dataset_copy("seisbench") as root:
        meta = pd.read_csv(root / "metadata.csv").drop(columns="trace_sampling_rate_hz")
        meta.to_csv(root / "metadata.csv", index=False)
        path = root / "waveforms.hdf5"
        with h5py.File(path, "r") as f:
            header = h5py.h5o.get_info(f["data_format/sampling_rate"].id).addr
        raw = bytearray(path.read_bytes())
        raw[header : header + 16] = b"\xff" * 16
        path.write_bytes(bytes(raw))
        with pytest.raises(DataError, match=r"waveforms\.hdf5.*damaged HDF5") as caught:
            read_dataset(root, "seisbench")
        assert "sampling rate" not in str(caught.value)


def test_duplicate_trace_names_read_and_are_listed_by_the_check():
    with dataset_copy("stead") as root:
        meta = pd.read_csv(root / "chunk1.csv")
        meta.loc[1, "trace_name"] = meta.loc[0, "trace_name"]
        meta.to_csv(root / "chunk1.csv", index=False)
        problems = check_dataset(read_dataset(root, "stead"))
        assert list(problems[problems.check == "duplicate_trace_name"].position) == [0, 1]


def test_a_metadata_cell_of_5000_digits_is_an_error_naming_the_csv():
    with dataset_copy("seisbench") as root:
        meta = pd.read_csv(root / "metadata.csv").astype(object)
        meta.loc[2, "source_magnitude"] = "9" * 5000
        meta.to_csv(root / "metadata.csv", index=False)
        with pytest.raises(
            DataError,
            match=r"metadata\.csv: metadata CSV: row 3, column 'source_magnitude' holds a number too large",
        ):
            read_dataset(root, "seisbench")
        meta.loc[2, "source_magnitude"] = "x" * 5000
        meta.to_csv(root / "metadata.csv", index=False)
        with pytest.raises(DataError, match=r"row 3, column 'source_magnitude' holds 5000 char"):
            read_dataset(root, "seisbench")


def test_a_pick_table_of_random_bytes_is_an_error_naming_it(tmp_path):
    from seislearn.io.obspy_files import read_picks

    path = tmp_path / "picks.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError, match=r"picks\.csv: .*pick CSV"):
        read_picks(path)


def test_an_npz_index_naming_a_file_outside_the_folder_is_refused():
    with dataset_copy("npz") as root:
        index = pd.read_csv(root / "waveform.csv")
        index.loc[1, "fname"] = "../elsewhere/NC_X_2017100709282692.npz"
        index.to_csv(root / "waveform.csv", index=False)
        with pytest.raises(DataError, match=r"waveform\.csv.*row 2 names a file outside"):
            read_dataset(root, "npz")
