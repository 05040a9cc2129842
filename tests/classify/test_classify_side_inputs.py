"""Scalar side inputs (log10 peak amplitude, S-P time, distance) of the magnitude CNN."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from seislearn.classify.api import train
from seislearn.classify.apply import load_classifier
from seislearn.classify.data import prepare_waveforms
from seislearn.classify.fit import predict_array
from seislearn.classify.model import SpectrogramCNN, WaveformCNN1D
from seislearn.data import schema
from seislearn.data.identity import lookup_names
from seislearn.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def magnitude_run(events_dir: Path, tiny_config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A P64 magnitude run with the default (``auto``) side inputs, one epoch."""
    training = tiny_config.training.model_copy(update={"epochs": 1})
    cfg = tiny_config.model_copy(update={"target": "source_magnitude", "training": training})
    out = tmp_path_factory.mktemp("side") / "mag"
    train(events_dir, cfg, out)
    return out


@pytest.fixture(scope="module")
def few_events(synthetic_small):
    """The first 20 synthetic events (prepared quickly)."""
    return synthetic_small.select(np.arange(20))


def _with_metadata(dataset, metadata: pd.DataFrame):
    from seislearn.data.dataset import WaveformDataset

    return WaveformDataset(metadata, dataset.loader, dataset.name, dataset.component_order)


def test_models_with_side_inputs_need_them_and_use_them() -> None:
    torch.manual_seed(0)
    for model, x in (
        (SpectrogramCNN(n_outputs=1, n_side=2), torch.randn(4, 3, 33, 20)),
        (WaveformCNN1D(n_outputs=1, n_side=2), torch.randn(4, 3, 400)),
    ):
        model.eval()
        side = torch.randn(4, 2)
        out = model(x, side)
        assert out.shape == (4, 1)
        assert not torch.allclose(out, model(x, side + 1.0))
        with pytest.raises(ValueError, match="2 side inputs"):
            model(x)


def test_models_without_side_inputs_keep_the_saved_layout() -> None:
    # Models saved before side inputs existed load into the same parameter names.
    keys = set(SpectrogramCNN(n_outputs=2).state_dict())
    assert "head.3.weight" in keys and not any(k.startswith("side_linear") for k in keys)


