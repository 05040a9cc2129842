"""Training the self-supervised patch encoder with Lightning (the ``ssl`` extractor).

The patches are split at random into train and dev (the dev contrastive loss
drives early stopping; no labels are used anywhere). Checkpoints go to the
run's ``checkpoints/`` folder, so ``--resume`` continues an interrupted fit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import lightning as L
import numpy as np
import torch
from pydantic import Field
from torch.utils.data import DataLoader, Dataset, Sampler, Subset, TensorDataset

from seislearn.config import StrictModel
from seislearn.images.encoder import PatchAugment, PatchEncoder, nt_xent_loss

log = logging.getLogger(__name__)


class SSLConfig(StrictModel):
    """Settings of the self-supervised encoder (``--set ssl.KEY=VALUE``).

    Attributes
    ----------
    input_size : int, pixels; patches are resized (antialiased) to this square size
    widths : list of int, channels of the stride-2 convolution blocks
    feature_dim : int, size of the representation that is clustered
    projection_dim : int, size of the space of the contrastive loss
    temperature : float, NT-Xent temperature
    epochs : int or None, training epochs; None (the default) chooses them from the data:
        enough for about ``STEP_BUDGET`` (1,000) optimizer steps, between 4 and 30
        (:func:`auto_epochs`: 30 up to about 2,200 patches, 8 for 10,000)
    batch_size, learning_rate, weight_decay : training (AdamW, cosine schedule)
    dev_fraction : float, share of patches held out for early stopping on the dev loss
    patience : int, epochs without dev improvement before stopping
    crop_scale_min : float, smallest crop side as a fraction of the patch side
    rotation_deg : float, degrees, largest rotation of a view
    vertical_flip : bool, mirror views up-down too
    vertical_stretch : float, largest vertical zoom of a view (>= 1)
    gamma : float, largest amplitude-curve exponent of a view (>= 1)
    attribute : bool, feed the coherence discontinuity attribute as a channel
    amplitude : bool, feed the amplitudes as a channel
    """

    input_size: int = 48
    widths: list[int] = Field(default_factory=lambda: [16, 32, 64, 96])
    feature_dim: int = 128
    projection_dim: int = 64
    temperature: float = 0.5
    epochs: int | None = None
    batch_size: int = 64
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    dev_fraction: float = 0.15
    patience: int = 5
    crop_scale_min: float = 0.7
    rotation_deg: float = 8.0
    vertical_flip: bool = False
    vertical_stretch: float = 1.0
    gamma: float = 1.0
    attribute: bool = True
    amplitude: bool = False


#: Optimizer steps the default number of epochs aims at (:func:`auto_epochs`).
STEP_BUDGET = 1000
#: Fewest and most epochs :func:`auto_epochs` chooses.
AUTO_EPOCHS_RANGE = (4, 30)


def auto_epochs(n_train: int, batch_size: int) -> int:
    """Epochs for about :data:`STEP_BUDGET` steps on ``n_train`` patches, within the range.

    30 epochs (the old fixed default) on the 1,700 training patches of a
    2,000-patch set reach ARI 0.90; on 10,000 patches 8 epochs (1,064 steps)
    reach the same ARI in a quarter of the time (``benchmarks/images_ari.py``,
    ``images_end_to_end.py``): what the encoder needs is a number of steps, not
    of passes over the data.
    """
    steps = max(1, n_train // max(1, batch_size))
    lo, hi = AUTO_EPOCHS_RANGE
    return int(min(hi, max(lo, -(-STEP_BUDGET // steps))))


class SimCLRTask(L.LightningModule):
    """SimCLR training of a :class:`~seislearn.images.encoder.PatchEncoder`."""

    def __init__(self, config: dict) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.cfg = SSLConfig(**config)
        self.encoder = PatchEncoder(
            self.cfg.widths,
            self.cfg.feature_dim,
            self.cfg.projection_dim,
            self.cfg.attribute,
            self.cfg.amplitude,
        )
        self.augment = PatchAugment(
            scale=(self.cfg.crop_scale_min, 1.0),
            max_rotation_deg=self.cfg.rotation_deg,
            vertical_flip=self.cfg.vertical_flip,
            vertical_stretch=self.cfg.vertical_stretch,
            gamma=self.cfg.gamma,
        )

    def _loss(self, x: torch.Tensor) -> torch.Tensor:
        z1 = self.encoder.project(self.encoder(self.augment(x)))
        z2 = self.encoder.project(self.encoder(self.augment(x)))
        return nt_xent_loss(z1, z2, self.cfg.temperature)

    def training_step(self, batch: tuple[torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self._loss(batch[0])
        self.log("train_loss", loss, prog_bar=True, on_epoch=True, on_step=False, sync_dist=True)
        return loss

    def validation_step(self, batch: tuple[torch.Tensor], batch_idx: int) -> None:
        # Fixed augmentations per epoch would be nicer; the seeded loader keeps it comparable.
        self.log("dev_loss", self._loss(batch[0]), prog_bar=True, on_epoch=True, sync_dist=True)

    def configure_optimizers(self) -> dict:
        opt = torch.optim.AdamW(
            self.parameters(), lr=self.cfg.learning_rate, weight_decay=self.cfg.weight_decay
        )
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(self.cfg.epochs or 1, 1))
        return {"optimizer": opt, "lr_scheduler": sched}


class EpochShuffle(Sampler[int]):
    """A shuffle of ``range(n)`` drawn from ``(seed, epoch)`` alone.

    Lightning calls :meth:`set_epoch` before each epoch. A ``shuffle=True`` loader
    draws its next permutation from a generator whose state depends on how far the
    previous epoch's sampler was read, which DataLoader workers (prefetching) change;
    this one gives the same batches in memory, streamed and after ``--resume``.
    """

    def __init__(self, n: int, seed: int) -> None:
        self.n = int(n)
        self.seed = int(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[int]:
        state = np.random.SeedSequence([self.seed, self.epoch]).generate_state(1)[0]
        generator = torch.Generator().manual_seed(int(state))
        return iter(torch.randperm(self.n, generator=generator).tolist())


def train_ssl_encoder(
    images: np.ndarray | Dataset,
    config: SSLConfig,
    checkpoints: Path,
    seed: int = 0,
    resume: bool = False,
    progress: bool = True,
    num_workers: int = 0,
) -> tuple[PatchEncoder, dict]:
    """Train the encoder on patches ``(n, S, S)`` in [0, 1] (already at ``input_size``).

    Parameters
    ----------
    images : ndarray (n, S, S), or a map-style dataset whose item ``i`` is the 1-tuple
        ``(tensor (1, S, S),)`` of patch ``i`` (streamed:
        :class:`~seislearn.images.streamed.PatchFiles`); the same split, batches and
        augmentations follow from ``seed`` either way
    num_workers : int, DataLoader workers reading a dataset (each reads its own files)

    Returns
    -------
    encoder : PatchEncoder, in eval mode
    history : dict, epochs run and the best dev loss
    """
    from seislearn.training.checkpoints import (
        ModelCheckpoint,
        fit,
        latest_epoch_checkpoint,
        load_checkpoint_weights,
        resume_checkpoint,
    )
    from seislearn.training.early_stopping import EarlyStopping
    from seislearn.training.trainer import build_trainer

    L.seed_everything(seed, workers=True, verbose=False)
    n = len(images)
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    n_dev = max(1, round(config.dev_fraction * n)) if n >= 8 else 0
    dev_idx, train_idx = order[:n_dev], order[n_dev:]
    if isinstance(images, np.ndarray):
        tensor = torch.from_numpy(np.ascontiguousarray(images[:, None], dtype=np.float32))
        train_set: Dataset = TensorDataset(tensor[train_idx])
        dev_set: Dataset = TensorDataset(tensor[dev_idx])
        workers: dict = {}
    else:
        train_set, dev_set = Subset(images, train_idx), Subset(images, dev_idx)
        workers = {"num_workers": num_workers, "persistent_workers": num_workers > 0}
    batch = min(config.batch_size, len(train_idx))
    train = DataLoader(
        train_set,
        batch_size=batch,
        sampler=EpochShuffle(len(train_idx), seed),
        drop_last=len(train_idx) > batch,
        generator=torch.Generator().manual_seed(seed),
        **workers,
    )
    # Each loader draws its workers' seed from its own generator (a persistent loader
    # only once), never from the global one the augmentations use: the augmentations
    # are the same with or without (persistent) workers.
    dev = (
        DataLoader(
            dev_set,
            batch_size=config.batch_size,
            generator=torch.Generator().manual_seed(seed),
            **workers,
        )
        if n_dev
        else None
    )
    epochs = config.epochs if config.epochs is not None else auto_epochs(len(train_idx), batch)
    task = SimCLRTask({**config.model_dump(), "epochs": epochs})
    checkpoint = ModelCheckpoint(
        dirpath=checkpoints,
        filename="ssl-{epoch:03d}",
        monitor="dev_loss" if dev else "train_loss",
        save_top_k=1,
    )
    callbacks = [checkpoint, latest_epoch_checkpoint(checkpoints)]
    if dev is not None:
        callbacks.append(EarlyStopping(monitor="dev_loss", patience=config.patience))
    trainer = build_trainer(
        None,  # the CLI's options, or ImagesConfig.trainer (images.api puts it in force)
        max_epochs=epochs,
        enable_checkpointing=True,
        callbacks=callbacks,
        enable_progress_bar=progress,
        stage="self-supervised training",
        deterministic=False,
        log_every_n_steps=1,
    )
    ckpt_path = resume_checkpoint(checkpoints, task) if resume else None
    quiet = [logging.getLogger(n) for n in ("lightning.pytorch", "lightning.fabric")]
    levels = [q.level for q in quiet]
    if not progress:  # Lightning's INFO banners would drown a --quiet run
        for q in quiet:
            q.setLevel(logging.WARNING)
    try:
        fit(trainer, task, train, dev, ckpt_path=ckpt_path)
    finally:
        for q, level in zip(quiet, levels, strict=True):
            q.setLevel(level)
    best = checkpoint.best_model_path
    if best:
        load_checkpoint_weights(best, task)
    encoder = task.encoder.cpu().eval()
    score = checkpoint.best_model_score
    history = {
        "epochs_run": int(trainer.current_epoch),
        "max_epochs": int(epochs),
        "best_dev_loss": None if score is None else float(score),
        "n_train": len(train_idx),
        "n_dev": int(n_dev),
    }
    return encoder, history
