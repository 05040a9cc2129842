"""A ``cluster train`` run tells its progress on stderr, and nothing the user cannot act on."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

NOISE = re.compile(r"Tip:|litlogger|GPU available|TPU available|Warning|deprecat", re.IGNORECASE)


@pytest.fixture(scope="module")
def tiny_events(synthetic_archive) -> Path:
    return synthetic_archive(40, seed=3)


def _train(data: Path, out: Path, *flags: str) -> subprocess.CompletedProcess:
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env.pop("SEISLEARN_QUIET", None)
    args = [
        sys.executable, "-m", "seislearn", *flags, "cluster", "train", "--data", str(data),
        "--n-clusters", "2", "--out", str(out), "--set", "training.pretrain_epochs=2",
        "--set", "training.dec_max_epochs=1", "--set", "embedding_plot=pca",
        "--set", "k_range=[2,3]",
    ]  # fmt: skip
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=600, check=False)


def test_cluster_train_says_one_line_per_stage_and_no_library_noise(tiny_events, tmp_path) -> None:
    result = _train(tiny_events, tmp_path / "run")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert not [line for line in lines if NOISE.search(line)], result.stderr
    stages = [line.split(":")[1].strip() for line in lines if line.startswith("seislearn: ")]
    assert stages[:3] == ["spectrograms of 40 traces", "pretraining", "DEC"], result.stderr


def test_quiet_cluster_train_writes_nothing_on_stderr(tiny_events, tmp_path) -> None:
    result = _train(tiny_events, tmp_path / "run", "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
