"""``last.ckpt`` holds the latest epoch even when the monitored loss got worse."""

from __future__ import annotations

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from torch.utils.data import DataLoader, TensorDataset

from seislearn.training.checkpoints import latest_epoch_checkpoint


class _Worsening(L.LightningModule):
    """A linear model whose dev loss rises every epoch (so the best epoch is the first)."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)

    def training_step(self, batch, batch_idx):
        return self.layer(batch[0]).pow(2).mean()

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", float(self.current_epoch))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


def test_last_checkpoint_is_the_latest_epoch_not_the_best(tmp_path) -> None:
    torch.set_num_threads(1)
    loader = DataLoader(TensorDataset(torch.randn(8, 2)), batch_size=4)
    best = ModelCheckpoint(dirpath=tmp_path, filename="best", monitor="val_loss", save_last=False)
    trainer = L.Trainer(
        max_epochs=3,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[best, latest_epoch_checkpoint(tmp_path)],
    )
    trainer.fit(_Worsening(), loader, loader)

    def load(name: str) -> dict:
        return torch.load(tmp_path / name, weights_only=True, map_location="cpu")

    assert load("best.ckpt")["epoch"] == 0
    assert load("last.ckpt")["epoch"] == 2
    assert load("last.ckpt")["global_step"] == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "best.ckpt",
        "checksums.json",
        "last.ckpt",
        "last.prev.ckpt",
    ]
    assert load("last.prev.ckpt")["epoch"] == 1


def test_a_checkpoint_caught_between_its_move_and_its_record_still_verifies(tmp_path) -> None:
    """While a save is under way the record accepts the old and the new file, nothing else."""
    import json

    import pytest

    from seislearn.errors import DataError
    from seislearn.training.checkpoints import CHECKSUMS, sha256_file, verify_checkpoint

    old, new = tmp_path / "old.ckpt", tmp_path / "best.ckpt"
    torch.save({"state_dict": {"w": torch.zeros(2)}}, old)
    torch.save({"state_dict": {"w": torch.ones(2)}}, new)
    pending = [sha256_file(old), sha256_file(new)]
    (tmp_path / CHECKSUMS).write_text(json.dumps({"best.ckpt": pending}))
    assert torch.equal(verify_checkpoint(new)["state_dict"]["w"], torch.ones(2))
    torch.save({"state_dict": {"w": torch.full((2,), 7.0)}}, new)
    with pytest.raises(DataError, match="differs from the checkpoint this run wrote"):
        verify_checkpoint(new)
