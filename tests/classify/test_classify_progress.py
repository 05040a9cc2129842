"""``classify train`` and ``explain`` tell their stages on stderr in a log, and nothing when quiet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

NOISE = re.compile(r"Tip:|litlogger|GPU available|TPU available|Warning|deprecat", re.IGNORECASE)
TINY = ("--set", "model.channels=[4,8]", "--epochs", "2")


@pytest.fixture(scope="module")
def trained(tmp_path_factory, events_dir: Path, seislearn_process):
    out = tmp_path_factory.mktemp("progress") / "run"
    result = seislearn_process(
        "classify", "train", "--data", str(events_dir), "--out", str(out), *TINY,
        SEISLEARN_QUIET="0",
    )  # fmt: skip
    return out, result


def _stages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("seislearn: ")]


def test_classify_train_says_spectrograms_and_training_without_library_noise(trained) -> None:
    _out, result = trained
    assert result.returncode == 0, result.stderr
    assert not [line for line in result.stderr.splitlines() if NOISE.search(line)], result.stderr
    stages = _stages(result.stderr)
    spectrograms = [
        i
        for i, s in enumerate(stages)
        if s.startswith("seislearn: spectra64 spectrograms: 120 traces in ")
    ]
    training = [
        i
        for i, s in enumerate(stages)
        if s.startswith("seislearn: classify training: 2 epochs in ")
    ]
    # One line each, the spectrograms before the training.
    assert len(spectrograms) == len(training) == 1 and spectrograms < training, stages


def test_explain_says_attributions_and_deletion_curves(
    trained, seislearn_process, events_dir
) -> None:
    out, _ = trained
    result = seislearn_process(
        "explain", "--model", str(out), "--data", str(events_dir), "--n", "3",
        "--explainer", "ig", "--no-cross-check", SEISLEARN_QUIET="0",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    stages = [line.split(":")[1].strip() for line in _stages(result.stderr)]
    assert any(s.startswith("Integrated Gradients") for s in stages), result.stderr
    assert any(s.startswith("deletion curves of ") for s in stages), result.stderr


def test_quiet_classify_train_and_explain_write_nothing_on_stderr(
    trained, seislearn_process, events_dir, tmp_path
) -> None:
    out, _ = trained
    train = seislearn_process(
        "--quiet", "classify", "train", "--data", str(events_dir), "--out", str(tmp_path / "q"),
        *TINY,
    )  # fmt: skip
    explain = seislearn_process(
        "--quiet", "explain", "--model", str(out), "--data", str(events_dir), "--n", "2",
        "--explainer", "ig", "--no-cross-check", "--out", str(tmp_path / "e"),
    )  # fmt: skip
    assert (train.returncode, explain.returncode) == (0, 0), train.stderr + explain.stderr
    assert (train.stderr, explain.stderr) == ("", "")
