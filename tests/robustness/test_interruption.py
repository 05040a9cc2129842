"""Ctrl-C and SIGKILL during training: what was finished is kept, and --resume continues.

Each test runs ``seislearn azimuth train`` in a subprocess on 60 synthetic
events and signals it once the first epoch's checkpoint exists.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seislearn.errors import DataError
from seislearn.runs import RunDir

pytestmark = pytest.mark.slow

SETTINGS = [
    "training.head_epochs=400",
    "training.patience=400",
    "training.batch_size=16",
    "model.latent_dim=2",
]


@pytest.fixture(scope="module")
def events(synthetic_archive) -> Path:
    return synthetic_archive(60, seed=3)


def _command(events: Path, out: Path, *extra: str) -> list[str]:
    args = [sys.executable, "-m", "seislearn", "azimuth", "train", "--data", str(events)]
    args += ["--out", str(out), *extra]
    for item in SETTINGS:
        args += ["--set", item]
    return args


def _start_and_signal(events: Path, out: Path, sig: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    env["OMP_NUM_THREADS"] = "1"
    proc = subprocess.Popen(
        _command(events, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    last = out / "checkpoints" / "end_to_end" / "last.ckpt"
    deadline = time.monotonic() + 240
    while not last.is_file() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None, f"training ended before it could be interrupted: {proc.stderr}"
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _finish(events: Path, out: Path) -> None:
    """Resume with a small epoch budget (the one setting a resume may change)."""
    from seislearn.cli.main import main

    epoch = __import__("torch").load(
        out / "checkpoints" / "end_to_end" / "last.ckpt", weights_only=True
    )["epoch"]
    args = ["azimuth", "train", "--data", str(events), "--out", str(out), "--resume"]
    for item in [*SETTINGS, f"training.head_epochs={epoch + 2}"]:
        args += ["--set", item]
    assert main(args) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is True
    RunDir.open(out)


def test_ctrl_c_says_what_was_kept_exits_130_and_resume_finishes(
    events: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = _start_and_signal(events, out, signal.SIGINT)
    assert result.returncode == 130, result.stderr
    assert "last.ckpt" in result.stderr and "--resume" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(out.rglob("*.tmp"))
    _finish(events, out)


def test_sigkill_leaves_an_unfinished_run_that_resume_completes(
    events: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = _start_and_signal(events, out, signal.SIGKILL)
    assert result.returncode == -signal.SIGKILL
    assert json.loads((out / "manifest.json").read_text())["complete"] is False
    with pytest.raises(DataError, match="did not finish"):
        RunDir.open(out)
    _finish(events, out)