def test_magnitude_run_feeds_amplitudes_and_sp_time_scaled_with_train_only(
    magnitude_run: Path, events_dir: Path
) -> None:
    metrics = json.loads((magnitude_run / "metrics.json").read_text())
    assert metrics["side_inputs"] == [
        "log10_peak_Z",
        "log10_peak_N",
        "log10_peak_E",
        "log10_sp_time_s",
    ]
    clf = load_classifier(magnitude_run)
    assert clf.module.model.side_linear.in_features == 16 + 4
    prep, x = clf.prepare(events_dir)
    saved = pd.read_csv(magnitude_run / "splits.csv")
    splits = pd.Series(saved[schema.SPLIT].to_numpy(), index=lookup_names(saved))
    split = splits.loc[prep.metadata[schema.TRACE_NAME]].to_numpy()
    train_rows = split == "train"
    assert 0 < train_rows.sum() < len(split)
    np.testing.assert_allclose(clf.side_scaler.mean_, prep.side[train_rows].mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(clf.side_scaler.std_, prep.side[train_rows].std(axis=0), rtol=1e-4)
    assert not np.allclose(clf.side_scaler.mean_, prep.side.mean(axis=0), rtol=1e-5)
    # The S-P column is log10 of (S - P) samples over the sampling rate.
    meta = prep.metadata
    sp = (meta[schema.S_ARRIVAL] - meta[schema.P_ARRIVAL]) / meta[schema.SAMPLING_RATE]
    np.testing.assert_allclose(prep.side[:, 3], np.log10(sp), rtol=1e-5)
    # The side inputs reach the prediction.
    side = clf.scaled_side(prep)
    shifted = side.copy()
    shifted[:, 0:3] += 1.0
    assert not np.allclose(
        predict_array(clf.module, x, side), predict_array(clf.module, x, shifted)
    )


def test_classification_stays_spectral_by_default(trained_run: Path) -> None:
    clf = load_classifier(trained_run)
    assert clf.side_inputs == [] and clf.side_scaler is None
    assert clf.module.model.side_linear is None
    assert json.loads((trained_run / "metrics.json").read_text())["side_inputs"] == []


def test_missing_columns_are_named(few_events, tiny_config) -> None:
    cfg = tiny_config.model_copy(
        update={"target": "source_magnitude", "side_inputs": ["log_distance"]}
    )
    geometry = [c for c in few_events.metadata.columns if "latitude" in c or "longitude" in c]
    stripped = few_events.metadata.drop(columns=[schema.EP_DISTANCE, *geometry], errors="ignore")
    with pytest.raises(DataError, match="path_ep_distance_km"):
        prepare_waveforms(_with_metadata(few_events, stripped), cfg)
    cfg = cfg.model_copy(update={"side_inputs": ["log_sp_time"]})
    no_s = few_events.metadata.drop(columns=[schema.S_ARRIVAL])
    with pytest.raises(DataError, match=schema.S_ARRIVAL):
        prepare_waveforms(_with_metadata(few_events, no_s), cfg)


def test_a_trace_without_s_pick_is_an_error_or_skipped(few_events, tiny_config) -> None:
    cfg = tiny_config.model_copy(
        update={"target": "source_magnitude", "side_inputs": ["log_sp_time"]}
    )
    meta = few_events.metadata.copy()
    meta.loc[3, schema.S_ARRIVAL] = np.nan
    broken = _with_metadata(few_events, meta)
    with pytest.raises(DataError, match="S before P") as error:
        prepare_waveforms(broken, cfg)
    assert error.value.trace == meta.loc[3, schema.TRACE_NAME]
    prep = prepare_waveforms(broken, cfg, on_error="skip")
    assert len(prep.y) == len(meta) - 1 == prep.side.shape[0]
    assert meta.loc[3, schema.TRACE_NAME] not in set(prep.metadata[schema.TRACE_NAME])
    # auto leaves the S-P time out when a pick is missing, and without picks.
    auto = tiny_config.model_copy(update={"target": "source_magnitude"})
    assert prepare_waveforms(broken, auto).side_columns == [
        "log10_peak_Z",
        "log10_peak_N",
        "log10_peak_E",
    ]


def test_side_inputs_built_from_the_target_or_without_picks_are_refused(
    few_events, tiny_config
) -> None:
    cfg = tiny_config.model_copy(
        update={"target": schema.EP_DISTANCE, "side_inputs": ["log_distance"]}
    )
    with pytest.raises(ConfigError, match="target column"):
        prepare_waveforms(few_events, cfg)
    cfg = tiny_config.model_copy(
        update={
            "target": "source_magnitude",
            "anchor": "trace_start",
            "side_inputs": ["log_sp_time"],
        }
    )
    with pytest.raises(ConfigError, match="trace_start"):
        prepare_waveforms(few_events, cfg)


def test_peak_amplitudes_are_measured_before_normalization(few_events, tiny_config) -> None:
    cfg = tiny_config.model_copy(
        update={"target": "source_magnitude", "side_inputs": ["log_peak_amplitude"]}
    )
    raw = prepare_waveforms(few_events, cfg)
    normalized = prepare_waveforms(few_events, cfg.model_copy(update={"normalize": "peak"}))
    np.testing.assert_allclose(normalized.side, raw.side, rtol=1e-5)
    np.testing.assert_allclose(normalized.peak_amplitude, raw.peak_amplitude, rtol=1e-5)
    assert raw.side.std(axis=0).min() > 0.1  # magnitudes and distances vary


def test_regression_head_starts_at_the_linear_fit_on_the_side_inputs() -> None:
    from seislearn.classify.fit import start_from_linear_fit

    rng = np.random.default_rng(0)
    side = rng.normal(size=(200, 2)).astype(np.float32)
    target = 0.8 * side[:, 0] - 0.3 * side[:, 1] + 0.1
    network = SpectrogramCNN(n_outputs=1, channels=(4,), n_side=2).eval()
    start_from_linear_fit(network, side, target)
    with torch.no_grad():
        out = network(torch.randn(200, 3, 9, 9), torch.as_tensor(side)).squeeze(-1).numpy()
    # The CNN features start with zero weight: the output is the (lightly ridged) fit.
    np.testing.assert_allclose(out, target, atol=0.01)


def test_explain_refuses_a_model_with_side_inputs(magnitude_run: Path, events_dir: Path) -> None:
    from seislearn.explain.api import explain

    with pytest.raises(DataError, match="side inputs"):
        explain(magnitude_run, events_dir, out=magnitude_run / "explain_refused")


def test_an_all_zero_window_is_an_error_or_skipped_not_a_peak_amplitude(
    few_events, tiny_config
) -> None:
    from seislearn.data.dataset import WaveformDataset

    dead = str(few_events.metadata[schema.TRACE_NAME].iloc[3])

    class DeadTrace:
        def load(self, row):
            wave = few_events.loader.load(row)
            return np.zeros_like(wave) if row[schema.TRACE_NAME] == dead else wave

    data = WaveformDataset(few_events.metadata, DeadTrace(), "dead", few_events.component_order)
    cfg = tiny_config.model_copy(
        update={"target": "source_magnitude", "side_inputs": ["log_peak_amplitude"]}
    )
    with pytest.raises(DataError, match="zero") as error:
        prepare_waveforms(data, cfg)
    assert error.value.trace == dead
    prep = prepare_waveforms(data, cfg, on_error="skip")
    assert dead not in set(prep.metadata[schema.TRACE_NAME])
    assert len(prep.skipped) == 1 and dead in prep.skipped[0]
    assert np.isfinite(prep.side).all() and prep.side.min() > -10
