"""Explanations and spectrograms report their progress: one line per stage in a log, none when quiet."""

from __future__ import annotations

import re

import numpy as np
import pytest

from seislearn import progress


@pytest.fixture
def log_mode():
    """Standard error is not a terminal and progress is on; restored afterwards."""
    progress.set_terminal(False)
    progress.set_quiet(False)
    yield
    progress.set_terminal(None)
    progress.set_quiet(None)


def _network(n_classes: int = 2):
    import torch

    from seislearn.classify.model import SpectrogramCNN

    torch.manual_seed(0)
    return SpectrogramCNN(in_channels=3, n_outputs=n_classes, channels=[4, 8]).eval()


def _stage_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("seislearn: ")]


@pytest.mark.parametrize(
    ("method", "name"), [("ig", "Integrated Gradients"), ("gradient", "SHAP gradient")]
)
def test_attribution_says_one_line_with_events_and_rate(log_mode, capsys, method, name) -> None:
    from seislearn.explain.methods import attribute

    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 3, 9, 12)).astype(np.float32)
    targets = np.array([0] * 12 + [1] * 8)
    attribute(_network(), x, targets, method, background=x[:5], nsamples=4)
    lines = _stage_lines(capsys.readouterr().err)
    pattern = rf"seislearn: {name}: 20 events in [\d.]+ (s|min), [\d.,e+-]+ events/s"
    assert len(lines) == 1 and re.fullmatch(pattern, lines[0]), lines


def test_quiet_attribution_and_spectrograms_print_nothing(capsys) -> None:
    from seislearn.classify.features import log_spectrograms
    from seislearn.explain.methods import attribute

    progress.set_terminal(False)
    progress.set_quiet(True)
    try:
        x = np.random.default_rng(1).normal(size=(6, 3, 9, 12)).astype(np.float32)
        attribute(_network(), x, np.zeros(6, dtype=int), "ig")
        log_spectrograms(np.zeros((10, 3, 500), np.float32), 100.0, "spectra64")
    finally:
        progress.set_quiet(None)
        progress.set_terminal(None)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("n", [1, 256, 300])
def test_spectrograms_say_traces_and_rate(log_mode, capsys, n) -> None:
    from seislearn.classify.features import log_spectrograms

    windows = np.random.default_rng(2).normal(size=(n, 3, 400)).astype(np.float32)
    spec = log_spectrograms(windows, 100.0, "spectra64")
    assert len(spec) == n
    lines = _stage_lines(capsys.readouterr().err)
    unit = "trace" if n == 1 else "traces"
    pattern = rf"seislearn: spectra64 spectrograms: {n} {unit} in .+, [\d.,e+-]+ traces/s"
    assert len(lines) == 1 and re.fullmatch(pattern, lines[0]), lines
