"""Lightning modules of the ``cluster`` workflow: autoencoder pretraining and DEC.

:class:`CAEPretrainModule` trains a :class:`~seislearn.cluster.cae.ConvAutoencoder`
with MSE and keeps the weights of its best validation epoch.

:class:`DECModule` fine-tunes the encoder and the cluster centres of a
:class:`~seislearn.cluster.dec_network.DECNetwork` together with KL(p || q). The target
``p`` is recomputed over the WHOLE dataset every ``update_interval`` batches
(and held fixed in between, as in the DEC paper); training stops when fewer
than ``tol`` percent of the hard labels changed since the previous update.

The data may be a tensor held in memory or any map-style ``torch`` dataset
(read from disk item by item): :func:`soft_assignments` then computes ``q`` in
one streaming pass through a ``DataLoader``, holding only ``q`` itself
(``n x k`` floats, 40 MB for a million samples and 10 clusters), never the
inputs; :func:`streamed_target_distribution` derives ``p`` from it.
"""

from __future__ import annotations

import copy
from typing import Any

import lightning as L
import torch
from torch.nn import functional as F

from seislearn.cluster.cae import ConvAutoencoder
from seislearn.cluster.dec_network import DECNetwork, target_distribution


def first_item(batch: Any) -> torch.Tensor:
    """The inputs of a batch: the batch itself, or its first element for a tuple/list."""
    return batch[0] if isinstance(batch, list | tuple) else batch


@torch.no_grad()
def soft_assignments(
    network: DECNetwork,
    data: torch.Tensor | torch.utils.data.Dataset,
    batch_size: int = 1024,
    num_workers: int = 0,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """Student-t soft assignments ``q`` of every sample, in the order of ``data``.

    Parameters
    ----------
    network : DECNetwork
    data : Tensor (n, C, H, W) in memory, or a map-style dataset whose item ``i``
        is sample ``i`` (a tensor or array (C, H, W), or a tuple whose first element is)
    batch_size : int, samples per forward pass
    num_workers : int, DataLoader workers for a dataset (0 = read in this process)
    device : where the network runs

    Returns
    -------
    Tensor, shape (n, k): the only array of size n kept in memory
    """
    from torch.utils.data import DataLoader

    was_training = network.training
    network.eval()
    if isinstance(data, torch.Tensor):
        batches: Any = (data[s : s + batch_size] for s in range(0, len(data), batch_size))
    else:
        batches = DataLoader(data, batch_size=batch_size, shuffle=False, num_workers=num_workers)
    out = [network(torch.as_tensor(first_item(b)).float().to(device))[0] for b in batches]
    network.train(was_training)
    return torch.cat(out)


def streamed_target_distribution(
    network: DECNetwork,
    data: torch.Tensor | torch.utils.data.Dataset,
    batch_size: int = 1024,
    num_workers: int = 0,
) -> torch.Tensor:
    """DEC's target ``p`` over the whole of ``data``, computed in one streaming pass.

    The same as ``target_distribution(network(X)[0])`` on all of ``X`` at once
    (the soft cluster frequency ``f_j`` is a sum over every sample), without
    holding ``X``: only ``q`` (n x k) is kept.
    """
    return target_distribution(soft_assignments(network, data, batch_size, num_workers))


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
        self._val_sum = torch.zeros(())
        self._val_count = 0

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
        # The log of the epoch's loss (below): early stopping on it with a min_delta
        # stops on a relative improvement, whatever the scale of the data.
        self._val_sum = self._val_sum + loss.detach() * len(x)
        self._val_count += len(x)

    def on_validation_epoch_start(self) -> None:
        self._val_sum = torch.zeros(())
        self._val_count = 0

    def on_validation_epoch_end(self) -> None:
        if self._val_count:
            mean = (self._val_sum / self._val_count).clamp_min(1e-30)
            self.log("val_log_loss", mean.log(), sync_dist=True)

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
    data : Tensor, shape (n, C, H, W), or a map-style dataset of n samples
        The whole training set (the target distribution is computed over it,
        in one streaming pass for a dataset: :func:`soft_assignments`).
    lr : float, Adam learning rate
    update_interval : int, batches between target updates
    tol : float, percent; stop when fewer labels change between two updates
    recon_weight : float
        Weight of the reconstruction MSE added to the KL loss (0 = DEC, > 0 = IDEC).
    inference_batch_size : int, batch size of the full-dataset pass
    num_workers : int, DataLoader workers of that pass when ``data`` is a dataset
    """

    def __init__(
        self,
        network: DECNetwork,
        data: torch.Tensor | torch.utils.data.Dataset,
        lr: float = 1e-4,
        update_interval: int = 100,
        tol: float = 0.1,
        recon_weight: float = 0.0,
        inference_batch_size: int = 1024,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        self.network = network
        self.data = data
        self.lr = lr
        self.update_interval = max(1, int(update_interval))
        self.tol = tol
        self.recon_weight = recon_weight
        self.inference_batch_size = inference_batch_size
        self.num_workers = num_workers
        # Plain attributes, not buffers: they are rebuilt from the data after a
        # resume, and their size (n) must not constrain loading a checkpoint.
        self.target = torch.empty(0)
        self.previous_labels = torch.empty(0, dtype=torch.long)
        self.history: list[dict[str, float]] = []
        self.converged = False
        self._losses: list[float] = []

    def full_assignment(self) -> torch.Tensor:
        """Soft assignments ``q`` of the whole dataset, shape (n, k) (streamed for a dataset)."""
        return soft_assignments(
            self.network, self.data, self.inference_batch_size, self.num_workers, self.device
        )

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
