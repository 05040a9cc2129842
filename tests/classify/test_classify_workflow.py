"""The classify workflow end to end on tiny data: runs, splits, evaluate, predict, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seislearn.classify.api import train
from seislearn.classify.apply import evaluate, load_classifier, predict
from seislearn.errors import DataError, RunExistsError


def test_train_writes_model_metrics_predictions_figures_and_report(trained_run: Path) -> None:
    for name in (
        "model/weights.safetensors",
        "model/model.json",
        "metrics.json",
        "predictions.csv",
        "history.csv",
        "report.html",
        "manifest.json",
        "config.yaml",
        "figures/confusion_matrix.png",
        "figures/training_curves.png",
    ):
        assert (trained_run / name).is_file(), name
    metrics = json.loads((trained_run / "metrics.json").read_text())
    assert set(metrics["test"]) >= {"accuracy", "balanced_accuracy", "roc_auc", "per_class"}
    assert len(pd.read_csv(trained_run / "history.csv")) == 2


def test_train_split_keeps_every_event_on_one_side(trained_run: Path) -> None:
    predictions = pd.read_csv(trained_run / "predictions.csv")
    assert predictions.groupby("source_id")["split"].nunique().max() == 1
    assert set(predictions["split"]) <= {"dev", "test"}


def test_train_refuses_to_overwrite_an_existing_run(
    trained_run: Path, events_dir, tiny_config
) -> None:
    with pytest.raises(RunExistsError):
        train(events_dir, tiny_config, trained_run)


def test_saved_model_reloads_with_its_scaler_and_classes(trained_run: Path) -> None:
    clf = load_classifier(trained_run)
    assert clf.class_names == ["high_stress", "low_stress"]
    assert np.asarray(clf.scaler.mean_).shape == (3, 33)


def test_evaluate_scores_one_split_like_training_did(trained_run: Path, events_dir) -> None:
    metrics = evaluate(trained_run, events_dir, split="test")
    saved = json.loads((trained_run / "metrics.json").read_text())["test"]
    assert metrics["n"] == saved["n"]
    assert metrics["accuracy"] == pytest.approx(saved["accuracy"])


def test_predict_writes_probabilities_that_sum_to_one(
    trained_run: Path, events_dir, tmp_path
) -> None:
    table = predict(trained_run, events_dir, out=tmp_path / "p.csv")
    probs = table[["probability_high_stress", "probability_low_stress"]].to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert len(pd.read_csv(tmp_path / "p.csv")) == 120
    with pytest.raises(RunExistsError):
        predict(trained_run, events_dir, out=tmp_path / "p.csv")


def test_missing_label_is_an_error_naming_the_trace(synthetic_small, tmp_path, tiny_config) -> None:
    from seislearn.io.seisbench import write_seisbench

    ds = synthetic_small.select(range(30))
    ds.metadata.loc[3, "source_type"] = None
    write_seisbench(ds, tmp_path / "bad")
    # The SeisBench writer names traces by bucket and row: row 3 is the bad one.
    with pytest.raises(DataError, match=r"\$3,.*no 'source_type' value"):
        train(tmp_path / "bad", tiny_config, tmp_path / "run")


def test_time_split_trains_on_earlier_events_than_it_tests(
    events_dir, tmp_path, tiny_config
) -> None:
    cfg = tiny_config.model_copy(
        update={"split": "time", "training": tiny_config.training.model_copy(update={"epochs": 1})}
    )
    run = train(events_dir, cfg, tmp_path / "run").path
    from seislearn.data.identity import lookup_names
    from seislearn.io import read_dataset

    meta = read_dataset(events_dir).metadata.set_index("trace_name")
    pred = pd.read_csv(run / "predictions.csv")
    times = pd.to_datetime(
        meta.loc[lookup_names(pred), "source_origin_time"], format="mixed"
    ).to_numpy()
    split = pred["split"].to_numpy()
    assert times[split == "dev"].max() <= times[split == "test"].min()


def test_classification_run_reports_its_baselines_fitted_on_train(trained_run: Path) -> None:
    metrics = json.loads((trained_run / "metrics.json").read_text())
    baselines = metrics["baselines"]
    assert set(baselines) == {"majority_class", "spectrum_logistic"}
    assert baselines["majority_class"]["balanced_accuracy"] == pytest.approx(0.5)
    assert baselines["spectrum_logistic"]["n"] == metrics["test"]["n"]
    page = (trained_run / "report.html").read_text()
    assert "logistic regression on the mean spectrum" in page and "id='summary'" in page


def test_magnitude_regression_reports_both_baselines(events_dir, tmp_path, tiny_config) -> None:
    cfg = tiny_config.model_copy(update={"target": "source_magnitude"})
    result = train(events_dir, cfg, tmp_path / "mag")
    assert result.metrics["task"] == "regression"
    assert {"mae", "rmse", "r2"} <= set(result.metrics["test"])
    assert set(result.metrics["baselines"]) == {"train_mean", "amplitude_distance_fit"}
    assert (result.path / "figures" / "residuals.png").is_file()
    twin = json.loads((result.path / "figures" / "predicted_vs_true.plotly.json").read_text())
    assert len(twin["data"][0]["x"]) == result.metrics["test"]["n"]
    assert "Plotly.newPlot" in (result.path / "report.html").read_text()


def test_real_data_without_picks_uses_windows_from_the_trace_start(
    shared_data, tmp_path, tiny_config
) -> None:
    cfg = tiny_config.model_copy(
        update={"target": "source_magnitude", "split": "existing", "anchor": "trace_start"}
    )
    result = train(shared_data / "seisbench_dummy", cfg, tmp_path / "dummy")
    assert result.metrics["test"]["n"] == 30
    # 25 s at 20 Hz, Spectra64: 33 frequencies x 14 segments.
    assert json.loads((result.path / "model" / "model.json").read_text())["extra"][
        "input_shape"
    ] == [3, 33, 14]
