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


def test_a_bar_counted_by_hand_reports_count_duration_and_rate(capfd) -> None:
    progress.set_terminal(False)
    with progress.Bar("writing out", total=10, unit="trace") as bar:
        bar.update(4)
        bar.update(6)
    err = capfd.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("seislearn: writing out: 10 traces in ")
    assert err[0].endswith("traces/s")


def test_a_disabled_bar_and_a_quiet_one_say_nothing(capfd) -> None:
    progress.set_terminal(True)
    with progress.Bar("checking", total=3, enabled=False) as bar:
        bar.update(3)
    progress.set_quiet(True)
    with progress.Bar("checking", total=3) as bar:
        bar.update(3)
    assert capfd.readouterr().err == ""


def _callback_names(trainer) -> list[str]:
    return [type(c).__name__ for c in trainer.callbacks]


def test_a_trainer_built_for_a_stage_reports_it_one_line_off_a_terminal(capfd) -> None:
    from seislearn.training.trainer import build_trainer

    progress.set_terminal(False)
    trainer = build_trainer(None, stage="tiny training", max_epochs=1, enable_checkpointing=False)
    assert "StageLine" in _callback_names(trainer) and not trainer.progress_bar_callback
    progress.set_terminal(True)
    terminal = build_trainer(None, stage="tiny training", max_epochs=1, enable_checkpointing=False)
    assert "TQDMProgressBar" in _callback_names(terminal)
    progress.set_quiet(True)
    quiet = build_trainer(None, stage="tiny training", max_epochs=1, enable_checkpointing=False)
    assert "StageLine" not in _callback_names(quiet) and not quiet.progress_bar_callback
    progress.set_quiet(None)
    off = build_trainer(
        None, stage="x", enable_progress_bar=False, max_epochs=1, enable_checkpointing=False
    )
    assert "StageLine" not in _callback_names(off) and not off.progress_bar_callback


def test_the_stage_line_of_a_fit_names_its_epochs_and_headline_losses(capfd) -> None:
    import lightning as L
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from seislearn.training.trainer import build_trainer

    class Tiny(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(2, 1)

        def training_step(self, batch, batch_idx):
            loss = self.layer(batch[0]).pow(2).mean()
            self.log("train_loss", loss)
            self.log("train_term_detail", loss)
            return loss

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    progress.set_terminal(False)
    trainer = build_trainer(None, stage="tiny training", max_epochs=3, enable_checkpointing=False)
    loader = DataLoader(TensorDataset(torch.ones(8, 2)), batch_size=4)
    trainer.fit(Tiny(), loader)
    lines = [line for line in capfd.readouterr().err.splitlines() if line.startswith("seislearn:")]
    assert len(lines) == 1 and lines[0].startswith("seislearn: tiny training: 3 epochs in ")
    assert "train_loss" in lines[0] and "train_term_detail" not in lines[0]


def test_a_library_call_that_builds_a_trainer_shows_no_lightning_tips(capfd) -> None:
    import subprocess
    import sys

    code = (
        "import logging; logging.basicConfig(level=logging.INFO)\n"
        "from seislearn.training.trainer import build_trainer\n"
        "build_trainer(None, stage='x', max_epochs=1, enable_checkpointing=False)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    assert "Tip:" not in result.stderr and "GPU available" not in result.stderr, result.stderr
