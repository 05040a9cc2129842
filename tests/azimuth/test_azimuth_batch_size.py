"""The batch size ``training.batch_size=auto`` chooses from the number of train windows."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seislearn.azimuth.config import AUTO_BATCH_RANGE, load_azimuth_config, resolve_batch_size
from seislearn.errors import ConfigError


def test_auto_is_the_default_and_a_batch_below_two_is_refused():
    assert load_azimuth_config().training.batch_size == "auto"
    assert load_azimuth_config(overrides=["training.batch_size=64"]).training.batch_size == 64
    with pytest.raises(ConfigError):
        load_azimuth_config(overrides=["training.batch_size=1"])


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 200_000), explicit=st.integers(2, 4096))
def test_an_explicit_batch_size_is_kept_whatever_the_data(n, explicit):
    assert resolve_batch_size(explicit, n) == explicit


@settings(max_examples=500, deadline=None)
@given(n=st.integers(1, 200_000))
def test_auto_stays_in_range_and_never_leaves_a_last_batch_of_one(n):
    lo, hi = AUTO_BATCH_RANGE
    batch = resolve_batch_size("auto", n)
    assert batch >= lo
    # Within the range, or just above its top when that avoids a last batch of one.
    assert batch <= hi or (n % hi == 1 and batch <= hi + 8)
    assert n <= batch or n % batch != 1


@settings(max_examples=300, deadline=None)
@given(n=st.integers(4 * AUTO_BATCH_RANGE[0], 4 * AUTO_BATCH_RANGE[1]))
def test_auto_gives_at_least_four_steps_an_epoch_where_the_range_allows(n):
    batch = resolve_batch_size("auto", n)
    assert -(-n // batch) >= 4
    assert batch & (batch - 1) == 0 or n % (batch - 1) == 1  # a power of two, or bumped


def test_auto_on_the_sizes_measured():
    # A fold of benchmarks/azimuth_real.py; the 16 train traces of a fine-tuning run
    # (one full batch, as with the old 256); synthetic training sets of 3,000-8,000 events.
    assert resolve_batch_size("auto", 67) == 16
    assert resolve_batch_size("auto", 68) == 16
    assert resolve_batch_size("auto", 709) == 128  # the tour's azimuth train
    assert resolve_batch_size("auto", 16) == 16
    assert resolve_batch_size("auto", 2100) == 256
    assert resolve_batch_size("auto", 5528) == 256
