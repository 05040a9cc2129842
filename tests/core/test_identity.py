"""The user's trace names and the SeisBench names (seislearn.data.identity)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seislearn.data.identity import (
    SEISBENCH,
    identity_columns,
    lookup_names,
    message_names,
    user_names,
)

_name = st.text(alphabet="abcXYZ._$,:019", min_size=1, max_size=12)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(_name, st.one_of(st.none(), st.just(""), _name)), min_size=1, max_size=20)
)
def test_user_name_is_the_original_where_present_else_the_stored_name(rows):
    meta = pd.DataFrame(
        {"trace_name": [s for s, _ in rows], "trace_name_original": [o for _, o in rows]}
    )
    expected = [o.strip() if o and o.strip() else s.strip() for s, o in rows]
    assert list(user_names(meta)) == expected
    table = identity_columns(meta)
    assert list(table["trace_name"]) == expected
    # The SeisBench column appears exactly when some name differs, and maps back.
    differs = any(e != s.strip() for e, (s, _) in zip(expected, rows, strict=True))
    assert (SEISBENCH in table.columns) == differs
    assert list(lookup_names(table)) == [s.strip() for s, _ in rows]


def test_a_dataset_never_converted_keeps_one_name_column():
    meta = pd.DataFrame({"trace_name": ["a", "b"]})
    assert list(identity_columns(meta).columns) == ["trace_name"]
    assert list(message_names(meta)) == ["a", "b"]


def test_messages_name_the_user_first_and_the_seisbench_name_beside_it():
    meta = pd.DataFrame(
        {"trace_name": ["bucket0$0,:3,:100", "b"], "trace_name_original": ["AB.STA_EV", np.nan]}
    )
    assert list(message_names(meta)) == ["AB.STA_EV (SeisBench bucket0$0,:3,:100)", "b"]


def test_a_trace_left_out_of_the_windows_is_named_the_users_way(tmp_path, synthetic_small):
    from seislearn.data.dataset import WaveformDataset
    from seislearn.data.windows import extract_windows
    from seislearn.errors import DataError
    from seislearn.io import read_dataset
    from seislearn.io.seisbench import write_seisbench

    meta = synthetic_small.metadata.iloc[:4].copy()
    meta.loc[2, "trace_p_arrival_sample"] = np.nan
    small = WaveformDataset(meta, synthetic_small.loader, "small")
    write_seisbench(small, tmp_path / "converted")
    converted = read_dataset(tmp_path / "converted")
    original = str(small.metadata["trace_name"][2])
    _, rows, skipped = extract_windows(converted, "P", 0.5, 1.0, on_error="skip")
    assert len(rows) == 3 and len(skipped) == 1
    assert original in skipped[0] and "SeisBench bucket" in skipped[0]
    with pytest.raises(DataError) as info:
        extract_windows(converted, "P", 0.5, 1.0)
    assert info.value.trace.startswith(original)
