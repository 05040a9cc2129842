"""The images workflow end to end: fit, outputs, feature cache, predict, CLI, demo."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
import torchvision

from seislearn.cli.main import main
from seislearn.data.synthetic_images import write_images
from seislearn.errors import RunExistsError
from seislearn.images.api import ImagesConfig, fit_images, predict_images
from seislearn.images.features import features_cached, torchvision_extractor
from seislearn.images.ssl import SSLConfig
from seislearn.io.images import read_images

TINY_SSL = SSLConfig(input_size=32, widths=[8, 16, 32], feature_dim=16, epochs=1, batch_size=16)


def tiny_config(tmp_path, **changes) -> ImagesConfig:
    base = {
        "ssl": TINY_SSL,
        "umap_components": 0,
        "plot_projection": "pca",
        "progress": False,
        "cache_dir": str(tmp_path / "cache"),
        "top_anomalies": 4,
        "examples_per_cluster": 3,
    }
    return ImagesConfig(**{**base, **changes})


@pytest.fixture(scope="module")
def patches(tmp_path_factory):
    root = tmp_path_factory.mktemp("patches")
    write_images(root / "fit", 32, seed=0, size=40, fmt="mat")
    write_images(root / "new", 12, seed=1, size=40, fmt="png")
    return root


@pytest.fixture(scope="module")
def fitted_run(patches, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    torch.set_num_threads(1)
    fit_images(patches / "fit", tmp / "run", tiny_config(tmp), seed=0)
    return tmp / "run"


def test_fit_writes_predictions_metrics_figures_and_a_pickle_free_model(fitted_run):
    predictions = pd.read_csv(fitted_run / "predictions.csv", keep_default_na=False)
    assert list(predictions.columns) == [
        "file", "true_label", "cluster", "predicted_label", "anomaly_score",
    ]  # fmt: skip
    assert len(predictions) == 32
    metrics = json.loads((fitted_run / "metrics.json").read_text())
    assert {"ARI", "NMI", "ACC"} <= set(metrics)
    counts = pd.read_csv(fitted_run / "classification_metrics.csv")
    assert {"tp", "fp", "tn", "fn", "precision", "recall", "f1"} <= set(counts.columns)
    figures = {p.name for p in (fitted_run / "figures").glob("*.png")}
    assert {"umap_true_labels.png", "umap_clusters.png", "anomaly_gallery.png"} <= figures
    model_files = {p.suffix for p in (fitted_run / "model").iterdir()}
    assert model_files <= {".json", ".safetensors", ".npz"}
    assert (fitted_run / "checkpoints" / "last.ckpt").is_file()


def test_hungarian_mapping_predicts_every_class(fitted_run):
    predictions = pd.read_csv(fitted_run / "predictions.csv")
    assert set(predictions["predicted_label"]) == set(predictions["true_label"])


def test_fit_refuses_to_overwrite_an_existing_run(patches, fitted_run, tmp_path):
    with pytest.raises(RunExistsError):
        fit_images(patches / "fit", fitted_run, tiny_config(tmp_path))


def test_predict_assigns_new_patches_with_the_saved_pipeline(fitted_run, patches, tmp_path):
    out, metrics = predict_images(fitted_run, patches / "new", out=tmp_path / "p", progress=False)
    predictions = pd.read_csv(out / "predictions.csv")
    assert len(predictions) == 12 and metrics["n_patches"] == 12
    assert set(predictions["cluster"]) <= {0, 1, 2, 3}
    assert predictions["anomaly_score"].notna().all()


def test_predict_on_the_training_patches_reproduces_their_clusters(fitted_run, patches, tmp_path):
    out, _ = predict_images(fitted_run, patches / "fit", out=tmp_path / "p", progress=False)
    again = pd.read_csv(out / "predictions.csv")
    first = pd.read_csv(fitted_run / "predictions.csv")
    assert (again["cluster"] == first["cluster"]).all()


def test_features_come_from_the_cache_only_for_identical_content(patches, tmp_path):
    torch.manual_seed(0)
    extractor = torchvision_extractor("resnet18", "random", 32)
    images = read_images(patches / "new").images[:4]
    first, hit1 = features_cached(extractor, images, cache_dir=tmp_path, progress=False)
    second, hit2 = features_cached(extractor, images, cache_dir=tmp_path, progress=False)
    changed = [im.copy() for im in images]
    changed[2][5, 5] += 1.0
    third, hit3 = features_cached(extractor, changed, cache_dir=tmp_path, progress=False)
    assert (hit1, hit2, hit3) == (False, True, False)
    assert np.array_equal(first, second)
    assert not np.array_equal(first[2], third[2])


def test_cli_fit_with_a_local_weights_file_then_predict(patches, tmp_path, capsys):
    weights = tmp_path / "resnet18_random.pth"
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), weights)
    run = tmp_path / "run"
    code = main(
        [
            "images", "fit", str(patches / "fit"), "--out", str(run),
            "--extractor", "resnet18", "--weights", str(weights), "--quiet",
            "--set", "input_size=32", "--set", "umap_components=0",
            "--set", "plot_projection=pca", "--set", f"cache_dir={tmp_path / 'cache'}",
        ]
    )  # fmt: skip
    assert code == 0 and "ARI" in capsys.readouterr().out
    assert json.loads((run / "model" / "extractor.json").read_text())["name"] == "resnet18"
    code = main(["images", "predict", "--model", str(run), str(patches / "new"), "--quiet"])
    assert code == 0
    assert (run / "predict_new" / "predictions.csv").is_file()


def test_cli_reports_a_changed_weights_file_at_predict(patches, tmp_path, capsys):
    weights = tmp_path / "w.pth"
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), weights)
    run = tmp_path / "run"
    args = ["images", "fit", str(patches / "new"), "--out", str(run), "--quiet"]
    args += ["--extractor", "resnet18", "--weights", str(weights), "--set", "input_size=32"]
    args += ["--set", "umap_components=0", "--set", "plot_projection=pca", "--set", "cache=false"]
    assert main(args) == 0
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), weights)
    assert main(["images", "predict", "--model", str(run), str(patches / "new")]) == 1
    assert "differ" in capsys.readouterr().err


def test_cli_names_an_unreadable_file_or_skips_it(patches, tmp_path, capsys):
    data = tmp_path / "data"
    write_images(data, 8, seed=2, size=40, fmt="npy")
    (data / "fault" / "corrupt.npy").write_bytes(b"garbage")
    base = ["images", "fit", str(data), "--quiet", "--set", "umap_components=0"]
    base += ["--set", "plot_projection=pca", "--set", "cache=false", "--set", "ssl.epochs=1"]
    base += ["--set", "ssl.input_size=32"]
    assert main([*base, "--out", str(tmp_path / "r1")]) == 1
    assert "corrupt.npy" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "r2"), "--on-error", "skip"]) == 0
    assert "skipped:" in capsys.readouterr().out
    predictions = pd.read_csv(tmp_path / "r2" / "predictions.csv")
    assert "fault/corrupt.npy" not in set(predictions["file"])


def test_quick_demo_section_reports_measured_metrics(tmp_path):
    from seislearn.images.demo import demo_section
    from seislearn.runs import RunDir

    run = RunDir(tmp_path / "demo")
    section = demo_section(run, tmp_path / "unused", seed=0, quick=True)
    assert section.tables and section.figures
    assert (run.path / "images" / "fit" / "metrics.json").is_file()


def test_offline_backbone_fails_before_writing_a_run(patches, tmp_path, monkeypatch):
    from seislearn.errors import OfflineError

    monkeypatch.setenv("SEISLEARN_OFFLINE", "1")
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    config = tiny_config(tmp_path, extractor="resnet18", weights="imagenet")
    with pytest.raises(OfflineError, match="--weights"):
        fit_images(patches / "new", tmp_path / "run", config)
    assert not (tmp_path / "run").exists()
