"""LightningModule for event classification (any number of classes) and regression.

The network is any ``nn.Module`` mapping a batch to ``(B, n_outputs)``:
logits for classification, one value for regression. Regression targets are
standardized with the train mean and standard deviation (given by the caller,
computed on train only), so one learning rate suits magnitudes and distances.

Batches are ``(x, y)`` or, for a network with scalar side inputs, ``(x, side, y)``.
"""

from __future__ import annotations

from typing import Any, Literal

import lightning as L
import torch
from torch import nn

Task = Literal["classification", "regression"]


class ClassifyModule(L.LightningModule):
    """Steps, loss and optimizer around a CNN.

    Parameters
    ----------
    model : nn.Module
        Maps inputs to ``(B, n_outputs)``.
    task : {"classification", "regression"}
    class_weights : sequence of float, optional
        Cross-entropy weight per class (e.g. inverse frequency on train).
    target_mean, target_std : float
        Standardization of regression targets (train statistics).
    lr : float
        Adam learning rate.
    weight_decay : float
        Adam weight decay.
    """

    def __init__(
        self,
        model: nn.Module,
        task: Task = "classification",
        class_weights: list[float] | None = None,
        target_mean: float = 0.0,
        target_std: float = 1.0,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__()
        self.model = model
        self.task = task
        self.lr = lr
        self.weight_decay = weight_decay
        self.target_mean = float(target_mean)
        self.target_std = float(target_std) if target_std > 0 else 1.0
        weights = None if class_weights is None else torch.as_tensor(class_weights).float()
        self.register_buffer("class_weights", weights, persistent=False)
        #: One dict per finished epoch: train/val loss and the val metric.
        self.history: list[dict[str, float]] = []
        self._epoch: dict[str, list[torch.Tensor]] = {}

    def _network(self, x: torch.Tensor, side: torch.Tensor | None) -> torch.Tensor:
        return self.model(x) if side is None else self.model(x, side)

    def forward(self, x: torch.Tensor, side: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``(B, K)`` or regression values in target units ``(B,)``.

        ``side``: ``(B, n_side)`` scaled side inputs, for networks that take them.
        """
        out = self._network(x, side)
        if self.task == "regression":
            return out.squeeze(-1) * self.target_std + self.target_mean
        return out

    def _loss(self, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, torch.Tensor]:
        x, *side, y = batch
        out = self._network(x, side[0] if side else None)
        if self.task == "regression":
            pred = out.squeeze(-1)
            target = (y.float() - self.target_mean) / self.target_std
            loss = nn.functional.mse_loss(pred, target)
            err = (pred - target).abs() * self.target_std
            return loss, err
        loss = nn.functional.cross_entropy(out, y.long(), weight=self.class_weights)
        return loss, (out.argmax(-1) == y.long()).float()

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        loss, _ = self._loss(batch)
        self.log("train_loss", loss, on_step=False, on_epoch=True, batch_size=len(batch[0]))
        self._epoch.setdefault("train_loss", []).append(loss.detach().reshape(1))
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        loss, per_sample = self._loss(batch)
        n = len(batch[0])
        # sync_dist: averaged over the ranks of a distributed run (one decision for all)
        self.log("val_loss", loss, on_epoch=True, prog_bar=True, batch_size=n, sync_dist=True)
        name = "val_mae" if self.task == "regression" else "val_acc"
        self.log(
            name, per_sample.mean(), on_epoch=True, prog_bar=True, batch_size=n, sync_dist=True
        )
        self._epoch.setdefault("val_loss", []).append(loss.detach().repeat(n))
        self._epoch.setdefault(name, []).append(per_sample.detach())

    def on_validation_epoch_end(self) -> None:
        if self.trainer.sanity_checking:
            self._epoch.clear()
            return
        row: dict[str, float] = {"epoch": float(self.current_epoch)}
        for key, values in self._epoch.items():
            row[key] = float(torch.cat(values).mean())
        self.history.append(row)
        self._epoch.clear()

    def configure_optimizers(self) -> dict[str, Any]:
        optimizer = torch.optim.Adam(self.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        # Halving the rate when the dev loss stalls steadies the noisy late epochs.
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "monitor": "val_loss"},
        }

    # The history travels with the checkpoint, so --resume keeps the training curves.
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["seislearn_history"] = list(self.history)

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.history = list(checkpoint.get("seislearn_history", []))
