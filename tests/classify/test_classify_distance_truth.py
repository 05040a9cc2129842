"""Classify reads the epicentral distance under the truth policy (labels.distance_from)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seislearn.classify.baselines import epicentral_distance_km, regression_baselines
from seislearn.classify.config import ClassifyConfig
from seislearn.classify.data import load_inputs
from seislearn.data import schema
from seislearn.data.dataset import WaveformDataset
from seislearn.io.seisbench import write_seisbench


@pytest.fixture(scope="module")
def twins(tmp_path_factory, synthetic_small):
    """The 120 synthetic events, and a twin whose catalogue distance is wrong on 30 rows."""
    root = tmp_path_factory.mktemp("distance")
    write_seisbench(synthetic_small, root / "clean")
    meta = synthetic_small.metadata.copy()
    rows = np.random.default_rng(1).permutation(len(meta))[:30]
    meta.loc[rows, schema.EP_DISTANCE] = meta.loc[rows, schema.EP_DISTANCE] * 4 + 50
    write_seisbench(WaveformDataset(meta, synthetic_small.loader), root / "wrong")
    return root / "clean", root / "wrong", len(rows)


def _config(distance_from: str = "auto") -> ClassifyConfig:
    return ClassifyConfig(
        target="source_magnitude",
        side_inputs=["log_peak_amplitude", "log_distance"],
        labels={"distance_from": distance_from},
        model={"channels": [8, 16]},
        training={"epochs": 1, "batch_size": 16},
    )


def test_wrong_distance_labels_feed_nothing_under_auto(twins):
    clean, wrong, n_wrong = twins
    prep_clean, _ = load_inputs(clean, _config())
    prep_wrong, _ = load_inputs(wrong, _config())
    np.testing.assert_array_equal(prep_wrong.side, prep_clean.side)
    split = prep_clean.metadata[schema.SPLIT].to_numpy()
    baselines = [
        regression_baselines(p.y, p.peak_amplitude, epicentral_distance_km(p.metadata), split)
        for p in (prep_clean, prep_wrong)
    ]
    assert baselines[0] == baselines[1]
    assert prep_wrong.truth["distance"]["labels_overridden"] == n_wrong
    assert prep_clean.truth["distance"]["labels_overridden"] == 0


def test_distance_labels_as_given_reach_the_side_inputs(twins):
    clean, wrong, n_wrong = twins
    prep_clean, _ = load_inputs(clean, _config("label"))
    prep_wrong, _ = load_inputs(wrong, _config("label"))
    changed = (prep_wrong.side != prep_clean.side).any(axis=1)
    assert changed.sum() == n_wrong
    assert prep_wrong.truth["distance"]["labels_disagreeing_used"] == n_wrong


def test_train_records_the_distance_truth_in_metrics_and_report(twins, tmp_path):
    from seislearn.classify.api import train

    _, wrong, n_wrong = twins
    train(wrong, _config(), tmp_path / "run")
    truth = json.loads((tmp_path / "run" / "metrics.json").read_text())["truth"]["distance"]
    assert truth["source"] == "auto" and truth["labels_overridden"] == n_wrong
    assert "were not used" in (tmp_path / "run" / "report.html").read_text()
