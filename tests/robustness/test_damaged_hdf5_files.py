"""Damaged or odd HDF5 files: one clear error naming the file (and trace), never a traceback."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seislearn.errors import DataError
from seislearn.io import read_dataset

from .conftest import ROBUST, assert_valid_or_names_file, dataset_copy

#: format -> the HDF5 file of its small dataset
HDF5_OF = {"seisbench": "waveforms.hdf5", "stead": "chunk1.hdf5"}


@pytest.mark.parametrize("fmt", sorted(HDF5_OF))
@ROBUST
@given(cut=st.floats(0.0, 1.0, exclude_max=True))
def test_an_hdf5_file_cut_at_any_offset_is_valid_data_or_an_error_naming_it(fmt, cut):
    with dataset_copy(fmt) as root:
        path = root / HDF5_OF[fmt]
        raw = path.read_bytes()
        path.write_bytes(raw[: int(len(raw) * cut)])
        assert_valid_or_names_file(root, fmt, HDF5_OF[fmt])


@pytest.mark.parametrize("fmt", sorted(HDF5_OF))
@ROBUST
@given(data=st.data())
def test_bit_flips_anywhere_in_an_hdf5_file_give_valid_data_or_an_error_naming_it(fmt, data):
    with dataset_copy(fmt) as root:
        path = root / HDF5_OF[fmt]
        raw = bytearray(path.read_bytes())
        # Most of the file is samples; aim half of the flips at the structure (first 4 KiB).
        where = st.one_of(st.integers(0, min(4095, len(raw) - 1)), st.integers(0, len(raw) - 1))
        for offset in data.draw(st.lists(where, min_size=1, max_size=8)):
            raw[offset] ^= 1 << data.draw(st.integers(0, 7))
        path.write_bytes(bytes(raw))
        assert_valid_or_names_file(root, fmt, HDF5_OF[fmt])


@pytest.mark.parametrize("fmt", sorted(HDF5_OF))
@ROBUST
@given(content=st.binary(max_size=2048))
def test_an_hdf5_file_of_random_bytes_is_an_error_naming_it(fmt, content):
    with dataset_copy(fmt) as root:
        (root / HDF5_OF[fmt]).write_bytes(content)
        messages = assert_valid_or_names_file(root, fmt, HDF5_OF[fmt])
        assert messages


_DTYPES = st.sampled_from(
    ["f4", "f8", "f2", "i1", "u2", "i8", "?", "c8", "S4", "U0", "vlen-str", "compound"]
)
_SHAPES = st.lists(st.sampled_from([0, 1, 2, 3, 4, 600]), min_size=0, max_size=3)


def _replace(node_parent: h5py.Group, name: str, dtype: str, shape: tuple[int, ...]) -> None:
    del node_parent[name]
    if dtype == "vlen-str":
        node_parent.create_dataset(name, shape=shape, dtype=h5py.string_dtype())
    elif dtype == "compound":
        node_parent.create_dataset(name, shape=shape, dtype=np.dtype([("a", "f4"), ("b", "i2")]))
    elif dtype == "U0":
        node_parent.create_dataset(name, data=np.array("some text", dtype=h5py.string_dtype()))
    else:
        node_parent.create_dataset(name, shape=shape, dtype=dtype)


@pytest.mark.parametrize("fmt", sorted(HDF5_OF))
@ROBUST
@given(dtype=_DTYPES, shape=_SHAPES)
def test_a_trace_of_any_dtype_and_shape_is_valid_data_or_an_error_naming_it(fmt, dtype, shape):
    with dataset_copy(fmt) as root:
        path = root / HDF5_OF[fmt]
        with h5py.File(path, "a") as f:
            group = f["data"]
            _replace(group, next(iter(group)), dtype, tuple(shape))
        assert_valid_or_names_file(root, fmt, HDF5_OF[fmt])


def test_a_trace_of_strings_is_refused_naming_file_and_trace(tmp_path):
    with dataset_copy("stead") as root:
        with h5py.File(root / "chunk1.hdf5", "a") as f:
            name = next(iter(f["data"]))
            del f["data"][name]
            f["data"][name] = np.array([["a", "b", "c"]] * 10, dtype="S1")
        with pytest.raises(DataError, match=rf"chunk1\.hdf5.*{name}.*stored as \|S1 \(bytes\)"):
            read_dataset(root, "stead").get_waveform(0)


@pytest.mark.parametrize("fmt", sorted(HDF5_OF))
def test_a_trace_declaring_67_gib_is_refused_before_anything_is_allocated(fmt):
    with dataset_copy(fmt) as root:
        with h5py.File(root / HDF5_OF[fmt], "a") as f:
            group = f["data"]
            name = next(iter(group))
            del group[name]
            # Chunked and never written: the file stays a few KiB.
            if fmt == "seisbench":  # the trace block: 4 traces of (3, 3e9)
                group.create_dataset(name, shape=(4, 3, 3 * 10**9), dtype="f8", chunks=(1, 1, 1024))
            else:
                group.create_dataset(name, shape=(3 * 10**9, 3), dtype="f8", chunks=(1024, 1))
        ds = read_dataset(root, fmt)
        if fmt == "seisbench":
            ds.metadata["trace_name"] = [f"bucket0${i},:3,:" for i in range(len(ds))]
        with pytest.raises(DataError, match=r"declares shape .* over the limit") as caught:
            ds.get_waveform(0)
        assert HDF5_OF[fmt] in str(caught.value) and str(ds.metadata.trace_name[0]) in str(
            caught.value
        )


def test_the_trace_size_limit_can_be_raised_for_unusual_data(monkeypatch):
    with dataset_copy("stead") as root:
        monkeypatch.setenv("SEISLEARN_MAX_TRACE_BYTES", "1000")
        with pytest.raises(DataError, match="SEISLEARN_MAX_TRACE_BYTES"):
            read_dataset(root, "stead").get_waveform(0)
        monkeypatch.setenv("SEISLEARN_MAX_TRACE_BYTES", str(10**6))
        assert read_dataset(root, "stead").get_waveform(0).shape == (3, 6000)


def test_a_two_channel_trace_in_a_zne_file_is_a_channel_count_error():
    with dataset_copy("seisbench") as root:
        with h5py.File(root / "waveforms.hdf5", "a") as f:
            data = f["data/bucket0"][()]
            del f["data/bucket0"]
            f["data/bucket0"] = data[:, :2]
        ds = read_dataset(root, "seisbench")
        ds.metadata["trace_name"] = [f"bucket0${i},:3,:200" for i in range(len(ds))]
        with pytest.raises(DataError, match=r"2 channels, the file declares 3 \(ZNE\)") as caught:
            ds.get_waveform(1)
        assert caught.value.check == "channel_count"
