"""Prediction over a dataset on one process or many: every sample exactly once.

With the default options (one 32-bit CPU process) the network runs in a plain
loop. Otherwise Lightning's ``Trainer.predict`` runs it with the device
options of :mod:`seislearn.training.trainer`: each rank takes one contiguous
block of the samples (no padding, unlike ``DistributedSampler``, which repeats
samples to even the ranks out), writes its outputs to its own shard file, and
the shards are merged in sample order at the end. The merge checks that every
sample came back exactly once.

Shards go to a temporary folder (``SEISLEARN_SHARD_DIR`` names the parent; on
several machines it must be a folder they share).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from seislearn.training.trainer import TrainerConfig, build_trainer, runs_in_one_process

#: ``step(net, inputs) -> {name: tensor (batch, ...)}``: one batch through the network.
Step = Callable[[Any, tuple], dict[str, Any]]


def block_of_rank(n: int, rank: int, world_size: int) -> range:
    """Sample indices of one rank: a contiguous block, sizes differing by at most one.

    Parameters
    ----------
    n : int
        Samples in the dataset.
    rank, world_size : int
        This process's global rank and the number of processes.
    """
    return range(rank * n // world_size, (rank + 1) * n // world_size)


def predict_dataset(
    net: Any,
    step: Step,
    dataset: Any,
    batch_size: int = 512,
    configured: TrainerConfig | None = None,
    num_workers: int = 0,
) -> dict[str, np.ndarray]:
    """Outputs of ``step`` over every sample of ``dataset``, in sample order.

    Parameters
    ----------
    net : torch.nn.Module
        The network (moved back to the CPU afterwards).
    step : callable
        ``step(net, batch) -> dict of tensors``; ``batch`` is the collated tuple of
        the dataset's items. A module-level function (it must pickle for
        ``ddp_spawn``).
    dataset : torch.utils.data.Dataset
        Map-style; item ``i`` is a tuple of arrays or tensors.
    batch_size : int
    configured : TrainerConfig, optional
        The ``trainer`` options (the command line's override them).
    num_workers : int
        DataLoader worker processes.

    Returns
    -------
    dict of str to ndarray
        Each output concatenated over the samples, float32 for floating outputs.
    """
    import torch
    from torch.utils.data import DataLoader

    if runs_in_one_process(configured):
        net.eval()
        parts: dict[str, list[np.ndarray]] = {}
        loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers)
        with torch.no_grad():
            for batch in loader:
                for key, value in step(net, tuple(batch)).items():
                    parts.setdefault(key, []).append(_numpy(value))
        return {k: np.concatenate(v) for k, v in parts.items()}
    return _predict_with_trainer(net, step, dataset, batch_size, configured, num_workers)


def _numpy(value: Any) -> np.ndarray:
    import torch

    if isinstance(value, torch.Tensor):
        if value.is_floating_point():
            value = value.float()
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _predict_with_trainer(
    net: Any,
    step: Step,
    dataset: Any,
    batch_size: int,
    configured: TrainerConfig | None,
    num_workers: int,
) -> dict[str, np.ndarray]:
    parent = os.environ.get("SEISLEARN_SHARD_DIR")
    own_dir = Path(tempfile.mkdtemp(prefix="seislearn-shards-", dir=parent))
    writer = _shard_writer(own_dir, len(dataset))
    task = _predict_task(net, step)
    data = _predict_data(dataset, batch_size, num_workers)
    trainer = build_trainer(
        configured,
        enable_checkpointing=False,
        enable_progress_bar=False,
        use_distributed_sampler=False,  # each rank reads its own block, none twice
        callbacks=[writer],
    )
    try:
        trainer.predict(task, datamodule=data, return_predictions=False)
        merged = writer.merged
        if merged is None:  # a spawn launcher's parent: the ranks ran in child processes
            merged = merge_shards(Path(writer.folder), len(dataset))
    finally:
        net.cpu()
        if Path(writer.folder) != own_dir or writer.merged is None or trainer.is_global_zero:
            shutil.rmtree(own_dir, ignore_errors=True)
    return merged


def merge_shards(folder: Path, n: int) -> dict[str, np.ndarray]:
    """Join the ranks' shard files in sample order; every sample exactly once.

    Raises
    ------
    RuntimeError
        When a sample is missing or repeated (a bug, never a data problem).
    """
    shards = sorted(folder.glob("rank-*.npz"))
    parts: dict[str, list[np.ndarray]] = {}
    for shard in shards:
        with np.load(shard, allow_pickle=False) as arrays:
            for key in arrays.files:
                parts.setdefault(key, []).append(arrays[key])
    if not parts:
        raise RuntimeError(f"no prediction shards in {folder}")
    index = np.concatenate(parts.pop("_index"))
    order = np.argsort(index, kind="stable")
    if len(index) != n or not np.array_equal(index[order], np.arange(n)):
        counts = np.bincount(index, minlength=n)
        raise RuntimeError(
            f"distributed prediction returned {len(index)} rows for {n} samples "
            f"({int((counts == 0).sum())} missing, {int((counts > 1).sum())} repeated)"
        )
    return {k: np.concatenate(v)[order] for k, v in parts.items()}


class _Indexed:
    """A dataset whose items are ``(index, *item)``, so shards can be put back in order."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> tuple:
        item = self.dataset[i]
        return (i, *(item if isinstance(item, tuple | list) else (item,)))


class _Block:
    """A sampler over one rank's contiguous block of indices."""

    def __init__(self, indices: range) -> None:
        self.indices = indices

    def __len__(self) -> int:
        return len(self.indices)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)


