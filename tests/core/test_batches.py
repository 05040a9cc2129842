from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from seislearn.errors import DataError
from seislearn.io import read_dataset
from seislearn.io.seisbench import write_seisbench


def test_batched_reading_returns_what_single_reads_return(shared_data):
    ds = read_dataset(shared_data / "seisbench_dummy")
    subset = ds.select([5, 6, 7, 50, 2, 99])  # dense, sparse and out-of-order rows
    batches = list(subset.iter_batches(4))
    assert [len(w) for w, _ in batches] == [4, 2]
    waves = [w for ws, _ in batches for w in ws]
    for k, wave in enumerate(waves):
        assert wave.dtype == np.float32
        np.testing.assert_array_equal(wave, subset.get_waveform(k))


def test_batched_reading_of_a_written_dataset_with_several_buckets(tmp_path, synthetic_small):
    write_seisbench(synthetic_small, tmp_path / "sb", bucket_size=16)
    back = read_dataset(tmp_path / "sb")
    waves = [w for ws, _ in back.iter_batches(50) for w in ws]
    assert len(waves) == len(synthetic_small)
    for i in (0, 15, 16, 49, 50, 119):
        np.testing.assert_array_equal(waves[i], synthetic_small.get_waveform(i))


def test_batched_reading_reports_a_bad_row_like_a_single_read(shared_data, tmp_path):
    root = tmp_path / "bad"
    shutil.copytree(shared_data / "seisbench_dummy", root)
    meta = pd.read_csv(root / "metadata.csv").head(4)
    meta.loc[2, "trace_name"] = "bucket0$500,:3,:1200"
    meta.to_csv(root / "metadata.csv", index=False)
    ds = read_dataset(root)
    with pytest.raises(DataError, match=r"waveforms\.hdf5.*bucket0\$500"):
        list(ds.iter_batches(4))
