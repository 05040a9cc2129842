"""Prepared windows kept on disk: a lazy array over a feature-cache store.

When a workflow streams (:mod:`seislearn.data.memory`), the windows it would
hold in memory are prepared chunk by chunk by the *same* function as the
in-memory path and written once into a feature-cache store
(:mod:`seislearn.features.cache`). :class:`StoredWindows` stands where the
in-memory array stood: ``len``, ``shape``, ``select(mask)`` (a lazy view) and
``read()``; :func:`windows_dataset` makes a torch dataset of it whose batches
are read with one HDF5 call each (``__getitems__``), in the order the sampler
asks, so a seeded shuffling gives the same batches as over the array.
:func:`map_chunks` runs a per-window computation (polarization analysis,
statistics) over bounded chunks. Every helper also takes a plain ndarray, so
the workflows call them the same way in both modes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

#: Windows read at once by a streaming pass over a store.
CHUNK_ROWS = 4096


def row_runs(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop positions (in ``rows``) of each run of consecutive values.

    ``rows`` sorted ascending without repeats: ``rows[starts[k]:stops[k]]`` is the
    ``k``-th run, the store rows ``rows[starts[k]]`` to ``rows[stops[k] - 1]``.
    """
    rows = np.asarray(rows, np.int64)
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    starts = np.concatenate([[0], breaks]).astype(np.int64)
    stops = np.concatenate([breaks, [len(rows)]]).astype(np.int64)
    return starts, stops


def read_row_runs(node: Any, rows: np.ndarray) -> np.ndarray:
    """Rows ``rows`` (sorted, distinct) of an h5py dataset: one HDF5 read per run.

    Each run of consecutive rows is one hyperslab of the file read straight into
    its place in the output through h5py's low-level dataset API, so a selection
    costs one HDF5 call per run: not the union of one hyperslab per row that h5py
    builds for a fancy index (25x slower for 256 scattered rows), nor the
    high-level ``read_direct``, whose selection objects cost 3x the low-level
    read there (``benchmarks/store_read.py``).
    """
    from h5py import h5s

    shape = tuple(node.shape[1:])
    out = np.empty((len(rows), *shape), node.dtype)
    if not len(rows):
        return out
    starts, stops = row_runs(rows)
    file_space = node.id.get_space()
    memory_space = h5s.create_simple(out.shape)
    zeros = (0,) * len(shape)
    for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
        count = (b - a, *shape)
        file_space.select_hyperslab((int(rows[a]), *zeros), count)
        memory_space.select_hyperslab((a, *zeros), count)
        node.id.read(memory_space, file_space, out)
    return out


class StoredWindows:
    """Rows of one array of a feature-cache store, read on demand.

    Parameters
    ----------
    path : path-like
        The store (``FeatureCache.path(key)``).
    name : str
        The array (``"windows"``).
    rows : array of int, optional
        Store rows of this view, in order (default all).
    """

    def __init__(
        self, path: str | os.PathLike, name: str = "windows", rows: np.ndarray | None = None
    ) -> None:
        import h5py

        self.path = Path(path)
        self.name = name
        with h5py.File(self.path, "r") as f:
            node = f[name]
            self._row_shape = tuple(node.shape[1:])
            self.dtype = node.dtype
            total = node.shape[0]
        self.rows = np.arange(total, dtype=np.int64) if rows is None else np.asarray(rows, np.int64)
        self.transform: Callable[[np.ndarray], np.ndarray] | None = None
        self._handle: Any = None
        self._pid = -1

    # -- array-like ---------------------------------------------------------
    def __len__(self) -> int:
        return len(self.rows)

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.rows), *self._row_shape)

    @property
    def ndim(self) -> int:
        return 1 + len(self._row_shape)

    @property
    def dtype_out(self) -> np.dtype:
        return np.dtype(np.float32) if self.transform is not None else self.dtype

    @property
    def nbytes(self) -> int:
        """Bytes the view would take in memory."""
        return int(np.prod(self.shape)) * self.dtype.itemsize

    def select(self, key: np.ndarray | slice) -> StoredWindows:
        """A lazy view of the rows ``key`` (boolean mask, indices or slice) of this view."""
        view = StoredWindows.__new__(StoredWindows)
        view.__dict__.update(self.__dict__)
        view.rows = self.rows[key]
        view._handle, view._pid = None, -1
        return view

    def with_transform(self, transform: Callable[[np.ndarray], np.ndarray]) -> StoredWindows:
        """A view whose reads pass through ``transform`` (after this view's own transform).

        E.g. a scaler fitted on the train split: ``scaler.transform`` of stored
        inputs stays lazy and is applied to every chunk or batch read.
        """
        view = self.select(slice(None))
        inner = self.transform
        view.transform = transform if inner is None else (lambda x: transform(inner(x)))
        return view

    def read(self, positions: np.ndarray | None = None) -> np.ndarray:
        """The rows ``positions`` of this view (default all) as an ndarray, in that order.

        The distinct store rows are read in ascending order, each run of
        consecutive rows with one HDF5 read into the output (:func:`read_row_runs`;
        h5py's fancy indexing of a long row list was 25x slower for a shuffled batch
        of 256 rows and 190x for a batch of 8 blocks: ``benchmarks/store_read.py``);
        the result is reordered to ``positions``; the view's transform (if any)
        is applied last.
        """
        array = self._read(positions)
        return array if self.transform is None else self.transform(array)

    def _read(self, positions: np.ndarray | None = None) -> np.ndarray:
        rows = self.rows if positions is None else self.rows[np.asarray(positions, np.int64)]
        node = self._file()[self.name]
        if len(rows) == 0:
            return np.empty((0, *self._row_shape), self.dtype)
        unique, inverse = np.unique(rows, return_inverse=True)
        block = read_row_runs(node, unique)
        if len(unique) == len(rows) and np.array_equal(unique, rows):
            return block
        return block[inverse]

    def __getitem__(self, key: Any) -> np.ndarray:
        """Materialise a selection (``view[mask]``, ``view[mask, :, a:b]``) as an ndarray."""
        first, rest = (key[0], key[1:]) if isinstance(key, tuple) else (key, ())
        if isinstance(first, int | np.integer):
            return self.read(np.array([int(first)]))[(0, *rest)]
        array = self.select(first).read()
        return array[(slice(None), *rest)] if rest else array

    def iter_chunks(self, rows: int = CHUNK_ROWS) -> Iterator[np.ndarray]:
        """The view's windows, ``rows`` at a time, in order."""
        for start in range(0, len(self), rows):
            yield self.read(np.arange(start, min(start + rows, len(self))))

    def _file(self) -> Any:
        import h5py

        if self._handle is None or self._pid != os.getpid():  # never a handle across a fork
            self._handle = h5py.File(self.path, "r")
            self._pid = os.getpid()
        return self._handle

    def __getstate__(self) -> dict[str, Any]:  # DataLoader workers, DDP spawn: no open handle
        return {**self.__dict__, "_handle": None, "_pid": -1}


