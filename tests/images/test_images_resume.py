"""``seislearn images fit --resume`` continues an interrupted SSL training from its checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch

from seislearn.cli.main import main
from seislearn.data.synthetic_images import write_images
from seislearn.errors import RunExistsError
from seislearn.images.api import ImagesConfig, fit_images
from seislearn.images.ssl import SimCLRTask, SSLConfig

SETTINGS = {
    "umap_components": 0,
    "plot_projection": "pca",
    "cache": False,
    "progress": False,
    "top_anomalies": 4,
    "examples_per_cluster": 3,
}
SSL = {"input_size": 32, "widths": [8, 16, 32], "feature_dim": 16, "epochs": 2, "batch_size": 8}


class Interrupted(Exception):
    """Stands for Ctrl-C or a killed job in the middle of training."""


def _last(run: Path) -> dict:
    return torch.load(run / "checkpoints" / "last.ckpt", weights_only=True, map_location="cpu")


def test_resume_finishes_an_interrupted_ssl_training_without_restarting(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    count_training_steps,
) -> None:
    torch.set_num_threads(1)
    data, out = tmp_path / "patches", tmp_path / "run"
    write_images(data, 40, seed=0, size=40, fmt="npy")
    config = ImagesConfig(**SETTINGS, ssl=SSLConfig(**SSL))

    def stop_in_the_second_epoch(self) -> None:
        if self.current_epoch == 1:
            raise Interrupted

    with monkeypatch.context() as patch:
        patch.setattr(SimCLRTask, "on_train_epoch_start", stop_in_the_second_epoch)
        with pytest.raises(Interrupted):
            fit_images(data, out, config, seed=0)
    first = _last(out)
    assert first["epoch"] == 0
    steps_per_epoch = first["global_step"]
    assert steps_per_epoch > 0
    assert not (out / "metrics.json").exists()

    # The interrupted run is not restarted (or replaced) silently.
    with pytest.raises(RunExistsError):
        fit_images(data, out, config, seed=0)

    steps_run = count_training_steps(SimCLRTask)
    argv = ["images", "fit", str(data), "--out", str(out), "--quiet", "--resume"]
    for key, value in SETTINGS.items():
        argv += ["--set", f"{key}={str(value).lower()}"]
    for key, value in SSL.items():
        argv += ["--set", f"ssl.{key}={value}".replace(" ", "")]
    assert main(argv) == 0

    resumed = _last(out)
    assert resumed["epoch"] == 1
    assert resumed["global_step"] == 2 * steps_per_epoch
    # Only the second epoch ran in this session; a restart from scratch would run both.
    assert len(steps_run) == steps_per_epoch
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["ssl_training"]["epochs_run"] == 2
    assert len(pd.read_csv(out / "predictions.csv")) == 40


def test_resume_never_unpickles_a_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    from seislearn.errors import DataError

    ran = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (exec, (f"open({str(ran)!r}, 'w').write('x')",))

    torch.set_num_threads(1)
    data, out = tmp_path / "patches", tmp_path / "run"
    write_images(data, 20, seed=0, size=40, fmt="npy")
    (out / "checkpoints").mkdir(parents=True)
    config = ImagesConfig(**SETTINGS, ssl=SSLConfig(**SSL))
    (out / "config.yaml").write_text(yaml.safe_dump(config.model_dump(mode="json")))
    torch.save({"epoch": 0, "payload": Payload()}, out / "checkpoints" / "last.ckpt")
    # Even where the environment asks torch to unpickle checkpoints, --resume does not.
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    with pytest.raises(DataError, match=r"last.ckpt.*weights-only load refuses"):
        fit_images(data, out, config, seed=0, resume=True)
    assert not ran.exists()
