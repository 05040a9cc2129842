"""Windows streamed from the archive instead of held in memory.

A map-style ``torch`` dataset whose item ``i`` is a whole batch: the traces of
batch ``i`` are read together (``WaveformDataset.iter_batches``, which reads
rows of one HDF5 bucket with one call per contiguous block), cut, filtered and
normalised on the fly by the same function the in-memory path uses, so both give
the same numbers. Batches are made of contiguous blocks of traces; shuffling
changes the order of the batches and which blocks form them, not the reads
inside a block, so the reads stay sequential on disk.

DataLoader workers each open their own HDF5 handles (the SeisBench loader
reopens its files after a fork). With Lightning's DDP, the sampler Lightning
puts in front of the batches gives each rank its own batches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from seislearn.data.dataset import WaveformDataset
from seislearn.errors import DataError

#: ``make(dataset_of_one_batch) -> tuple of arrays (batch, ...)``: windows, targets, ...
MakeBatch = Callable[[WaveformDataset], tuple[np.ndarray, ...]]


class BlockReader:
    """Raw waveforms of many traces of a SeisBench archive, one HDF5 call per contiguous run.

    The trace names are parsed once for the whole archive
    (:class:`seislearn.io.seisbench.TraceBlocks`); a batch is then sorted by
    bucket and row, coalesced into runs of consecutive rows, and each run read
    with one HDF5 call straight into a preallocated float32 output
    (``read_direct``). Traces that are not blocks (plain traces, other
    formats) or that the fast path cannot read are read through the dataset's
    own loader, so its checks and error messages apply.

    Parameters
    ----------
    dataset : WaveformDataset
    """

    def __init__(self, dataset: WaveformDataset) -> None:
        from seislearn.data import schema
        from seislearn.io.seisbench import TraceBlocks

        self.dataset = dataset
        meta = dataset.metadata
        self.blocks: TraceBlocks | None = None
        if callable(getattr(dataset.loader, "read_blocks", None)):
            chunks = meta["trace_chunk"].to_numpy() if "trace_chunk" in meta.columns else None
            self.blocks = TraceBlocks.parse(meta[schema.TRACE_NAME].to_numpy(), chunks)

    def read(self, indices: np.ndarray) -> np.ndarray:
        """Waveforms ``(len(indices), C, N)`` float32 of the traces (same shapes), in that order.

        Raises
        ------
        DataError
            If a trace cannot be read (named by the loader), or the traces
            have different shapes.
        """
        indices = np.asarray(indices, dtype=np.int64)
        n = len(indices)
        if n == 0:
            return np.zeros((0, len(self.dataset.component_order), 0), dtype=np.float32)
        out: np.ndarray | None = None
        filled = np.zeros(n, dtype=bool)
        if self.blocks is not None:
            out, filled = self.dataset.loader.read_blocks(self.blocks, indices)  # type: ignore[attr-defined]
        missing = np.flatnonzero(~filled)
        if len(missing):
            waves = next(self.dataset.select(indices[missing]).iter_batches(len(missing)))[0]
            shapes = {w.shape for w in waves} | ({out.shape[1:]} if out is not None else set())
            if len(shapes) > 1:
                raise DataError(
                    f"traces of different shapes {sorted(shapes)} in one batch; cut windows "
                    "(a make function) instead of streaming raw waveforms",
                    path=self.dataset.name or None,
                )
            if out is None:
                out = np.empty((n, *waves[0].shape), dtype=np.float32)
            out[missing] = np.stack(waves)
        assert out is not None
        return out


def contiguous_batches(
    indices: np.ndarray,
    batch_size: int,
    block: int = 32,
    shuffle: bool = False,
    seed: int = 0,
    multiple_of: int = 1,
) -> list[np.ndarray]:
    """Split trace indices into batches made of contiguous blocks.

    Parameters
    ----------
    indices : array of int
        Traces to cover (e.g. the train split), in file order.
    batch_size : int
        Traces per batch (the last batch may be smaller).
    block : int
        Traces per contiguous block read at once; a batch holds
        ``batch_size // block`` blocks (at least one).
    shuffle : bool
        Draw the blocks of each batch at random (seeded) instead of in order.
    seed : int
    multiple_of : int
        Make the number of batches a multiple of this (the number of DDP
        ranks) by halving the largest batches, so that a ``DistributedSampler``
        needs no padding and each trace is seen exactly once per epoch over all
        ranks. Impossible with fewer traces than ranks (then the sampler pads).

    Returns
    -------
    list of ndarray
        Every index exactly once, each batch sorted (file order).
    """
    indices = np.asarray(indices, dtype=np.int64)
    if batch_size < 1 or block < 1:
        raise ValueError("batch_size and block must be at least 1")
    if len(indices) == 0:
        return []
    block = min(block, batch_size)
    blocks = [indices[s : s + block] for s in range(0, len(indices), block)]
    if shuffle:
        order = np.random.default_rng(seed).permutation(len(blocks))
        blocks = [blocks[k] for k in order]
    per_batch = max(1, batch_size // block)
    batches = [
        np.sort(np.concatenate(blocks[s : s + per_batch])) for s in range(0, len(blocks), per_batch)
    ]
    if multiple_of > 1 and len(indices) >= multiple_of:
        while len(batches) % multiple_of:
            k = max(range(len(batches)), key=lambda j: len(batches[j]))
            half = (len(batches[k]) + 1) // 2
            batches[k : k + 1] = [batches[k][:half], batches[k][half:]]
    return batches


class StreamedBatches:
    """Map-style dataset: item ``i`` is batch ``i``, read and prepared on the fly.

    Use with ``DataLoader(streamed, batch_size=None, shuffle=..., num_workers=...)``
    (see :func:`streamed_loader`).

    Parameters
    ----------
    dataset : WaveformDataset
        The archive (e.g. from :func:`seislearn.io.read_dataset`; nothing is loaded).
    batches : list of ndarray
        Trace indices of each batch (:func:`contiguous_batches`).
    make : callable or None
        ``make(dataset.select(batch)) -> tuple of arrays``; the in-memory path's
        own windowing, filtering and normalisation (with train-split scalers
        fitted beforehand), so streamed and in-memory numbers agree. ``None``:
        the raw waveforms ``(batch, C, N)``, read by :class:`BlockReader`.
    """

    def __init__(
        self, dataset: WaveformDataset, batches: list[np.ndarray], make: MakeBatch | None
    ) -> None:
        self.dataset = dataset
        self.batches = batches
        self.make = make
        self.reader = BlockReader(dataset) if make is None else None

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, i: int) -> tuple[Any, ...]:
        import torch

        if self.reader is not None:
            arrays: tuple[np.ndarray, ...] = (self.reader.read(self.batches[i]),)
        else:
            arrays = self.make(self.dataset.select(self.batches[i]))
        return tuple(torch.from_numpy(np.require(a, requirements=["C", "W"])) for a in arrays)

    @property
    def n_traces(self) -> int:
        """Traces covered by all batches."""
        return int(sum(len(b) for b in self.batches))


def streamed_loader(
    dataset: WaveformDataset,
    indices: np.ndarray,
    make: MakeBatch | None,
    batch_size: int,
    shuffle: bool = False,
    seed: int = 0,
    num_workers: int = 0,
    block: int = 32,
    world_size: int | None = None,
) -> Any:
    """A ``DataLoader`` over :class:`StreamedBatches` of ``indices``.

    ``shuffle`` draws the blocks of the batches at random once (seeded) and
    reshuffles the order of the batches every epoch. Under DDP the number of
    batches is made a multiple of ``world_size`` (by default the size of the
    initialised ``torch.distributed`` process group, else 1), so the
    ``DistributedSampler`` Lightning puts in front hands each rank its own
    batches with no padding: every trace once per epoch over all ranks.
    """
    import torch
    from torch.utils.data import DataLoader

    if world_size is None:
        distributed = torch.distributed
        world_size = (
            distributed.get_world_size()
            if distributed.is_available() and distributed.is_initialized()
            else 1
        )
    batches = contiguous_batches(indices, batch_size, block, shuffle, seed, world_size)
    return DataLoader(
        StreamedBatches(dataset, batches, make),
        batch_size=None,
        shuffle=shuffle,
        generator=torch.Generator().manual_seed(seed) if shuffle else None,
        num_workers=num_workers,
        persistent_workers=num_workers > 0,
    )


def choose_streaming(
    setting: bool | str, n_traces: int, bytes_per_trace: int, memory_budget_gib: float
) -> bool:
    """Stream (True) or hold in memory (False): ``auto`` streams when the windows exceed the budget.

    Parameters
    ----------
    setting : {"auto", True, False}
        The config key ``data.streaming``.
    n_traces : int
    bytes_per_trace : int
        Bytes of one prepared window (float32).
    memory_budget_gib : float
        GiB the in-memory windows may take.
    """
    if setting == "auto":
        return n_traces * bytes_per_trace > memory_budget_gib * 2**30
    return bool(setting)
