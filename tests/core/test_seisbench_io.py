from __future__ import annotations

import h5py
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seislearn.errors import DataError
from seislearn.io import detect_format, read_dataset
from seislearn.io.seisbench import parse_trace_name, read_seisbench, write_seisbench


def test_trace_block_string_parses_into_bucket_and_index():
    assert parse_trace_name("bucket0$3,:3,:1200") == (
        "bucket0",
        (3, slice(None, 3), slice(None, 1200)),
    )
    assert parse_trace_name("plain_trace") == ("plain_trace", ())


@pytest.mark.parametrize("bad", ["bucket0$", "bucket0$a,:3", "$1,:3", "bucket0$:3,:3"])
def test_malformed_trace_block_string_is_a_clear_error(bad):
    with pytest.raises(DataError, match="malformed trace block"):
        parse_trace_name(bad)


def test_seisbench_dummy_reads_100_zne_float32_traces(shared_data):
    ds = read_seisbench(shared_data / "seisbench_dummy")
    assert len(ds) == 100
    wave = ds.get_waveform(0)
    assert wave.dtype == np.float32 and wave.shape == (3, 1200)
    assert ds.metadata["trace_sampling_rate_hz"].eq(20).all()
    with h5py.File(shared_data / "seisbench_dummy" / "waveforms.hdf5") as f:
        np.testing.assert_allclose(wave, f["data/bucket0"][0, :3, :1200].astype(np.float32))
    assert set(ds.metadata["split"]) == {"train", "dev", "test"}


def test_dataset_filters_by_split_without_loading_waveforms(shared_data):
    ds = read_dataset(shared_data / "seisbench_dummy")
    assert len(ds.train()) + len(ds.dev()) + len(ds.test()) == len(ds)
    assert ds.test().get_waveform(0).shape == (3, 1200)


def _write_tiny(root, component_order="ENZ", dimension_order="WC", chunk=""):
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    data = rng.standard_normal((2, 50, 3)).astype(np.float32)  # 2 traces, (W, C)
    with h5py.File(root / f"waveforms{chunk}.hdf5", "w") as f:
        f["data/tr0"] = data[0]
        f["data/tr1"] = data[1]
        f["data_format/component_order"] = component_order
        f["data_format/dimension_order"] = dimension_order
        f["data_format/sampling_rate"] = 50
    pd.DataFrame({"trace_name": ["tr0", "tr1"], "split": ["train", "test"]}).to_csv(
        root / f"metadata{chunk}.csv", index=False
    )
    return data


def test_plain_traces_with_other_component_and_dimension_order_come_out_zne(tmp_path):
    data = _write_tiny(tmp_path / "ds")
    ds = read_dataset(tmp_path / "ds")
    wave = ds.get_waveform(1)
    # stored (W, C) in E, N, Z -> returned (C, W) in Z, N, E
    np.testing.assert_array_equal(wave, data[1].T[[2, 1, 0]])
    assert ds.sampling_rate(0) == 50


def test_chunked_dataset_reads_every_chunk(tmp_path):
    root = tmp_path / "chunked"
    _write_tiny(root, chunk="_a")
    _write_tiny(root, chunk="_b")
    (root / "chunks").write_text("_a\n_b\n")
    ds = read_seisbench(root)
    assert len(ds) == 4
    assert ds.get_waveform(3).shape == (3, 50)


def test_round_trip_through_the_writer_keeps_waveforms_and_metadata(tmp_path, synthetic_small):
    write_seisbench(synthetic_small, tmp_path / "out", bucket_size=16)
    back = read_dataset(tmp_path / "out")
    assert detect_format(tmp_path / "out") == "seisbench"
    assert len(back) == len(synthetic_small)
    for i in (0, 17, len(back) - 1):
        np.testing.assert_array_equal(back.get_waveform(i), synthetic_small.get_waveform(i))
    np.testing.assert_allclose(
        back.metadata["path_back_azimuth_deg"], synthetic_small.metadata["path_back_azimuth_deg"]
    )
    assert list(back.metadata["trace_name_original"]) == list(
        synthetic_small.metadata["trace_name"]
    )


def test_writer_never_overwrites_an_existing_dataset(tmp_path, synthetic_small):
    write_seisbench(synthetic_small.select([0, 1]), tmp_path / "out")
    with pytest.raises(DataError, match="overwrite"):
        write_seisbench(synthetic_small.select([0, 1]), tmp_path / "out")


