"""Every bad CSV (metadata, NPZ index, STEAD table, picks) is one clear error naming the file."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seislearn.errors import DataError, SeislearnError
from seislearn.io.obspy_files import read_picks
from seislearn.io.tables import read_csv_table

from .conftest import ROBUST, assert_valid_or_names_file, dataset_copy

#: format -> the CSV file of its small dataset
CSV_OF = {"seisbench": "metadata.csv", "stead": "chunk1.csv", "npz": "waveform.csv"}


@pytest.mark.parametrize("fmt", sorted(CSV_OF))
@ROBUST
@given(content=st.binary(max_size=400))
def test_a_csv_of_random_bytes_is_valid_data_or_an_error_naming_it(fmt, content):
    with dataset_copy(fmt) as root:
        (root / CSV_OF[fmt]).write_bytes(content)
        assert_valid_or_names_file(root, fmt, CSV_OF[fmt])


@pytest.mark.parametrize("fmt", sorted(CSV_OF))
@ROBUST
@given(cut=st.floats(0.0, 1.0))
def test_a_csv_cut_at_any_offset_is_valid_data_or_an_error_naming_it(fmt, cut):
    with dataset_copy(fmt) as root:
        path = root / CSV_OF[fmt]
        raw = path.read_bytes()
        path.write_bytes(raw[: int(len(raw) * cut)])
        assert_valid_or_names_file(root, fmt, CSV_OF[fmt])


@pytest.mark.parametrize("fmt", sorted(CSV_OF))
@ROBUST
@given(data=st.data())
def test_any_subset_of_the_columns_is_valid_data_or_an_error_naming_the_csv(fmt, data):
    with dataset_copy(fmt) as root:
        path = root / CSV_OF[fmt]
        table = pd.read_csv(path)
        keep = data.draw(st.lists(st.sampled_from(list(table.columns)), unique=True))
        table[keep].to_csv(path, index=False)
        assert_valid_or_names_file(root, fmt, CSV_OF[fmt])


_CELLS = st.one_of(
    st.text(max_size=30),
    st.integers(0, 9).map(lambda d: "9" * (10**d if d < 4 else 5000)),
    st.just("x" * 5000),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "nan", "[]", "[1 2]", "-1", "1e400", "bucket0$", "$1,:3", "../x"]),
)


@pytest.mark.parametrize("fmt", sorted(CSV_OF))
@ROBUST
@given(data=st.data())
def test_any_cell_text_is_valid_data_or_an_error_naming_the_csv(fmt, data):
    with dataset_copy(fmt) as root:
        path = root / CSV_OF[fmt]
        table = pd.read_csv(path).astype(object)
        column = data.draw(st.sampled_from(list(table.columns)))
        row = data.draw(st.integers(0, len(table) - 1))
        table.loc[row, column] = data.draw(_CELLS)
        table.to_csv(path, index=False)
        assert_valid_or_names_file(root, fmt, CSV_OF[fmt])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\n\n", "no columns"),
        (b"trace_name,split\n", "header but no rows"),
        (b"split\ntrain\n", "no 'trace_name' column"),
        (b"\xff\xfe\x00garbage\x81", "not UTF-8"),
    ],
)
def test_each_kind_of_bad_metadata_csv_has_its_own_message(tmp_path, content, message):
    path = tmp_path / "metadata.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as caught:
        read_csv_table(path, "metadata CSV", required=("trace_name",))
    assert str(path) in str(caught.value)


def test_a_cell_of_5000_digits_names_the_row_and_column(tmp_path):
    path = tmp_path / "metadata.csv"
    path.write_text("trace_name,source_magnitude\na,1\nb," + "7" * 5000 + "\n")
    with pytest.raises(DataError, match=r"row 2, column 'source_magnitude' holds 5000 characters"):
        read_csv_table(path, "metadata CSV")


@ROBUST
@given(content=st.binary(max_size=300))
def test_a_pick_csv_of_random_bytes_is_a_table_or_an_error_naming_it(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("picks") / "picks.csv"
    path.write_bytes(content)
    try:
        table = read_picks(path)
    except SeislearnError as exc:
        assert "picks.csv" in str(exc)
    else:
        assert {"station", "phase", "time"} <= set(table.columns)
