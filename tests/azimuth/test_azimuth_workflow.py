"""Train, evaluate and predict end to end on tiny synthetic data (1 epoch per stage)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from seislearn.azimuth.config import load_azimuth_config
from seislearn.azimuth.evaluate import ORIENTATION_CHECK_ALPHA
from seislearn.cli.main import main
from seislearn.errors import ConfigError, RunExistsError

TINY = ["training.vae_epochs=1", "training.head_epochs=1", "training.batch_size=32"]


@pytest.fixture(scope="module")
def synthetic_folder(synthetic_archive):
    return synthetic_archive(160, seed=3)


@pytest.fixture(scope="module")
def trained_run(synthetic_folder, tmp_path_factory):
    run = tmp_path_factory.mktemp("azimuth") / "run"
    args = ["azimuth", "train", "--data", str(synthetic_folder), "--out", str(run)]
    for item in TINY:
        args += ["--set", item]
    assert main(args) == 0
    return run


def test_train_writes_model_and_baseline_metrics_side_by_side(trained_run):
    metrics = json.loads((trained_run / "metrics.json").read_text())
    for who in ("model", "baseline"):
        overall = metrics[who]["overall"]
        assert {"mae_deg", "median_abs_error_deg", "rmse_deg", "within_10_deg"} <= set(overall)
        assert "by_snr_db" in metrics[who]
    assert "incidence" in metrics["model"]
    assert set(metrics["model"]["interval_coverage"]) == {"0.50", "0.68", "0.90", "0.95"}
    widths = metrics["model"]["interval_median_half_width_deg"]
    assert set(widths) == set(metrics["model"]["interval_coverage"])
    assert 0 < widths["0.50"] < widths["0.95"] <= 180
    assert metrics["training"]["end_to_end"]["seconds_per_epoch"] > 0


def test_run_records_its_stations_and_which_traces_were_rotated(trained_run):
    """The run keeps its training stations (distinct events); traces of a learned
    station are predicted as recorded, the others averaged over the net's orientations."""
    from seislearn.azimuth.api import _load_run

    _, extra, _ = _load_run(trained_run)
    learned = extra["training_stations"]
    assert learned and all(n > 0 for n in learned.values())
    assert extra["stations_checked"] == {}  # every station at the threshold or above
    own = sorted(k for k, n in learned.items() if n >= extra["own_station_min_events"])
    section = json.loads((trained_run / "metrics.json").read_text())["test_time_rotations"]
    assert section["learned_stations"] == own
    table = pd.read_csv(trained_run / "predictions.csv")
    assert set(table["orientations_averaged"]) <= {1, section["orientations"]}
    assert int((table["orientations_averaged"] > 1).sum()) == section["traces_rotated"]
    assert section["traces_rotated"] + section["traces_as_recorded"] == len(table)


def test_train_writes_figures_report_and_weights(trained_run):
    for name in ("latent_space", "predicted_vs_true", "error_vs_snr"):
        assert (trained_run / "figures" / f"{name}.png").stat().st_size > 1000
    assert (trained_run / "report.html").is_file()
    assert (trained_run / "model" / "azimuth_weights.safetensors").is_file()
    assert (trained_run / "checkpoints" / "end_to_end" / "last.ckpt").is_file()


def test_predictions_are_only_from_the_test_split(trained_run):
    table = pd.read_csv(trained_run / "predictions.csv")
    assert set(table["split"]) == {"test"}
    for column in (
        "trace_name",
        "back_azimuth_deg",
        "incidence_deg",
        "uncertainty",
        "baseline_back_azimuth_deg",
        "rectilinearity",
    ):
        assert table[column].notna().all()
    assert table["back_azimuth_deg"].between(0, 360).all()


def test_existing_run_is_not_overwritten(trained_run, synthetic_folder):
    from seislearn.azimuth.api import train

    with pytest.raises(RunExistsError):
        train(synthetic_folder, trained_run, load_azimuth_config(overrides=TINY))


def test_predict_writes_one_row_per_picked_trace(trained_run, synthetic_folder, tmp_path):
    out = tmp_path / "pred"
    args = ["azimuth", "predict", "--model", str(trained_run), "--data", str(synthetic_folder)]
    assert main([*args, "--out", str(out)]) == 0
    table = pd.read_csv(out / "predictions.csv")
    assert len(table) == 160
    assert np.isfinite(table["uncertainty"]).all()


