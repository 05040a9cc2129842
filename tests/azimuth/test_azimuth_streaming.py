"""The azimuth workflow streamed from the archive gives the in-memory numbers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from seislearn.cli.main import main

TINY = ["training.head_epochs=2", "training.batch_size=32", "data.chunk_traces=37"]


@pytest.fixture(scope="module")
def archive(synthetic_archive):
    return synthetic_archive(140, seed=4)


@pytest.fixture(scope="module")
def runs(archive, tmp_path_factory, monkeypatch_module):
    root = tmp_path_factory.mktemp("azimuth_stream_runs")
    monkeypatch_module.setenv("SEISLEARN_CACHE_DIR", str(root / "cache"))
    out = {}
    for mode in ("memory", "stream"):
        args = ["azimuth", "train", "--data", str(archive), "--out", str(root / mode)]
        args += ["--streaming", mode, "--seed", "3"]
        for item in TINY:
            args += ["--set", item]
        assert main(args) == 0
        out[mode] = root / mode
    return out


def test_streamed_training_gives_the_in_memory_split_metrics_and_predictions(runs):
    memory, stream = (json.loads((runs[m] / "metrics.json").read_text()) for m in runs)
    assert memory["data_streaming"]["mode"] == "memory"
    assert stream["data_streaming"]["mode"] == "stream"
    assert stream["baseline_window_samples"] == memory["baseline_window_samples"]
    assert stream["baseline"]["overall"]["mae_deg"] == pytest.approx(
        memory["baseline"]["overall"]["mae_deg"], abs=1e-9
    )
    assert stream["model"]["overall"]["mae_deg"] == pytest.approx(
        memory["model"]["overall"]["mae_deg"], abs=1e-4
    )
    assert stream["training"]["n_train"] == memory["training"]["n_train"]
    a, b = (pd.read_csv(runs[m] / "predictions.csv") for m in runs)
    assert list(a["trace_name"]) == list(b["trace_name"])
    assert list(a["split"]) == list(b["split"])
    np.testing.assert_allclose(a["back_azimuth_deg"], b["back_azimuth_deg"], atol=1e-3)


def test_streamed_predict_and_evaluate_give_the_in_memory_rows(runs, archive, tmp_path):
    tables = {}
    for mode in ("memory", "stream"):
        out = tmp_path / f"pred_{mode}"
        args = ["azimuth", "predict", "--model", str(runs["memory"]), "--data", str(archive)]
        assert main([*args, "--out", str(out), "--streaming", mode]) == 0
        tables[mode] = pd.read_csv(out / "predictions.csv")
    pd.testing.assert_frame_equal(tables["memory"], tables["stream"], atol=1e-4)
    evaluated = {}
    for mode in ("memory", "stream"):
        out = tmp_path / f"eval_{mode}"
        args = ["azimuth", "evaluate", "--model", str(runs["memory"]), "--data", str(archive)]
        assert main([*args, "--out", str(out), "--split", "test", "--streaming", mode]) == 0
        evaluated[mode] = json.loads((out / "metrics.json").read_text())
    assert evaluated["stream"]["model"]["overall"]["mae_deg"] == pytest.approx(
        evaluated["memory"]["model"]["overall"]["mae_deg"], abs=1e-4
    )
    assert evaluated["stream"]["n_traces"] == evaluated["memory"]["n_traces"]


def test_a_second_streamed_command_reads_the_feature_cache(runs, archive, monkeypatch_module):
    import os
    from pathlib import Path

    stores = list((Path(os.environ["SEISLEARN_CACHE_DIR"]) / "features").glob("features-*.h5"))
    assert len(stores) == 1  # train, predict and evaluate shared one store
