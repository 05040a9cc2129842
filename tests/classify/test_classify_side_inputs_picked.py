"""Side inputs on picker output: some traces without an S pick, one without a P pick."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from seislearn.classify.data import prepare_waveforms
from seislearn.data import schema
from seislearn.data.dataset import WaveformDataset

AMPLITUDES = ["log10_peak_Z", "log10_peak_N", "log10_peak_E"]
WARNING = "leaves out log_sp_time"


@pytest.fixture(scope="module")
def picker_like(synthetic_small) -> WaveformDataset:
    """12 events as a picker leaves them: no S pick on 5 traces, no P pick on one more."""
    dataset = synthetic_small.select(np.arange(12))
    meta = dataset.metadata.copy()
    meta.loc[[1, 4, 5, 8, 10], schema.S_ARRIVAL] = np.nan
    meta.loc[2, [schema.P_ARRIVAL, schema.S_ARRIVAL]] = np.nan
    return WaveformDataset(meta, dataset.loader, dataset.name, dataset.component_order)


def test_auto_says_why_the_sp_time_is_left_out(picker_like, tiny_config, caplog) -> None:
    cfg = tiny_config.model_copy(update={"target": "source_magnitude", "task": "regression"})
    with caplog.at_level(logging.WARNING, logger="seislearn.classify.features"):
        prep = prepare_waveforms(picker_like, cfg, on_error="skip")
    assert prep.side_columns == AMPLITUDES
    # The trace without a P pick is skipped before auto looks at the S picks.
    assert len(prep.y) == 11 and len(prep.skipped) == 1
    messages = [r.getMessage() for r in caplog.records if WARNING in r.getMessage()]
    assert len(messages) == 1
    assert "5 of 11 traces have no S pick" in messages[0]
    assert "trains on the 6 that have one" in messages[0]


def test_asking_for_the_sp_time_trains_on_the_traces_with_s(picker_like, tiny_config) -> None:
    cfg = tiny_config.model_copy(
        update={
            "target": "source_magnitude",
            "task": "regression",
            "side_inputs": ["log_peak_amplitude", "log_sp_time"],
        }
    )
    prep = prepare_waveforms(picker_like, cfg, on_error="skip")
    assert prep.side_columns == [*AMPLITUDES, "log10_sp_time_s"]
    assert len(prep.y) == 6 and len(prep.skipped) == 6
    assert np.isfinite(prep.side).all()
    kept = set(prep.metadata[schema.TRACE_NAME])
    meta = picker_like.metadata
    with_s = meta[schema.S_ARRIVAL].notna() & meta[schema.P_ARRIVAL].notna()
    assert kept == set(meta.loc[with_s, schema.TRACE_NAME])


def test_no_warning_when_every_trace_has_both_picks_or_none_has_s_column(
    synthetic_small, tiny_config, caplog
) -> None:
    cfg = tiny_config.model_copy(update={"target": "source_magnitude", "task": "regression"})
    dataset = synthetic_small.select(np.arange(6))
    p_only = dataset.metadata.drop(columns=[schema.S_ARRIVAL])
    p_only_data = WaveformDataset(p_only, dataset.loader, dataset.name, dataset.component_order)
    with caplog.at_level(logging.WARNING, logger="seislearn.classify.features"):
        assert prepare_waveforms(dataset, cfg).side_columns == [*AMPLITUDES, "log10_sp_time_s"]
        assert prepare_waveforms(p_only_data, cfg).side_columns == AMPLITUDES
    assert not [r for r in caplog.records if WARNING in r.getMessage()]
