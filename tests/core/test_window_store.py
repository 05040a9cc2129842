"""Windows on disk read back as the in-memory array would index them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seislearn.data.window_store import (
    StoredWindows,
    map_chunks,
    select_windows,
    windows_dataset,
)


def _store(path, array):
    import h5py

    with h5py.File(path, "w") as f:
        f.create_dataset("windows", data=array, chunks=(7, *array.shape[1:]))
    return StoredWindows(path)


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    array = np.random.default_rng(0).standard_normal((83, 3, 11)).astype(np.float32)
    return array, _store(tmp_path_factory.mktemp("store") / "w.h5", array)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_selection_of_a_selection_reads_the_array_rows_in_the_asked_order(stored, data):
    array, store = stored
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=83, max_size=83)))
    view = select_windows(store, mask)
    positions = data.draw(st.lists(st.integers(0, max(0, len(view) - 1)), max_size=40))
    if len(view) == 0:
        assert view.read().shape == (0, 3, 11)
        return
    np.testing.assert_array_equal(view.read(np.array(positions, int)), array[mask][positions])
    np.testing.assert_array_equal(view[:, :, 2:5], array[mask][:, :, 2:5])


@settings(max_examples=30, deadline=None)
@given(rows=st.integers(1, 100))
def test_map_chunks_over_a_store_equals_one_call_over_the_array(stored, rows):
    array, store = stored

    def stats(w):
        return {"rms": np.sqrt((w**2).mean(axis=(1, 2))), "peak": np.abs(w).max(axis=(1, 2))}

    chunked = map_chunks(stats, store, rows=rows)
    whole = stats(array)
    for key in whole:
        np.testing.assert_array_equal(chunked[key], whole[key])


def test_a_seeded_loader_over_a_store_gives_the_in_memory_batches(stored):
    import torch
    from torch.utils.data import DataLoader

    array, store = stored
    targets = np.arange(len(array), dtype=np.float32)
    batches = []
    for windows in (array, store):
        loader = DataLoader(
            windows_dataset(windows, targets),
            batch_size=16,
            shuffle=True,
            generator=torch.Generator().manual_seed(4),
        )
        batches.append([(x.numpy(), y.numpy()) for x, y in loader])
    assert len(batches[0]) == len(batches[1])
    for (xa, ya), (xb, yb) in zip(*batches, strict=True):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


@settings(max_examples=80, deadline=None)
@given(rows=st.sets(st.integers(0, 200), max_size=60))
def test_row_runs_split_sorted_rows_into_maximal_consecutive_runs(rows):
    from seislearn.data.window_store import row_runs

    rows = np.array(sorted(rows), np.int64)
    if not len(rows):
        return
    starts, stops = row_runs(rows)
    pieces = [rows[a:b] for a, b in zip(starts, stops, strict=True)]
    np.testing.assert_array_equal(np.concatenate(pieces), rows)
    assert all((np.diff(p) == 1).all() for p in pieces)  # each run is consecutive
    assert all(rows[a] != rows[a - 1] + 1 for a in starts[1:])  # and cannot be longer
