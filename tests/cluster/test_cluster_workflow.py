"""Specification of the cluster workflow, its CLI and its demo section."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from seislearn.cli.main import main
from seislearn.cluster.api import ClusterConfig, predict_cluster, train_cluster
from seislearn.cluster.demo import demo_config
from seislearn.errors import DataError, RunExistsError


@pytest.fixture(scope="module")
def synthetic_dir(synthetic_archive) -> Path:
    return synthetic_archive(60, seed=11)


@pytest.fixture(scope="module")
def trained(synthetic_dir, tmp_path_factory) -> Path:
    import torch

    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("cluster_runs") / "run"
    code = main(
        [
            "cluster",
            "train",
            "--data",
            str(synthetic_dir),
            "--n-clusters",
            "2",
            "--out",
            str(out),
            "--label-column",
            "source_type",
            "--set",
            "training.pretrain_epochs=2",
            "--set",
            "training.dec_max_epochs=1",
            "--set",
            "model.channels=[8,16]",
            "--set",
            "embedding_plot=pca",
            "--set",
            "k_range=[2,3]",
        ]
    )
    assert code == 0
    return out


def test_cluster_train_writes_assignments_with_q_for_every_trace(trained) -> None:
    table = pd.read_csv(trained / "assignments.csv")
    assert list(table.columns[:3]) == ["trace_name", "cluster", "q"]
    assert len(table) == 60
    assert table["q"].between(0.5, 1.0).all()  # argmax of 2 clusters
    assert set(table["split"]) <= {"train", "dev", "test"}


def test_cluster_train_scores_dec_beside_both_baselines(trained) -> None:
    metrics = json.loads((trained / "metrics.json").read_text())
    for method in ("dec", "ae_kmeans", "raw_kmeans"):
        m = metrics["all"][method]
        assert {"acc", "nmi", "ari", "confusion_matrix", "cluster_sizes"} <= set(m)
        assert sum(m["cluster_sizes"].values()) == 60
    assert "test" in metrics
    assert metrics["choose_k"]["suggested"] in (2, 3)


def test_cluster_train_draws_the_figures_and_report(trained) -> None:
    names = {p.stem for p in (trained / "figures").glob("*.png")}
    assert {
        "training_curves",
        "choose_k",
        "embedding_2d",
        "mean_spectrograms",
        "example_waveforms",
        "occupancy",
    } <= names
    assert "CAE + DEC" in (trained / "report.html").read_text()
    assert (trained / "model" / "dec_weights.safetensors").is_file()
    assert (trained / "checkpoints" / "pretrain-last.ckpt").is_file()


def test_cluster_train_never_overwrites_a_run(trained, synthetic_dir) -> None:
    with pytest.raises(RunExistsError):
        train_cluster(synthetic_dir, trained, n_clusters=2)


def test_cluster_predict_reproduces_the_training_assignments(trained, synthetic_dir) -> None:
    out = predict_cluster(trained, synthetic_dir, trained.parent / "pred")
    got = pd.read_csv(out / "assignments.csv")
    expected = pd.read_csv(trained / "assignments.csv")
    assert got["cluster"].tolist() == expected["cluster"].tolist()
    assert json.loads((out / "metrics.json").read_text())["all"]["n"] == 60


def test_cluster_unknown_label_column_is_a_data_error(synthetic_dir, tmp_path) -> None:
    with pytest.raises(DataError, match="label column 'kind'"):
        train_cluster(synthetic_dir, tmp_path / "r", n_clusters=2, label_column="kind")


def test_cluster_config_typo_suggests_the_key(synthetic_dir, tmp_path, capsys) -> None:
    code = main(
        [
            *("cluster", "train", "--data", str(synthetic_dir), "--n-clusters", "2"),
            *("--out", str(tmp_path / "r"), "--set", "training.pretrain_epoch=3"),
        ]
    )
    assert code == 1
    assert "did you mean 'pretrain_epochs'" in capsys.readouterr().err


def test_cluster_help_is_fast_and_shows_examples() -> None:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "seislearn", "cluster", "train", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--n-clusters" in out.stdout and "examples:" in out.stdout
    assert time.perf_counter() - t0 < 10  # generous: the machine is shared
    probe = "import sys, seislearn.cli.cluster; print('torch' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip()
        == "False"
    )


def test_cluster_demo_config_is_valid_in_both_modes() -> None:
    assert isinstance(demo_config(True), ClusterConfig)
    assert demo_config(False).training.pretrain_epochs > demo_config(True).training.pretrain_epochs


def test_cluster_demo_section_reports_dec_and_baselines(synthetic_dir, tmp_path) -> None:
    from seislearn.cluster.demo import demo_section
    from seislearn.runs import RunDir

    run = RunDir(tmp_path / "demo")
    section = demo_section(run, synthetic_dir, seed=0, quick=True)
    methods = [row[0] for _, _, rows in section.tables[:1] for row in rows]
    assert methods == ["CAE + DEC", "CAE + KMeans", "raw KMeans"]
    assert all(path.is_file() for path, _ in section.figures)


def _tiny_train_args(synthetic_dir, out) -> list[str]:
    """``cluster train`` arguments for a tiny, quick run on the synthetic fixture."""
    return [
        "cluster", "train", "--data", str(synthetic_dir), "--n-clusters", "2", "--out", str(out),
        "--set", "training.dec_max_epochs=1", "--set", "model.channels=[8,16]",
        "--set", "embedding_plot=pca", "--set", "k_range=[2,3]",
    ]  # fmt: skip


def test_cluster_resume_continues_pretraining_from_the_last_checkpoint(
    synthetic_dir, tmp_path
) -> None:
    import torch

    torch.set_num_threads(1)
    out = tmp_path / "run"
    args = _tiny_train_args(synthetic_dir, out)
    assert main([*args, "--set", "training.pretrain_epochs=2"]) == 0
    assert main([*args, "--set", "training.pretrain_epochs=4", "--resume"]) == 0
    checkpoint = torch.load(
        out / "checkpoints" / "pretrain-last.ckpt", weights_only=True, map_location="cpu"
    )
    assert checkpoint["epoch"] == 4
    # only the two missing epochs ran in the resumed session
    assert json.loads((out / "metrics.json").read_text())["training"]["pretrain_epochs_run"] == 2


def test_cluster_train_with_several_pretrainings_reports_their_agreement(
    synthetic_dir, tmp_path
) -> None:
    import torch

    torch.set_num_threads(1)
    out = tmp_path / "run"
    args = _tiny_train_args(synthetic_dir, out)
    args += ["--set", "training.pretrain_epochs=2", "--set", "training.n_pretrain=2"]
    assert main(args) == 0
    training = json.loads((out / "metrics.json").read_text())["training"]
    assert len(training["pretrain_agreement"]) == 2 and training["pretrain_chosen"] in (0, 1)
    # each pretraining keeps its own checkpoint (resume continues each one)
    assert (out / "checkpoints" / "pretrain-last.ckpt").is_file()
    assert (out / "checkpoints" / "pretrain1-last.ckpt").is_file()
