"""Scaler statistics merged over chunks equal those of the whole array."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from seislearn.data.moments import chunked_mean_std


@settings(max_examples=120, deadline=None)
@given(
    data=st.data(),
    shape=st.tuples(st.integers(1, 40), st.integers(1, 3), st.integers(1, 5), st.integers(1, 6)),
    four_d=st.booleans(),
)
def test_chunked_mean_and_std_equal_the_whole_array_statistics(data, shape, four_d):
    if not four_d:
        shape = shape[:3]
    x = data.draw(
        arrays(np.float32, shape, elements=st.floats(-1e3, 1e3, width=32, allow_nan=False))
    )
    axes = (0, 3) if four_d else (0, 2)
    cuts = sorted(data.draw(st.lists(st.integers(0, shape[0]), max_size=6)))
    chunks = np.split(x, cuts)
    mean, std = chunked_mean_std(chunks, axes)
    np.testing.assert_allclose(mean, x.mean(axis=axes, dtype=np.float64), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(std, x.std(axis=axes, dtype=np.float64), rtol=1e-7, atol=1e-7)


def test_no_samples_is_an_error():
    with pytest.raises(ValueError, match="no samples"):
        chunked_mean_std([np.zeros((0, 3, 4))], (0, 2))


def test_the_input_scaler_fitted_on_stored_inputs_equals_the_in_memory_fit(tmp_path):
    import h5py

    from seislearn.classify.features import InputScaler
    from seislearn.data.window_store import StoredWindows, select_windows

    x = np.random.default_rng(1).lognormal(size=(50, 3, 5, 7)).astype(np.float32)
    with h5py.File(tmp_path / "s.h5", "w") as f:
        f.create_dataset("inputs", data=x)
    train = np.random.default_rng(2).random(50) < 0.6
    memory = InputScaler().fit(x[train])
    stored = InputScaler().fit(select_windows(StoredWindows(tmp_path / "s.h5", "inputs"), train))
    np.testing.assert_allclose(stored.mean_, memory.mean_, rtol=1e-6)
    np.testing.assert_allclose(stored.std_, memory.std_, rtol=1e-6)
    lazy = stored.transform(StoredWindows(tmp_path / "s.h5", "inputs"))
    np.testing.assert_allclose(lazy.read(), memory.transform(x), rtol=1e-5, atol=1e-6)
