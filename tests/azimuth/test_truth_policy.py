"""Azimuth trains and scores against the truth policy, not against flipped labels.

A twin of a clean dataset has the azimuth stored instead of the back-azimuth on
a random subset of rows (the STEAD flaw). Under ``auto`` the twin must train
and score exactly as the clean dataset does (fixed seed, tiny configuration);
under ``label`` it must not.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seislearn.azimuth.api import evaluate, train
from seislearn.azimuth.config import AzimuthConfig
from seislearn.cli.main import main
from seislearn.data import schema
from seislearn.data.dataset import WaveformDataset
from seislearn.errors import DataError
from seislearn.io.seisbench import write_seisbench

TINY = {
    "training": {"head_epochs": 1, "batch_size": 32},
    "model": {"channels": [8, 16], "head_hidden": [16]},
}
SCORES = ("model", "baseline", "baseline_station_calibrated")


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    from seislearn.data.synthetic import make_events

    dataset = make_events(120, seed=4)
    root = tmp_path_factory.mktemp("truth")
    write_seisbench(dataset, root / "clean")
    run = train(root / "clean", root / "clean_run", AzimuthConfig.model_validate(TINY))
    return dataset, root, run


def _twin(dataset, rows: np.ndarray) -> WaveformDataset:
    meta = dataset.metadata.copy()
    flipped = meta[schema.BACK_AZIMUTH].to_numpy().copy()
    flipped[rows] = (flipped[rows] + 180.0) % 360.0
    meta[schema.BACK_AZIMUTH] = flipped
    return WaveformDataset(meta, dataset.loader, dataset.name)


def _scores(run) -> dict:
    metrics = json.loads((run / "metrics.json").read_text())
    return {k: metrics[k] for k in SCORES if k in metrics}


@settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**31 - 1), fraction=st.floats(0.2, 0.8))
def test_flipped_labels_train_and_score_exactly_as_the_clean_twin_under_auto(
    clean, tmp_path_factory, seed, fraction
):
    dataset, _, clean_run = clean
    rows = np.random.default_rng(seed).uniform(size=len(dataset)) < fraction
    root = tmp_path_factory.mktemp("twin")
    write_seisbench(_twin(dataset, rows), root / "flipped")
    run = train(root / "flipped", root / "run", AzimuthConfig.model_validate(TINY))
    assert _scores(run) == _scores(clean_run)
    metrics = json.loads((run / "metrics.json").read_text())
    everything = metrics["truth"]["back_azimuth_all_splits"]
    assert everything["source"] == "auto"
    assert everything["labels_overridden"] == everything["labels_about_180_deg_off"] == rows.sum()
    table = pd.read_csv(run / "predictions.csv")
    assert (table["truth_source"] == "coordinates").all()
    # Evaluating the clean run on the flipped twin scores as on the clean data.
    evaluate(clean_run, root / "flipped", root / "eval_flipped", split="test")
    evaluate(clean_run, clean[1] / "clean", root / "eval_clean", split="test")
    assert _scores(root / "eval_flipped") == _scores(root / "eval_clean")


def test_flipped_labels_used_as_given_change_the_scores_and_say_so(clean, tmp_path):
    dataset, _, clean_run = clean
    rows = np.random.default_rng(0).uniform(size=len(dataset)) < 0.5
    write_seisbench(_twin(dataset, rows), tmp_path / "flipped")
    config = AzimuthConfig.model_validate({**TINY, "labels": {"back_azimuth_from": "label"}})
    run = train(tmp_path / "flipped", tmp_path / "run", config)
    assert _scores(run) != _scores(clean_run)
    truth = json.loads((run / "metrics.json").read_text())["truth"]["back_azimuth"]
    assert truth["source"] == "label" and truth["labels_disagreeing_used"] > 0
    assert "AS GIVEN" in (run / "report.html").read_text()


def test_coordinates_policy_on_the_command_line_names_traces_without_coordinates(
    clean, tmp_path, capsys
):
    dataset, _, _ = clean
    meta = dataset.metadata.copy()
    meta.loc[[3, 7], schema.SOURCE_LATITUDE] = np.nan
    write_seisbench(WaveformDataset(meta, dataset.loader, dataset.name), tmp_path / "partial")
    args = ["azimuth", "train", "--data", str(tmp_path / "partial"), "--out", str(tmp_path / "r")]
    code = main([*args, "--back-azimuth-from", "coordinates", "--set", "training.head_epochs=1"])
    assert code != 0
    err = capsys.readouterr().err
    assert meta[schema.TRACE_NAME][3] in err and "coordinates" in err
    assert "Traceback" not in err


def test_coordinates_policy_error_is_a_data_error():
    from seislearn.azimuth.data import back_azimuth_labels
    from seislearn.data.labels import TruthConfig

    meta = pd.DataFrame({schema.TRACE_NAME: ["a"], schema.BACK_AZIMUTH: [10.0]})
    with pytest.raises(DataError, match="coordinates"):
        back_azimuth_labels(meta, labels=TruthConfig(back_azimuth_from="coordinates"))
