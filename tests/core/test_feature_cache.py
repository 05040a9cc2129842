"""The feature cache: built once, read back exactly, rebuilt when the data or the settings change."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seislearn.features.cache import CachedBatches, FeatureCache, cache_key


def _batches(n: int, batch: int, calls: list[int], offset: float = 0.0):
    rng = np.random.default_rng(0)
    features = rng.standard_normal((n, 3, 33, 9)).astype(np.float32) + offset
    targets = np.arange(n, dtype=np.int64)

    def generate():
        for start in range(0, n, batch):
            calls.append(start)
            yield features[start : start + batch], targets[start : start + batch]

    return generate(), features, targets


def test_a_built_cache_reads_back_the_features_exactly(tmp_path):
    calls: list[int] = []
    batches, features, targets = _batches(50, 16, calls)
    cached = FeatureCache(tmp_path).get_or_build("k1", batches, ("features", "targets"), 8)
    assert len(cached) == 50
    got = cached.read(0, 50)
    np.testing.assert_array_equal(got[0], features)
    np.testing.assert_array_equal(got[1], targets)


def test_a_valid_cache_is_not_recomputed(tmp_path):
    cache, calls = FeatureCache(tmp_path), []
    cache.get_or_build("k1", _batches(20, 8, calls)[0], ("features", "targets"))
    first = len(calls)
    cache.get_or_build("k1", _batches(20, 8, calls)[0], ("features", "targets"))
    assert first == 3 and len(calls) == first


def test_changing_the_data_or_the_settings_changes_the_key():
    base = cache_key("abc123", {"preset": "spectra64", "freqmin_hz": 1.0})
    assert cache_key("abc123", {"freqmin_hz": 1.0, "preset": "spectra64"}) == base
    assert cache_key("abc124", {"preset": "spectra64", "freqmin_hz": 1.0}) != base
    assert cache_key("abc123", {"preset": "spectra32", "freqmin_hz": 1.0}) != base


def test_an_incomplete_or_foreign_store_is_rebuilt_not_trusted(tmp_path):
    cache = FeatureCache(tmp_path)
    with h5py.File(cache.path("k1"), "w") as f:  # e.g. a build killed half way
        f.create_dataset("features", data=np.zeros((5, 3, 33, 9), np.float32))
        f.attrs["key"] = "k1"
    assert not cache.is_valid("k1")
    calls: list[int] = []
    batches, features, _ = _batches(20, 8, calls, offset=1.0)
    cached = cache.get_or_build("k1", batches, ("features", "targets"))
    assert calls and len(cached) == 20
    np.testing.assert_array_equal(cached.read(0, 20)[0], features)
    with h5py.File(cache.path("k2"), "w") as f:  # a store renamed by hand
        f.attrs.update({"key": "k1", "seislearn_cache_complete": True, "n": 0})
    assert not cache.is_valid("k2")


def test_a_failed_build_leaves_no_store(tmp_path):
    def broken():
        yield np.zeros((4, 2), np.float32), np.zeros(4)
        raise RuntimeError("interrupted")

    cache = FeatureCache(tmp_path)
    with pytest.raises(RuntimeError):
        cache.get_or_build("k1", broken(), ("features", "targets"))
    assert not cache.is_valid("k1") and list(tmp_path.iterdir()) == []


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 70), batch=st.integers(1, 30))
def test_cached_batches_cover_every_row_once_in_a_shuffled_epoch(tmp_path_factory, n, batch):
    import torch
    from torch.utils.data import DataLoader

    root = tmp_path_factory.mktemp("cache")
    cached = FeatureCache(root).get_or_build("k", _batches(n, 7, [])[0], ("features", "targets"))
    loader = DataLoader(
        CachedBatches(cached, batch), batch_size=None, shuffle=True,
        generator=torch.Generator().manual_seed(0),
    )  # fmt: skip
    rows = np.concatenate([t.numpy() for _, t in loader])
    assert sorted(rows.tolist()) == list(range(n))
