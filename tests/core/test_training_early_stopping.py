"""A run that stopped early stays stopped when it is resumed."""

from __future__ import annotations

import lightning as L
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from seislearn.training.checkpoints import latest_epoch_checkpoint
from seislearn.training.early_stopping import EarlyStopping


class _Worsening(L.LightningModule):
    """A model whose validation loss grows every epoch, so early stopping fires."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(2, 1)
        self.steps = 0

    def training_step(self, batch, batch_idx):
        self.steps += 1
        return self.layer(batch[0]).pow(2).mean()

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", float(self.current_epoch))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


def _fit(tmp_path, resume_from=None) -> tuple[_Worsening, L.Trainer]:
    data = DataLoader(TensorDataset(torch.randn(8, 2)), batch_size=4)
    model = _Worsening()
    trainer = L.Trainer(
        max_epochs=20,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[EarlyStopping("val_loss", patience=2), latest_epoch_checkpoint(tmp_path)],
    )
    trainer.fit(model, data, data, ckpt_path=resume_from)
    return model, trainer


def test_resuming_a_run_that_stopped_early_trains_no_further(tmp_path):
    first, trainer = _fit(tmp_path)
    assert trainer.current_epoch < 20  # it stopped early
    resumed, _ = _fit(tmp_path, resume_from=tmp_path / "last.ckpt")
    assert first.steps > 0
    assert resumed.steps == 0


def test_the_checkpoint_state_key_is_lightnings_own(tmp_path):
    from lightning.pytorch.callbacks import EarlyStopping as LightningEarlyStopping

    ours = EarlyStopping("val_loss", patience=2)
    theirs = LightningEarlyStopping("val_loss", patience=2)
    assert ours.state_key == theirs.state_key
