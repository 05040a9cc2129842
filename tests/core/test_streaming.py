"""Windows streamed from a SeisBench HDF5 archive give the in-memory numbers, every trace once."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seislearn.data.streaming import choose_streaming, contiguous_batches, streamed_loader
from seislearn.data.windows import Preprocess, extract_windows

SETTINGS = {"phase": "P", "before_s": 0.5, "after_s": 2.0, "preprocess_margin_s": 2.0}
PREPROCESS = Preprocess(sampling_rate=1.0, freqmin=1.0, freqmax=20.0, normalize="std")


def _windows(dataset):
    windows, _, _ = extract_windows(dataset, preprocess=PREPROCESS, **SETTINGS)
    return (windows.astype(np.float32), dataset.metadata["source_magnitude"].to_numpy())


@pytest.fixture(scope="module")
def archive(synthetic_archive):
    from seislearn.io import read_dataset

    return read_dataset(synthetic_archive(90, seed=5))


@pytest.mark.parametrize("num_workers", [0, 2])
def test_streamed_windows_equal_the_in_memory_windows(archive, num_workers):
    in_memory, magnitudes = _windows(archive)
    indices = np.arange(len(archive))
    loader = streamed_loader(archive, indices, _windows, batch_size=16, num_workers=num_workers)
    streamed = [(x.numpy(), y.numpy()) for x, y in loader]
    np.testing.assert_array_equal(np.concatenate([x for x, _ in streamed]), in_memory)
    np.testing.assert_array_equal(np.concatenate([y for _, y in streamed]), magnitudes)


def test_a_shuffled_epoch_streams_every_train_trace_exactly_once(archive):
    train = np.flatnonzero(archive.metadata["split"].to_numpy() == "train")
    loader = streamed_loader(archive, train, _windows, batch_size=16, shuffle=True, seed=1)
    in_memory, _ = _windows(archive.select(train))
    seen = np.concatenate([x.numpy() for x, _ in loader])
    assert len(seen) == len(train)
    # same windows, in another order: match each streamed window to its in-memory twin
    key = in_memory.reshape(len(in_memory), -1)[:, :8].round(4)
    streamed_key = seen.reshape(len(seen), -1)[:, :8].round(4)
    assert sorted(map(tuple, key)) == sorted(map(tuple, streamed_key))


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(0, 700),
    batch_size=st.integers(1, 80),
    block=st.integers(1, 64),
    shuffle=st.booleans(),
    seed=st.integers(0, 3),
)
def test_contiguous_batches_cover_every_index_once(n, batch_size, block, shuffle, seed):
    indices = np.arange(0, 3 * n, 3)  # a split: not every trace
    batches = contiguous_batches(indices, batch_size, block, shuffle, seed)
    joined = np.concatenate(batches) if batches else np.zeros(0, int)
    assert sorted(joined.tolist()) == indices.tolist()
    assert all(len(b) <= max(batch_size, 1) for b in batches)
    assert all(np.all(np.diff(b) > 0) for b in batches)


def test_auto_streams_only_past_the_memory_budget():
    assert not choose_streaming("auto", 1000, 3 * 250 * 4, memory_budget_gib=1.0)
    assert choose_streaming("auto", 2_000_000, 3 * 250 * 4, memory_budget_gib=1.0)
    assert choose_streaming(True, 10, 4, 1.0) and not choose_streaming(False, 10**9, 4, 1.0)


@settings(max_examples=25, deadline=None)
@given(picks=st.lists(st.integers(0, 89), min_size=1, max_size=40))
def test_block_reads_equal_one_trace_at_a_time(archive, picks):
    from seislearn.data.streaming import BlockReader

    reader = BlockReader(archive)
    expected = np.stack([archive.get_waveform(i) for i in picks])
    np.testing.assert_array_equal(reader.read(np.asarray(picks)), expected)


def test_raw_streaming_reads_every_trace_once(archive):
    loader = streamed_loader(archive, np.arange(len(archive)), None, batch_size=32)
    streamed = np.concatenate([x.numpy() for (x,) in loader])
    np.testing.assert_array_equal(streamed, np.stack(archive.load_all()))
