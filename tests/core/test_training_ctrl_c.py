"""Ctrl-C always stops training, even when Python swallows the interrupt in a finalizer."""

from __future__ import annotations

import signal

import lightning as L
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader, TensorDataset

from seislearn.training.checkpoints import fit, latest_epoch_checkpoint

BATCHES_PER_EPOCH = 4
EPOCHS = 5


class _Finalizer:
    """Signals Ctrl-C from ``__del__``: Python prints "Exception ignored" and drops it."""

    def __del__(self) -> None:
        signal.raise_signal(signal.SIGINT)


class _Interrupted(L.LightningModule):
    """A linear model that gets Ctrl-C at one global step, lost or plain."""

    def __init__(self, at_step: int, lost: bool) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)
        self.at_step, self.lost = at_step, lost

    def training_step(self, batch, batch_idx):
        if self.global_step == self.at_step:
            if self.lost:
                _Finalizer()  # collected at once: the interrupt is raised inside __del__
            else:
                signal.raise_signal(signal.SIGINT)
        return self.layer(batch[0]).pow(2).mean()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


def _trainer(folder) -> L.Trainer:
    return L.Trainer(
        max_epochs=EPOCHS,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[latest_epoch_checkpoint(folder)],
    )


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@settings(max_examples=6, deadline=None)
@given(
    at_step=st.integers(0, BATCHES_PER_EPOCH * EPOCHS - 2),
    lost=st.booleans(),
)
def test_ctrl_c_stops_training_at_the_next_batch_even_when_python_drops_it(
    tmp_path_factory, at_step, lost
):
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp("ctrl_c")
    loader = DataLoader(TensorDataset(torch.randn(4 * BATCHES_PER_EPOCH, 2)), batch_size=4)
    trainer = _trainer(folder)
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt, match="training stopped during epoch"):
        fit(trainer, _Interrupted(at_step, lost), loader)
    # The step that got the signal finishes at most: no further batch runs.
    assert trainer.global_step <= at_step + 1
    assert trainer.current_epoch == at_step // BATCHES_PER_EPOCH
    assert signal.getsignal(signal.SIGINT) is before  # the caller's handler again
    assert not [cb for cb in trainer.callbacks if type(cb).__name__ == "_InterruptGuard"]


def test_a_training_without_ctrl_c_runs_to_the_end_and_restores_the_handler(tmp_path):
    torch.set_num_threads(1)
    loader = DataLoader(TensorDataset(torch.randn(4 * BATCHES_PER_EPOCH, 2)), batch_size=4)
    trainer = _trainer(tmp_path)
    before = signal.getsignal(signal.SIGINT)
    fit(trainer, _Interrupted(at_step=-1, lost=False), loader)
    assert trainer.global_step == BATCHES_PER_EPOCH * EPOCHS
    assert signal.getsignal(signal.SIGINT) is before