WindowsLike = np.ndarray | StoredWindows


def is_stored(windows: object) -> bool:
    """True for windows on disk (:class:`StoredWindows`)."""
    return isinstance(windows, StoredWindows)


def select_windows(windows: WindowsLike, mask: np.ndarray | slice) -> WindowsLike:
    """``windows[mask]``: an ndarray for an ndarray, a lazy view for stored windows."""
    return windows.select(mask) if isinstance(windows, StoredWindows) else windows[mask]


def iter_window_chunks(windows: WindowsLike, rows: int = CHUNK_ROWS) -> Iterator[np.ndarray]:
    """Consecutive chunks of ``rows`` windows (an ndarray yields slices, no copy)."""
    if isinstance(windows, StoredWindows):
        yield from windows.iter_chunks(rows)
        return
    for start in range(0, len(windows), rows):
        yield windows[start : start + rows]


def map_chunks(
    function: Callable[[np.ndarray], Any], windows: WindowsLike, rows: int = CHUNK_ROWS
) -> Any:
    """``function`` over chunks of windows, the per-window results joined in order.

    ``function(chunk)`` must return an ndarray, a dict of ndarrays or a
    dataclass of ndarrays with one row per window; an ndarray is passed whole
    (one call), stored windows chunk by chunk, so memory stays bounded.
    """
    if not isinstance(windows, StoredWindows):
        return function(windows)
    import dataclasses

    parts = [function(chunk) for chunk in windows.iter_chunks(rows)]
    if not parts:
        return function(np.empty((0, *windows.shape[1:]), windows.dtype))
    first = parts[0]
    if isinstance(first, np.ndarray):
        return np.concatenate(parts)
    if isinstance(first, dict):
        return {k: np.concatenate([p[k] for p in parts]) for k in first}
    if dataclasses.is_dataclass(first):
        fields = [f.name for f in dataclasses.fields(first)]
        return type(first)(**{k: np.concatenate([getattr(p, k) for p in parts]) for k in fields})
    raise TypeError(f"map_chunks cannot join results of type {type(first).__name__}")


class WindowsDataset:
    """A map-style torch dataset of windows (and aligned in-memory arrays).

    Item ``i`` is ``(window_i, *[a[i] for a in arrays])`` as tensors. For stored
    windows, ``__getitems__`` (used by the DataLoader for a whole batch) reads
    the batch with one HDF5 call; the values and their order are those of the
    in-memory ``TensorDataset``. ``transform`` (e.g. a scaler fitted on the
    train split) is applied to each batch of windows after the read.
    """

    def __init__(
        self,
        windows: WindowsLike,
        *arrays: np.ndarray,
        transform: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        self.windows = windows
        self.arrays = [np.ascontiguousarray(a) for a in arrays]
        self.transform = transform

    def __len__(self) -> int:
        return len(self.windows)

    def _batch(self, positions: np.ndarray) -> list[np.ndarray]:
        if isinstance(self.windows, StoredWindows):
            x = self.windows.read(positions)
        else:
            x = self.windows[positions]
        if self.transform is not None:
            x = self.transform(x)
        return [np.asarray(x, dtype=np.float32), *(a[positions] for a in self.arrays)]

    def __getitem__(self, i: int) -> tuple[Any, ...]:
        import torch

        return tuple(torch.as_tensor(a[0]) for a in self._batch(np.array([i])))

    def __getitems__(self, indices: list[int]) -> list[tuple[Any, ...]]:
        import torch

        parts = [torch.as_tensor(a) for a in self._batch(np.asarray(indices, dtype=np.int64))]
        return [tuple(p[k] for p in parts) for k in range(len(indices))]


def windows_dataset(
    windows: WindowsLike,
    *arrays: np.ndarray,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Any:
    """A torch dataset over windows: a ``TensorDataset`` for an ndarray, else a
    :class:`WindowsDataset` reading batches from the store (``transform`` per batch)."""
    import torch
    from torch.utils.data import TensorDataset

    if not isinstance(windows, StoredWindows):
        if transform is not None:
            windows = transform(windows)
        tensors = [torch.as_tensor(np.ascontiguousarray(windows), dtype=torch.float32)]
        tensors += [torch.as_tensor(np.ascontiguousarray(a)) for a in arrays]
        return TensorDataset(*tensors)
    return WindowsDataset(windows, *arrays, transform=transform)
