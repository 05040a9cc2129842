"""classify and explain streamed through the feature cache give the in-memory numbers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("classify_cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEISLEARN_CACHE_DIR", str(path))
        yield path


def _config(tiny_config, mode: str, **update):
    data = {"streaming": mode, "chunk_traces": 29}
    return tiny_config.model_copy(
        update={"data": tiny_config.data.model_copy(update=data), **update}
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory, events_dir, tiny_config, cache_dir):
    from seislearn.classify.api import train

    root = tmp_path_factory.mktemp("classify_stream")
    for mode in ("memory", "stream"):
        train(events_dir, _config(tiny_config, mode), root / mode)
    return {mode: root / mode for mode in ("memory", "stream")}


def test_streamed_training_gives_the_in_memory_split_scaler_and_predictions(runs):
    from seislearn.classify.apply import load_classifier

    memory, stream = (json.loads((runs[m] / "metrics.json").read_text()) for m in runs)
    assert stream["data_streaming"]["mode"] == "stream"
    assert memory["data_streaming"]["mode"] == "memory"
    assert stream["split_counts"] == memory["split_counts"]
    a, b = (load_classifier(runs[m]).scaler for m in runs)
    np.testing.assert_allclose(a.mean_, b.mean_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a.std_, b.std_, rtol=1e-5, atol=1e-6)
    assert stream["test"]["accuracy"] == pytest.approx(memory["test"]["accuracy"])
    assert stream["baselines"] == memory["baselines"]
    pa, pb = (pd.read_csv(runs[m] / "predictions.csv") for m in runs)
    assert list(pa["trace_name"]) == list(pb["trace_name"])
    columns = [c for c in pa.columns if c.startswith("probability_")]
    np.testing.assert_allclose(pa[columns], pb[columns], atol=1e-4)


def test_streamed_regression_with_side_inputs_gives_the_in_memory_numbers(
    tmp_path, events_dir, tiny_config, cache_dir
):
    from seislearn.classify.api import train

    metrics = {}
    for mode in ("memory", "stream"):
        config = _config(tiny_config, mode, target="source_magnitude")
        train(events_dir, config, tmp_path / mode)
        metrics[mode] = json.loads((tmp_path / mode / "metrics.json").read_text())
    assert metrics["stream"]["side_inputs"] == metrics["memory"]["side_inputs"] != []
    assert metrics["stream"]["test"]["mae"] == pytest.approx(
        metrics["memory"]["test"]["mae"], abs=1e-4
    )
    for name, scores in metrics["memory"]["baselines"].items():
        # float32 sums over chunks in another order: equal to float32 precision
        assert metrics["stream"]["baselines"][name] == pytest.approx(scores, rel=1e-5, abs=1e-6)


def test_explain_streamed_reads_the_training_store_and_gives_the_in_memory_maps(
    runs, events_dir, tmp_path, cache_dir
):
    from seislearn.data.memory import streaming_option
    from seislearn.explain import explain

    stores_before = sorted(cache_dir.rglob("features-*.h5"))
    maps = {}
    for mode in ("memory", "stream"):
        with streaming_option(mode):
            explain(runs["memory"], events_dir, tmp_path / mode, n=3, explainer="gradient")
        maps[mode] = pd.read_csv(tmp_path / mode / "time_profile.csv")
    assert sorted(cache_dir.rglob("features-*.h5")) == stores_before  # the store was reused
    pd.testing.assert_frame_equal(maps["memory"], maps["stream"], atol=1e-5)