def _predict_data(dataset: Any, batch_size: int, num_workers: int) -> Any:
    import lightning as L
    from torch.utils.data import DataLoader

    class PredictData(L.LightningDataModule):
        def predict_dataloader(self) -> DataLoader:
            trainer = self.trainer
            rank, world = (0, 1) if trainer is None else (trainer.global_rank, trainer.world_size)
            return DataLoader(
                _Indexed(dataset),
                batch_size=batch_size,
                sampler=_Block(block_of_rank(len(dataset), rank, world)),
                num_workers=num_workers,
            )

    return PredictData()


def _predict_task(net: Any, step: Step) -> Any:
    import lightning as L

    class PredictTask(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def predict_step(self, batch: Any, batch_idx: int) -> dict[str, Any]:
            index, *inputs = batch
            return {"_index": index, **step(self.net, tuple(inputs))}

    return PredictTask()


def _shard_writer(folder: Path, n: int) -> Any:
    from lightning.pytorch.callbacks import BasePredictionWriter

    class ShardWriter(BasePredictionWriter):
        """Collects one rank's outputs, writes them as its shard, merges all shards."""

        def __init__(self) -> None:
            super().__init__(write_interval="batch")
            self.folder = str(folder)
            self.merged: dict[str, np.ndarray] | None = None
            self._parts: dict[str, list[np.ndarray]] = {}

        def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
            super().setup(trainer, pl_module, stage)
            self.folder = trainer.strategy.broadcast(self.folder)  # rank 0's folder for all

        def write_on_batch_end(
            self,
            trainer: Any,
            pl_module: Any,
            prediction: Any,
            batch_indices: Any,
            batch: Any,
            batch_idx: int,
            dataloader_idx: int,
        ) -> None:
            for key, value in prediction.items():
                self._parts.setdefault(key, []).append(_numpy(value))

        def on_predict_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            arrays = {k: np.concatenate(v) for k, v in self._parts.items()}
            if not arrays:
                arrays = {"_index": np.zeros(0, dtype=np.int64)}
            name = f"rank-{trainer.global_rank:05d}.npz"
            partial = Path(self.folder) / f".{name}"  # not matched by merge_shards' pattern
            np.savez(partial, **arrays)
            os.replace(partial, Path(self.folder) / name)
            self._parts = {}
            trainer.strategy.barrier("seislearn.shards.written")
            self.merged = merge_shards(Path(self.folder), n)
            trainer.strategy.barrier("seislearn.shards.read")

    return ShardWriter()
