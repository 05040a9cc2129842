"""The cluster workflow streamed through the feature cache gives the in-memory results."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seislearn.cli.main import main
from seislearn.cluster.features import (
    FeatureConfig,
    compute_spectrograms,
    compute_spectrograms_streamed,
)
from seislearn.errors import DataError

TINY = [
    "training.pretrain_epochs=2",
    "training.dec_max_epochs=1",
    "training.n_init=2",
    "model.channels=[8,16]",
    "embedding_plot=pca",
    "k_range=[2,3]",
    "data.chunk_traces=17",  # several chunks, the last one short
]


@pytest.fixture(scope="module")
def archive(synthetic_archive):
    return synthetic_archive(48, seed=11)


@pytest.fixture(scope="module")
def runs(archive, tmp_path_factory, monkeypatch_module):
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("cluster_stream_runs")
    monkeypatch_module.setenv("SEISLEARN_CACHE_DIR", str(root / "cache"))
    out = {}
    for mode in ("memory", "stream"):
        args = ["cluster", "train", "--data", str(archive), "--n-clusters", "2"]
        args += ["--out", str(root / mode), "--label-column", "source_type"]
        args += ["--streaming", mode, "--seed", "2"]
        for item in TINY:
            args += ["--set", item]
        assert main(args) == 0
        out[mode] = root / mode
    return out


def test_streamed_training_gives_the_in_memory_assignments_and_metrics(runs):
    memory, stream = (json.loads((runs[m] / "metrics.json").read_text()) for m in runs)
    assert memory.pop("data_streaming")["mode"] == "memory"
    assert stream.pop("data_streaming")["mode"] == "stream"
    assert stream == memory  # DEC, CAE + KMeans, raw KMeans, choose_k: every number
    a, b = (pd.read_csv(runs[m] / "assignments.csv") for m in runs)
    pd.testing.assert_frame_equal(a, b)
    assert (runs["stream"] / "figures" / "mean_spectrograms.png").is_file()


def test_streamed_predict_gives_the_in_memory_assignments_from_the_training_store(
    runs, archive, tmp_path
):
    import os
    from pathlib import Path

    tables, metrics = {}, {}
    for mode in ("memory", "stream"):
        out = tmp_path / f"pred_{mode}"
        args = ["cluster", "predict", "--model", str(runs["memory"]), "--data", str(archive)]
        assert main([*args, "--out", str(out), "--streaming", mode]) == 0
        tables[mode] = pd.read_csv(out / "assignments.csv")
        metrics[mode] = json.loads((out / "metrics.json").read_text())
    pd.testing.assert_frame_equal(tables["memory"], tables["stream"])
    assert metrics["stream"]["data_streaming"]["mode"] == "stream"
    assert metrics["stream"]["all"] == metrics["memory"]["all"]
    stores = list((Path(os.environ["SEISLEARN_CACHE_DIR"]) / "features").glob("features-*.h5"))
    assert len(stores) == 1  # predict read the store cluster train wrote


@pytest.fixture(scope="module")
def with_bad_traces():
    from seislearn.data.synthetic import SyntheticConfig, make_events

    return make_events(14, seed=3, config=SyntheticConfig(noise_fraction=0.4))  # noise: no pick


@settings(max_examples=8, deadline=None)
@given(chunk=st.integers(1, 15))
def test_streamed_spectrograms_and_skipped_traces_equal_the_in_memory_ones(
    with_bad_traces, tmp_path_factory, chunk
):
    cfg = FeatureConfig(length_s=8.0, nperseg=64)
    memory = compute_spectrograms(with_bad_traces, cfg, on_error="skip")
    cache = str(tmp_path_factory.mktemp("store"))
    stream = compute_spectrograms_streamed(
        with_bad_traces, cfg, "synthetic", "skip", chunk_traces=chunk, cache_dir=cache
    )
    assert memory.skipped and stream.skipped == memory.skipped
    np.testing.assert_array_equal(stream.spectrograms.read(), memory.spectrograms)
    np.testing.assert_array_equal(stream.windows.read(), memory.windows)
    pd.testing.assert_frame_equal(stream.metadata, memory.metadata)
    np.testing.assert_array_equal(stream.frequencies, memory.frequencies)
    assert stream.sampling_rate == memory.sampling_rate


def test_a_bad_trace_streamed_raises_its_own_error_and_leaves_no_store(with_bad_traces, tmp_path):
    cfg = FeatureConfig(length_s=8.0, nperseg=64)
    with pytest.raises(DataError) as memory:
        compute_spectrograms(with_bad_traces, cfg)
    with pytest.raises(DataError) as stream:
        compute_spectrograms_streamed(
            with_bad_traces, cfg, "synthetic", "raise", chunk_traces=4, cache_dir=str(tmp_path)
        )
    assert str(stream.value) == str(memory.value)
    assert "synth_" in str(stream.value)
    assert not list(tmp_path.glob("*.h5"))  # no partial store is left to be trusted


def test_an_archive_of_only_bad_traces_skipped_is_the_in_memory_error(tmp_path):
    from seislearn.data.synthetic import SyntheticConfig, make_events

    cfg = FeatureConfig(length_s=8.0, nperseg=64)
    noise = make_events(4, seed=5, config=SyntheticConfig(noise_fraction=1.0))
    with pytest.raises(DataError, match="no window could be cut") as memory:
        compute_spectrograms(noise, cfg, on_error="skip")
    with pytest.raises(DataError, match="no window could be cut") as stream:
        compute_spectrograms_streamed(noise, cfg, "noise", "skip", 2, str(tmp_path))
    assert str(stream.value) == str(memory.value)


def test_dec_reads_a_stored_batch_in_one_call_and_predicts_as_in_memory(tmp_path):
    import torch

    from seislearn.cluster.dec import DeepEmbeddedClustering
    from seislearn.cluster.streamed import StoredSpectrograms
    from seislearn.features.cache import FeatureCache

    rng = np.random.default_rng(0)
    x = rng.random((40, 1, 8, 8), dtype=np.float32)
    cache = FeatureCache(tmp_path)
    cache.get_or_build("k", [(x[:25],), (x[25:],)], ("spectrograms",))
    from seislearn.data.window_store import StoredWindows

    class Counting(StoredSpectrograms):
        calls = 0

        def __getitems__(self, indices):
            Counting.calls += 1
            return super().__getitems__(indices)

    stored = Counting(StoredWindows(cache.path("k"), "spectrograms"))
    torch.set_num_threads(1)
    dec = DeepEmbeddedClustering(
        n_clusters=2, channels=(4,), latent_dim=2, pretrain_epochs=1, dec_max_epochs=1,
        n_init=1, batch_size=16, random_state=0, verbose=False,
    ).fit(x)  # fmt: skip
    Counting.calls = 0
    np.testing.assert_allclose(dec.predict_proba(stored), dec.predict_proba(x), atol=1e-6)
    assert Counting.calls == 1  # 40 items in one batch of 1,024: one read
