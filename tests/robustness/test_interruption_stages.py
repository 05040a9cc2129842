"""Ctrl-C during feature extraction and during explanation: a clean stop, nothing half-written.

Each test runs the real command in a subprocess and delivers a real SIGINT to
it from inside the stage (the stage's function is wrapped so that it signals
its own process, then carries on), so the interrupt lands mid-stage every time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SRC = Path(__file__).resolve().parents[2] / "src"

RUNNER = textwrap.dedent(
    """
    import os, signal, sys, importlib
    module_name, name = sys.argv[1], sys.argv[2]
    module = importlib.import_module(module_name)
    original = getattr(module, name)

    def interrupted(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        return original(*args, **kwargs)

    setattr(module, name, interrupted)
    from seislearn.cli.main import main
    sys.exit(main(sys.argv[3:]))
    """
)


def _run_interrupted(target: tuple[str, str], *command: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-c", RUNNER, *target, *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _assert_clean_stop(done: subprocess.CompletedProcess, out: Path) -> None:
    assert done.returncode == 130, done.stderr[-2000:]
    assert "seislearn: interrupted" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (out / "metrics.json").exists()
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]
    manifest = out / "manifest.json"
    if manifest.exists():
        assert json.loads(manifest.read_text())["complete"] is False


def test_ctrl_c_during_feature_extraction_stops_cleanly(events_dir, tmp_path):
    out = tmp_path / "cluster"
    done = _run_interrupted(
        ("seislearn.cluster.features", "compute_spectrograms"),
        "cluster", "train", "--data", str(events_dir), "--n-clusters", "2", "--out", str(out),
    )  # fmt: skip
    _assert_clean_stop(done, out)


def test_ctrl_c_during_explanation_keeps_the_explained_run_untouched(
    trained_run, events_dir, tmp_path
):
    before = {p: p.stat().st_mtime_ns for p in trained_run.rglob("*") if p.is_file()}
    out = tmp_path / "explain"
    done = _run_interrupted(
        ("seislearn.explain.api", "attribute"),
        "explain", "--model", str(trained_run), "--data", str(events_dir), "--out", str(out),
        "--n", "8", "--explainer", "gradient",
    )  # fmt: skip
    _assert_clean_stop(done, out)
    assert not (out / "attributions.npz").exists()
    assert {p: p.stat().st_mtime_ns for p in trained_run.rglob("*") if p.is_file()} == before
