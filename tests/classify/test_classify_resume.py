"""``seislearn classify train --resume`` continues training from the run's last checkpoint."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch

from seislearn.classify.api import train
from seislearn.classify.module import ClassifyModule
from seislearn.cli.main import main
from seislearn.errors import DataError, RunExistsError


def _last(run: Path) -> dict:
    return torch.load(run / "checkpoints" / "last.ckpt", weights_only=True, map_location="cpu")


def test_resume_runs_only_the_missing_epochs_and_keeps_the_history(
    events_dir: Path,
    tiny_config,
    tmp_path: Path,
    count_training_steps,
) -> None:
    out = tmp_path / "run"
    args = [
        "classify", "train", "--data", str(events_dir), "--target", "source_type",
        "--out", str(out), "--set", "model.channels=[8,16]", "--set", "training.batch_size=16",
    ]  # fmt: skip
    assert main([*args, "--epochs", "2"]) == 0
    first = _last(out)
    assert first["epoch"] == 1  # the latest epoch (0-based), not the best one
    steps_per_epoch = first["global_step"] // 2
    assert steps_per_epoch > 0
    history_before = pd.read_csv(out / "history.csv")

    # An existing run is never continued (or replaced) silently.
    with pytest.raises(RunExistsError):
        train(events_dir, tiny_config, out)

    steps_run = count_training_steps(ClassifyModule)
    assert main([*args, "--epochs", "4", "--resume"]) == 0

    resumed = _last(out)
    assert resumed["epoch"] == 3
    assert resumed["global_step"] == 4 * steps_per_epoch
    # Only epochs 3 and 4 ran in this session; a restart from scratch would run all four.
    assert len(steps_run) == 2 * steps_per_epoch
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == [0, 1, 2, 3]
    pd.testing.assert_frame_equal(history.iloc[:2], history_before)
    assert (out / "model" / "weights.safetensors").is_file()


def test_resume_never_unpickles_a_checkpoint(
    events_dir: Path, tiny_config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    ran = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (exec, (f"open({str(ran)!r}, 'w').write('x')",))

    out = tmp_path / "run"
    (out / "checkpoints").mkdir(parents=True)
    import yaml

    (out / "config.yaml").write_text(yaml.safe_dump(tiny_config.model_dump(mode="json")))
    torch.save({"epoch": 0, "payload": Payload()}, out / "checkpoints" / "last.ckpt")
    # Even where the environment asks torch to unpickle checkpoints, --resume does not.
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    with pytest.raises(DataError, match=r"last.ckpt.*weights-only load refuses"):
        train(events_dir, tiny_config, out, resume=True)
    assert not ran.exists()
