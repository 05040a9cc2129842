"""Progress of long work: bars on a terminal, one line per stage elsewhere, nothing when quiet."""

from __future__ import annotations

import logging
import warnings

import pytest

from seislearn import progress


@pytest.fixture(autouse=True)
def reset_progress():
    yield
    progress.set_quiet(None)
    progress.set_terminal(None)


def test_off_a_terminal_a_stage_is_one_line_with_its_count_and_duration(capfd) -> None:
    progress.set_terminal(False)
    assert list(progress.track(range(5), "spectrograms", unit="trace")) == [0, 1, 2, 3, 4]
    err = capfd.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("seislearn: spectrograms: 5 traces in ")


def test_on_a_terminal_the_bar_shows_rate_and_time_left(capfd) -> None:
    progress.set_terminal(True)
    list(progress.track(range(3), "UMAP", unit="batch"))
    err = capfd.readouterr().err
    assert "UMAP" in err and "batch/s" in err and "<" in err  # tqdm: elapsed<left, rate


def test_quiet_silences_every_report(capfd, monkeypatch) -> None:
    progress.set_terminal(True)
    progress.set_quiet(True)
    list(progress.track(range(3), "picking"))
    with progress.Stage("conversion"):
        pass
    progress.report("anything")
    assert capfd.readouterr().err == ""
    progress.set_quiet(None)
    monkeypatch.setenv("SEISLEARN_QUIET", "1")
    assert progress.is_quiet()


def test_a_stage_without_items_reports_when_it_ends(capfd) -> None:
    progress.set_terminal(False)
    with progress.Stage("UMAP of 10 embeddings"):
        pass
    assert capfd.readouterr().err.startswith("seislearn: UMAP of 10 embeddings: done in ")


def test_silenced_libraries_drop_tips_and_device_lines_but_keep_real_warnings(caplog) -> None:
    progress.silence_libraries()
    logger = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    with caplog.at_level(logging.INFO, logger="lightning.pytorch"):
        logger.info("💡 Tip: For seamless cloud logging, try installing [litlogger]")
        logger.info("GPU available: False, used: False")
    assert "Tip" not in caplog.text and "GPU available" not in caplog.text
    with warnings.catch_warnings(record=True) as seen:
        progress.silence_libraries()
        warnings.warn("seislearn: a real problem", UserWarning, stacklevel=1)
    assert [str(w.message) for w in seen] == ["seislearn: a real problem"]
