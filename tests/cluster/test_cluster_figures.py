"""Cluster figures: the training-curves panel with and without pretraining epochs."""

from __future__ import annotations

import warnings
from pathlib import Path

from seislearn.cluster.figures import training_curves
from seislearn.runs import RunDir


def test_training_curves_without_pretraining_epochs_draws_without_warning(
    tmp_path: Path,
) -> None:
    # A --resume whose pretraining had finished runs no pretraining epoch: the
    # figure is still written and matplotlib's empty-legend warning is not raised.
    run = RunDir(tmp_path / "run")
    history = {"pretrain": [], "dec": [{"step": 10, "loss": 0.1, "labels_changed_pct": 0.0}]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = training_curves(run, history)
    assert path.is_file() and path.stat().st_size > 0


def test_training_curves_with_pretraining_epochs(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    history = {
        "pretrain": [{"epoch": 0, "train_loss": 1.0, "val_loss": 1.2}],
        "dec": [],
    }
    path = training_curves(run, history)
    assert path.is_file() and path.stat().st_size > 0