def test_metadata_row_without_waveform_names_file_and_trace(tmp_path):
    _write_tiny(tmp_path / "ds")
    meta = pd.read_csv(tmp_path / "ds" / "metadata.csv")
    meta.loc[len(meta)] = ["ghost", "train"]
    meta.to_csv(tmp_path / "ds" / "metadata.csv", index=False)
    ds = read_dataset(tmp_path / "ds")
    with pytest.raises(DataError, match=r"waveforms\.hdf5.*'ghost'.*no waveform"):
        ds.get_waveform(2)


def test_truncated_hdf5_is_a_clear_error(tmp_path):
    _write_tiny(tmp_path / "ds")
    path = tmp_path / "ds" / "waveforms.hdf5"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataError, match=r"waveforms\.hdf5.*cannot open HDF5"):
        read_dataset(tmp_path / "ds").get_waveform(0)


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="empty"):
        read_dataset(tmp_path)


def _write_with_corrupt_middle_trace(root):
    """Three gzip-compressed traces; the stored bytes of the middle one are overwritten."""
    root.mkdir(parents=True)
    rng = np.random.default_rng(1)
    data = rng.standard_normal((3, 3, 400)).astype(np.float32)
    path = root / "waveforms.hdf5"
    with h5py.File(path, "w") as f:
        for k in range(3):
            f.create_dataset(f"data/tr{k}", data=data[k], chunks=(3, 400), compression="gzip")
        f["data_format/component_order"] = "ZNE"
        f["data_format/dimension_order"] = "CW"
    with h5py.File(path, "r") as f:
        info = f["data/tr1"].id.get_chunk_info(0)
    raw = bytearray(path.read_bytes())
    raw[info.byte_offset : info.byte_offset + info.size] = b"\xff" * info.size
    path.write_bytes(bytes(raw))
    pd.DataFrame({"trace_name": ["tr0", "tr1", "tr2"], "split": ["train"] * 3}).to_csv(
        root / "metadata.csv", index=False
    )
    return data


def test_corrupt_trace_inside_a_healthy_hdf5_file_names_the_trace_and_spares_the_others(
    tmp_path,
):
    data = _write_with_corrupt_middle_trace(tmp_path / "ds")
    ds = read_dataset(tmp_path / "ds")
    with pytest.raises(DataError, match=r"waveforms\.hdf5.*'tr1'.*cannot read waveform"):
        ds.get_waveform(1)
    # The healthy traces before and after it read exactly as written.
    np.testing.assert_array_equal(ds.get_waveform(0), data[0])
    np.testing.assert_array_equal(ds.get_waveform(2), data[2])
    # Batched reads report the same trace rather than returning zeros or a shorter batch.
    with pytest.raises(DataError, match="'tr1'"):
        list(ds.iter_batches(batch_size=3))


def test_open_hdf5_gives_each_dataset_a_bounded_chunk_cache(tmp_path):
    from seislearn.io.hdf5_files import CHUNK_CACHE_BYTES, open_hdf5

    with h5py.File(tmp_path / "f.h5", "w") as f:
        f.create_dataset("x", data=np.zeros((8, 64), np.float32), chunks=(1, 64))
    with open_hdf5(tmp_path / "f.h5") as f:
        assert f["x"].id.get_access_plist().get_chunk_cache()[1] <= CHUNK_CACHE_BYTES


@pytest.fixture(scope="module")
def many_buckets(tmp_path_factory):
    from seislearn.data.synthetic import make_events

    events = make_events(12, seed=5)
    root = tmp_path_factory.mktemp("buckets") / "archive"
    write_seisbench(events, root, bucket_size=1)  # one bucket a trace
    return events, root


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.lists(st.integers(0, 11), min_size=1, max_size=40))
def test_a_reader_keeps_few_buckets_open_and_reads_the_same_traces_after_closing_one(
    many_buckets, order, monkeypatch
):
    import seislearn.io.seisbench as module

    events, root = many_buckets
    monkeypatch.setattr(module, "OPEN_NODES", 4)
    ds = read_seisbench(root)
    for i in order:
        np.testing.assert_array_equal(ds.get_waveform(i), events.get_waveform(i))
        assert len(ds.loader._nodes) <= 4
