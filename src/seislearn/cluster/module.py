"""Lightning modules of the ``cluster`` workflow: autoencoder pretraining and DEC.

:class:`CAEPretrainModule` trains a :class:`~seislearn.cluster.cae.ConvAutoencoder`
with MSE and keeps the weights of its best validation epoch.

:class:`DECModule` fine-tunes the encoder and the cluster centres of a
:class:`~seislearn.cluster.dec_network.DECNetwork` together with KL(p || q). The target
``p`` is recomputed over the WHOLE dataset every ``update_interval`` batches
(and held fixed in between, as in the DEC paper); training stops when fewer
than ``tol`` percent of the hard labels changed since the previous update.
"""

from __future__ import annotations

import copy
from typing import Any

import lightning as L
import torch
from torch.nn import functional as F

from seislearn.cluster.cae import ConvAutoencoder
from seislearn.cluster.dec_network import DECNetwork, target_distribution


class CAEPretrainModule(L.LightningModule):
    """MSE pretraining of an autoencoder.

    Parameters
    ----------
    autoencoder : ConvAutoencoder
    lr : float, Adam learning rate
    weight_decay : float, Adam weight decay
    noise_std : float
        Standard deviation of Gaussian noise added to the inputs while training
        (a denoising autoencoder; 0 for none). The target stays the clean input.
    """

    def __init__(
        self,
        autoencoder: ConvAutoencoder,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        noise_std: float = 0.0,
    ) -> None:
        super().__init__()
        self.autoencoder = autoencoder
        self.noise_std = noise_std
        self.lr = lr
        self.weight_decay = weight_decay
        self.history: list[dict[str, float]] = []
        self.best_val = float("inf")
        self.best_state: dict[str, torch.Tensor] | None = None

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x = batch[0]
        noisy = x + self.noise_std * torch.randn_like(x) if self.noise_std > 0 else x
        loss = F.mse_loss(self.autoencoder(noisy), x)
        self.log("train_loss", loss, on_step=False, on_epoch=True, prog_bar=True)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x = batch[0]
        loss = F.mse_loss(self.autoencoder(x), x)
        self.log("val_loss", loss, on_epoch=True, prog_bar=True, sync_dist=True)

    def on_train_epoch_end(self) -> None:
        metrics = self.trainer.callback_metrics
        row = {"epoch": float(self.current_epoch)}
        for key in ("train_loss", "val_loss"):
            if key in metrics:
                row[key] = float(metrics[key])
        self.history.append(row)
        val = row.get("val_loss")
        # Keep the best epoch in memory: EarlyStopping stops after `patience`
        # worse epochs, and those last weights should not be the ones kept.
        if val is not None and val < self.best_val:
            self.best_val = val
            self.best_state = copy.deepcopy(self.autoencoder.state_dict())

    def restore_best(self) -> None:
        """Load the weights of the best validation epoch (if there was validation)."""
        if self.best_state is not None:
            self.autoencoder.load_state_dict(self.best_state)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Keep the best epoch's loss and weights in the checkpoint.

        Without them a ``--resume`` would track the best epoch of the resumed
        session only, and one whose pretraining had finished would keep the
        last epoch's weights instead of the best one's.
        """
        checkpoint["seislearn_best_val"] = self.best_val
        checkpoint["seislearn_best_state"] = self.best_state

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Restore what :meth:`on_save_checkpoint` kept (checkpoints without it are fine)."""
        self.best_val = float(checkpoint.get("seislearn_best_val", float("inf")))
        self.best_state = checkpoint.get("seislearn_best_state")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.lr, weight_decay=self.weight_decay)


class DECModule(L.LightningModule):
    """DEC / IDEC fine-tuning of the encoder and the centres together.

    Parameters
    ----------
    network : DECNetwork
        Pretrained autoencoder with centres already initialized.
    data : Tensor, shape (n, C, H, W)
        The whole training set (the target distribution is computed over it).
    lr : float, Adam learning rate
    update_interval : int, batches between target updates
    tol : float, percent; stop when fewer labels change between two updates
    recon_weight : float
        Weight of the reconstruction MSE added to the KL loss (0 = DEC, > 0 = IDEC).
    inference_batch_size : int, batch size of the full-dataset pass
    """

    def __init__(
        self,
        network: DECNetwork,
        data: torch.Tensor,
        lr: float = 1e-4,
        update_interval: int = 100,
        tol: float = 0.1,
        recon_weight: float = 0.0,
        inference_batch_size: int = 1024,
    ) -> None:
        super().__init__()
        self.network = network
        self.data = data
        self.lr = lr
        self.update_interval = max(1, int(update_interval))
        self.tol = tol
        self.recon_weight = recon_weight
        self.inference_batch_size = inference_batch_size
        # Plain attributes, not buffers: they are rebuilt from the data after a
        # resume, and their size (n) must not constrain loading a checkpoint.
        self.target = torch.empty(0)
        self.previous_labels = torch.empty(0, dtype=torch.long)
        self.history: list[dict[str, float]] = []
        self.converged = False
        self._losses: list[float] = []

    @torch.no_grad()
    def full_assignment(self) -> torch.Tensor:
        """Soft assignments ``q`` of the whole dataset, shape (n, k)."""
        was_training = self.network.training
        self.network.eval()
        out = []
        for start in range(0, len(self.data), self.inference_batch_size):
            x = self.data[start : start + self.inference_batch_size].to(self.device)
            out.append(self.network(x)[0])
        self.network.train(was_training)
        return torch.cat(out)

    def _update_target(self) -> bool:
        """Recompute ``p`` over the dataset; return True when converged."""
        q = self.full_assignment()
        labels = q.argmax(dim=1)
        changed = float("nan")
        if self.previous_labels.numel() == labels.numel():
            changed = 100.0 * float((labels != self.previous_labels).float().mean())
        self.target = target_distribution(q)
        self.previous_labels = labels
        loss = sum(self._losses) / len(self._losses) if self._losses else float("nan")
        self._losses.clear()
        self.history.append(
            {"step": float(self.global_step), "labels_changed_pct": changed, "loss": loss}
        )
        return changed == changed and changed < self.tol

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Keep whether DEC has converged, so that a ``--resume`` of a finished run trains no more."""
        checkpoint["seislearn_dec_converged"] = self.converged

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Restore what :meth:`on_save_checkpoint` kept (checkpoints without it are fine)."""
        self.converged = bool(checkpoint.get("seislearn_dec_converged", False))

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> int | None:
        if self.converged:  # resumed after DEC had converged: nothing is left to do
            self.trainer.should_stop = True
            return -1
        due = self.global_step % self.update_interval == 0 or self.target.numel() == 0
        if due and self._update_target() and self.global_step > 0:
            self.converged = True
            self.trainer.should_stop = True
            return -1  # skip the rest of this epoch
        return None

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, idx = batch
        q, recon, _ = self.network(x)
        p = self.target[idx]
        loss = F.kl_div(q.clamp_min(1e-12).log(), p, reduction="batchmean")
        if self.recon_weight > 0:
            loss = loss + self.recon_weight * F.mse_loss(recon, x)
        self._losses.append(float(loss.detach()))
        self.log("dec_loss", loss, on_step=False, on_epoch=True, prog_bar=True)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.network.parameters(), lr=self.lr)
