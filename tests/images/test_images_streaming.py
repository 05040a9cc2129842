"""The images workflow streamed from the files gives the in-memory results."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seislearn.cli.main import main
from seislearn.data.memory import DataConfig, streaming_option
from seislearn.data.synthetic_images import write_images
from seislearn.errors import DataError
from seislearn.images.encoder import PatchEncoder
from seislearn.images.features import Extractor, features_cached
from seislearn.images.ssl import EpochShuffle
from seislearn.images.streamed import (
    choose_images_streaming,
    scan_patches,
    streamed_features,
)
from seislearn.io.images import read_images

TINY = [
    "ssl.input_size=32",
    "ssl.widths=[8,16,32]",
    "ssl.feature_dim=16",
    "ssl.epochs=1",
    "ssl.batch_size=16",
    "umap_components=0",
    "plot_projection=pca",
    "top_anomalies=4",
    "examples_per_cluster=3",
    "data.chunk_traces=12",  # several feature chunks, the last one short
    "num_workers=2",  # each DataLoader worker reads its own files
]
#: Keys of metrics.json that say how the run was made, not what it found.
HOW = {"data_streaming", "features_from_cache"}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("images_stream")
    write_images(root / "fit", 32, seed=0, size=32, fmt="npy")
    write_images(root / "new", 8, seed=1, size=28, fmt="png")
    return root


@pytest.fixture(scope="module")
def runs(folders):
    torch.set_num_threads(1)
    out = {}
    for mode in ("memory", "stream"):
        args = ["images", "fit", str(folders / "fit"), "--out", str(folders / mode)]
        args += ["--streaming", mode, "--quiet"]
        for item in [*TINY, f"cache_dir={folders / ('cache_' + mode)}"]:
            args += ["--set", item]
        assert main(args) == 0
        predict = ["images", "predict", str(folders / "new"), "--model", str(folders / mode)]
        assert main([*predict, "--streaming", mode, "--quiet"]) == 0
        out[mode] = folders / mode
    return out


def _metrics(path: Path) -> dict:
    return json.loads((path / "metrics.json").read_text())


def test_streamed_fit_gives_the_in_memory_predictions_and_metrics(runs):
    memory, stream = (_metrics(runs[m]) for m in ("memory", "stream"))
    assert memory["data_streaming"]["mode"] == "memory"
    assert stream["data_streaming"]["mode"] == "stream"
    assert {k: v for k, v in memory.items() if k not in HOW} == {
        k: v for k, v in stream.items() if k not in HOW
    }
    pd.testing.assert_frame_equal(
        pd.read_csv(runs["memory"] / "predictions.csv"),
        pd.read_csv(runs["stream"] / "predictions.csv"),
    )


def test_streamed_features_are_cached_under_the_in_memory_key(runs, folders):
    memory = sorted((folders / "cache_memory").glob("*.npz"))
    stream = sorted((folders / "cache_stream").glob("*.npz"))
    assert len(memory) == 2  # the fitted folder's and the predicted folder's
    assert [p.name for p in memory] == [p.name for p in stream]
    for a, b in zip(memory, stream, strict=True):
        with np.load(a) as x, np.load(b) as y:
            np.testing.assert_array_equal(x["features"], y["features"])


def test_streamed_predict_gives_the_in_memory_predictions(runs):
    memory, stream = (runs[m] / "predict_new" for m in ("memory", "stream"))
    assert _metrics(stream)["data_streaming"]["mode"] == "stream"
    pd.testing.assert_frame_equal(
        pd.read_csv(memory / "predictions.csv"), pd.read_csv(stream / "predictions.csv")
    )


@pytest.fixture(scope="module")
def with_bad_file(tmp_path_factory):
    root = tmp_path_factory.mktemp("images_bad")
    write_images(root / "p", 12, seed=3, size=24, fmt="npy")
    bad = sorted((root / "p").rglob("*.npy"))[5]
    bad.write_bytes(b"not an array")
    np.save(bad.parent / "zz_flat.npy", np.ones((1, 7)))  # degenerate: one row
    return root / "p"


def test_a_bad_file_stops_a_streamed_scan_with_the_in_memory_error(with_bad_file):
    with pytest.raises(DataError) as memory:
        read_images(with_bad_file)
    with pytest.raises(DataError) as stream:
        scan_patches(with_bad_file, num_workers=2, chunk_patches=4)
    assert str(stream.value) == str(memory.value)
    assert stream.value.path == memory.value.path


def test_skipped_files_are_the_same_streamed(with_bad_file):
    memory = read_images(with_bad_file, on_error="skip")
    stream = scan_patches(with_bad_file, on_error="skip", num_workers=2, chunk_patches=4)
    assert len(stream.skipped) == 2
    assert stream.skipped == memory.skipped
    assert stream.files == memory.files and stream.labels == memory.labels


def test_a_streamed_fit_with_a_bad_file_writes_no_run(with_bad_file, tmp_path):
    args = ["images", "fit", str(with_bad_file), "--out", str(tmp_path / "run")]
    assert main([*args, "--streaming", "stream", "--quiet"]) != 0
    assert not (tmp_path / "run").exists()


def _tiny_extractor(seed: int) -> Extractor:
    torch.manual_seed(seed)
    model = PatchEncoder([4, 8], 8, 4, attribute=True, amplitude=False).eval()
    return Extractor({"kind": "ssl", "name": "ssl", "input_size": 16}, model)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sizes=st.lists(st.tuples(st.integers(8, 30), st.integers(8, 30)), min_size=1, max_size=23),
    batch_size=st.integers(1, 9),
    chunk=st.integers(1, 25),
    seed=st.integers(0, 3),
)
def test_chunked_features_equal_the_in_memory_features(sizes, batch_size, chunk, seed):
    torch.set_num_threads(1)
    rng = np.random.default_rng(seed)
    extractor = _tiny_extractor(seed)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "flat"
        root.mkdir()
        for i, shape in enumerate(sizes):
            np.save(root / f"p{i:03d}.npy", rng.normal(size=shape).astype(np.float32))
        images = read_images(root)
        cache = Path(tmp) / "cache"
        memory, _ = features_cached(extractor, images.images, batch_size, cache, False)
        listing = scan_patches(root)
        stream, hit = streamed_features(
            extractor, listing, None, batch_size, None, chunk, 0, progress=False
        )
        cached, hit_cache = streamed_features(
            extractor, listing, None, batch_size, cache, chunk, 0, progress=False
        )
    assert not hit and hit_cache  # the streamed key is the in-memory key
    np.testing.assert_allclose(stream, memory, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(cached, memory)


def test_auto_streams_a_folder_larger_than_its_share_of_memory(folders, monkeypatch):
    import seislearn.data.memory as memory

    patch_bytes = 32 * 32 * 32 * 4
    monkeypatch.setattr(memory, "available_memory_bytes", lambda: 10 * patch_bytes)
    choice = choose_images_streaming(folders / "fit", DataConfig(), None, 32, 16)
    assert choice.stream and choice.setting == "auto"
    assert patch_bytes <= choice.estimated_bytes <= 1.1 * patch_bytes + 32 * (2 * 32 * 32 + 16) * 4
    monkeypatch.setattr(memory, "available_memory_bytes", lambda: 1000 * patch_bytes)
    assert not choose_images_streaming(folders / "fit", DataConfig(), None, 32, 16).stream
    with streaming_option("stream"):
        assert choose_images_streaming(folders / "fit", DataConfig(), None, 32, 16).stream


@given(n=st.integers(1, 50), seed=st.integers(0, 5), epoch=st.integers(0, 5))
def test_epoch_shuffle_is_a_permutation_fixed_by_seed_and_epoch(n, seed, epoch):
    sampler = EpochShuffle(n, seed)
    sampler.set_epoch(epoch)
    first = list(sampler)
    list(iter(sampler))[: n // 2]  # reading part of one shuffle changes nothing after it
    again = EpochShuffle(n, seed)
    again.set_epoch(epoch)
    assert sorted(first) == list(range(n)) and list(again) == first == list(sampler)


def test_fit_help_names_the_streaming_option(capsys):
    with pytest.raises(SystemExit):
        main(["images", "fit", "--help"])
    text = capsys.readouterr().out
    assert "--streaming {auto,memory,stream}" in text and "data.streaming" in text


def test_pixel_baseline_reads_a_lazy_folder_like_a_list(with_bad_file):
    from seislearn.images.baselines import pixel_kmeans_ari
    from seislearn.images.streamed import LazyImages

    listing = scan_patches(with_bad_file, on_error="skip")
    images = read_images(with_bad_file, on_error="skip")
    lazy = LazyImages(listing.paths, None)
    for sample in (len(listing), 6):
        memory = pixel_kmeans_ari(images.images, images.labels, 2, 0, sample=sample)
        assert pixel_kmeans_ari(lazy, listing.labels, 2, 0, sample=sample) == memory