def test_evaluate_on_a_split_reports_both_methods(trained_run, synthetic_folder, tmp_path):
    out = tmp_path / "eval"
    args = ["azimuth", "evaluate", "--model", str(trained_run), "--data", str(synthetic_folder)]
    assert main([*args, "--out", str(out), "--split", "dev"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"]["overall"]["n"] == metrics["baseline"]["overall"]["n"] > 0


def test_unknown_config_key_suggests_the_right_one():
    with pytest.raises(ConfigError, match="latent_dim"):
        load_azimuth_config(overrides=["model.latent_dims=2"])


def test_original_preset_uses_a_two_dimensional_latent_space():
    config = load_azimuth_config(preset="original", overrides=["training.vae_epochs=3"])
    assert config.model.latent_dim == 2
    assert config.training.vae_epochs == 3
    assert config.model.head_hidden[0] == 2048
    assert config.training.mode == "two_stage"


def test_two_stage_training_trains_the_vae_then_the_head(synthetic_folder, tmp_path):
    run = tmp_path / "two"
    args = ["azimuth", "train", "--data", str(synthetic_folder), "--out", str(run)]
    for item in [*TINY, "training.mode=two_stage"]:
        args += ["--set", item]
    assert main(args) == 0
    training = json.loads((run / "metrics.json").read_text())["training"]
    assert training["vae"]["epochs"] == 1 and training["head"]["epochs"] == 1
    assert (run / "checkpoints" / "vae" / "last.ckpt").is_file()
    assert (run / "checkpoints" / "head" / "last.ckpt").is_file()


def test_demo_section_runs_quickly(tmp_path):
    from seislearn.azimuth.demo import demo_section
    from seislearn.runs import RunDir

    run = RunDir(tmp_path / "demo")
    section = demo_section(run, tmp_path / "unused", seed=0, quick=True)
    assert section.tables and section.figures


def test_fine_tuning_starts_from_a_trained_run(trained_run, synthetic_folder, tmp_path):
    from seislearn.azimuth.api import _load_run, train

    # A threshold above the station's events: its own labelled traces decide.
    config = load_azimuth_config(overrides=[*TINY, "model.own_station_min_events=100000"])
    out = train(synthetic_folder, tmp_path / "tuned", config, init_from=trained_run)
    assert (out / "model" / "azimuth_weights.safetensors").is_file()
    _, extra, _ = _load_run(out)
    (station,) = extra["training_stations"]
    check = extra["stations_checked"][station]
    averaged_wins = check["averaged_mae_deg"] < check["as_recorded_mae_deg"]
    significant = check["p_value_averaged_better"] < ORIENTATION_CHECK_ALPHA
    assert check["learned"] == (not (averaged_wins and significant))
    assert extra["stations_learned_by_check"] == ([station] if check["learned"] else [])
    section = json.loads((out / "metrics.json").read_text())["test_time_rotations"]
    assert section["stations_checked"] == extra["stations_checked"]
    table = pd.read_csv(out / "predictions.csv")
    assert set(table["orientations_averaged"]) == ({1} if check["learned"] else {8})
    # evaluate applies the training's decision and says which check made it
    from seislearn.azimuth.api import evaluate

    scored = evaluate(out, synthetic_folder, tmp_path / "scored", split="test")
    section = json.loads((scored / "metrics.json").read_text())["test_time_rotations"]
    assert section["stations_checked"] == extra["stations_checked"]
    assert (section["traces_rotated"] == 0) == check["learned"]
    table = pd.read_csv(scored / "predictions.csv")
    assert set(table["orientations_averaged"]) == ({1} if check["learned"] else {8})
    assert "station check" in (scored / "report.html").read_text()


def test_fine_tuning_a_different_architecture_is_a_config_error(
    trained_run, synthetic_folder, tmp_path
):
    from seislearn.azimuth.api import train

    config = load_azimuth_config(overrides=[*TINY, "model.latent_dim=3"])
    with pytest.raises(ConfigError, match="does not match"):
        train(synthetic_folder, tmp_path / "tuned", config, init_from=trained_run)


def test_fine_tuning_inherits_the_window_and_model_settings_of_the_run(synthetic_folder, tmp_path):
    """The docs' `azimuth train --init-from az_run` once failed with a state_dict size
    mismatch when az_run had other bands than the defaults: unset keys now come from it."""
    from seislearn.azimuth.api import train

    bands = "model.covariance_bands_hz=[[1.0, 8.0], [1.0, 3.0], [2.0, 5.0], [4.0, 8.0]]"
    base = train(
        synthetic_folder,
        tmp_path / "run8hz",
        load_azimuth_config(overrides=[*TINY, "window.freqmax_hz=8.0", bands]),
    )
    tuned = train(
        synthetic_folder, tmp_path / "tuned", load_azimuth_config(overrides=TINY), init_from=base
    )
    saved = (tuned / "config.yaml").read_text()
    assert "freqmax_hz: 8.0" in saved and "- 4.0\n    - 8.0" in saved
    with pytest.raises(ConfigError, match=r"model\.covariance_bands_hz"):
        train(
            synthetic_folder,
            tmp_path / "tuned2",
            load_azimuth_config(overrides=[*TINY, "model.covariance_bands_hz=[[1.0, 20.0]]"]),
            init_from=base,
        )


def test_model_trained_without_incidence_labels_predicts_no_incidence(tmp_path):
    from seislearn.azimuth.api import train
    from seislearn.azimuth.data import synthesize
    from seislearn.data import schema

    data = synthesize(120, 4, 0.5, 2.0)
    data.incidence_deg[:] = np.nan
    data.metadata = data.metadata.drop(columns=[schema.INCIDENCE], errors="ignore")
    out = train("synthetic", tmp_path / "run", load_azimuth_config(overrides=TINY), data=data)
    table = pd.read_csv(out / "predictions.csv")
    assert table["incidence_deg"].isna().all()
    assert table["back_azimuth_deg"].notna().all()


def test_resume_continues_an_existing_run_from_its_checkpoints(trained_run, synthetic_folder):
    from seislearn.azimuth.api import train

    # End to end (the default), the epoch budget is head_epochs: one more epoch than before.
    config = load_azimuth_config(overrides=["training.head_epochs=2", TINY[0], TINY[2]])
    out = train(synthetic_folder, trained_run, config, resume=True)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["training"]["end_to_end"]["epochs"] == 2


def test_a_small_dev_split_warns_that_the_intervals_may_be_too_narrow(
    synthetic_folder, tmp_path, caplog
):
    import logging

    args = ["azimuth", "train", "--data", str(synthetic_folder), "--out", str(tmp_path / "r")]
    for item in TINY:
        args += ["--set", item]
    with caplog.at_level(logging.WARNING, logger="seislearn.azimuth.api"):
        assert main(args) == 0
    n_dev = int((pd.read_csv(synthetic_folder / "metadata.csv")["split"] == "dev").sum())
    assert n_dev < 30
    assert f"calibrated on only {n_dev} dev traces" in caplog.text


def test_train_scores_a_station_calibrated_baseline_fitted_on_train(trained_run):
    metrics = json.loads((trained_run / "metrics.json").read_text())
    calibrated = metrics["baseline_station_calibrated"]["overall"]
    assert calibrated["n"] == metrics["baseline"]["overall"]["n"]
    saved = json.loads((trained_run / "model" / "azimuth_model.json").read_text())
    assert len(saved["extra"]["station_correction_deg"]) == 5
    table = pd.read_csv(trained_run / "predictions.csv")
    assert table["baseline_calibrated_back_azimuth_deg"].between(0, 360).all()


def test_resume_never_unpickles_a_checkpoint(synthetic_folder, tmp_path, monkeypatch, capsys):
    import torch
    import yaml

    from seislearn.azimuth.config import AzimuthConfig
    from seislearn.config import load_config

    ran = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (exec, (f"open({str(ran)!r}, 'w').write('x')",))

    out = tmp_path / "run"
    (out / "checkpoints" / "end_to_end").mkdir(parents=True)
    config = load_config(AzimuthConfig, overrides=list(TINY))
    (out / "config.yaml").write_text(yaml.safe_dump(config.model_dump(mode="json")))
    torch.save({"epoch": 0, "payload": Payload()}, out / "checkpoints" / "end_to_end" / "last.ckpt")
    # Even where the environment asks torch to unpickle checkpoints, --resume does not.
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    args = ["azimuth", "train", "--data", str(synthetic_folder), "--out", str(out), "--resume"]
    for item in TINY:
        args += ["--set", item]
    assert main(args) == 1
    assert "weights-only load refuses" in capsys.readouterr().err
    assert not ran.exists()
