"""A feature cache: windows or spectrograms computed once into a chunked HDF5 store.

The store is named by a key over the data's fingerprint and the preprocessing
configuration (:func:`cache_key`), so a change to either gives another store
and the old one is never read for the new settings. A store is written to a
temporary file and renamed when complete; its attributes repeat the key, and a
file whose attributes do not match (or that is not a complete store) is
rebuilt, never trusted. Reads come back as contiguous slices, one HDF5 call per
batch, each process (DataLoader worker) opening its own handle.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from seislearn.errors import DataError

_COMPLETE = "seislearn_cache_complete"
_EXTRA = "_extra_json"


def cache_key(fingerprint: str, config: dict[str, Any]) -> str:
    """A 24-hex-digit key over the data fingerprint and the preprocessing settings.

    Parameters
    ----------
    fingerprint : str
        E.g. :func:`seislearn.runs.fingerprint_path` of the dataset.
    config : dict
        JSON-serialisable settings that change the features (window, filter,
        spectrogram preset, ...).
    """
    text = json.dumps({"data": fingerprint, "config": config}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class FeatureCache:
    """Stores under one folder, one HDF5 file per key.

    Parameters
    ----------
    root : path-like
        Folder of the stores (created when needed).
    """

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """File of the store of ``key``."""
        return self.root / f"features-{key}.h5"

    def is_valid(self, key: str) -> bool:
        """True when the store of ``key`` exists, is complete and was written for ``key``."""
        import h5py

        path = self.path(key)
        if not path.is_file():
            return False
        try:
            with h5py.File(path, "r") as f:
                return bool(f.attrs.get(_COMPLETE, False)) and f.attrs.get("key") == key
        except OSError:
            return False

    def get_or_build(
        self,
        key: str,
        batches: Iterable[tuple[np.ndarray, ...]],
        names: tuple[str, ...],
        chunk_rows: int = 256,
        extra: Callable[[], dict[str, Any]] | None = None,
    ) -> CachedArrays:
        """The store of ``key``; built from ``batches`` first when missing or not valid.

        Parameters
        ----------
        key : str
            From :func:`cache_key`.
        batches : iterable of tuples of arrays
            The features, batch by batch in sample order (e.g. a streamed
            loader without shuffling); consumed only when the store is built.
        names : tuple of str
            Name of each array of a batch (``("windows", "targets")``).
        chunk_rows : int
            Rows per HDF5 chunk.
        extra : callable, optional
            Called once the batches are consumed; its JSON-serialisable dict is
            kept in the store (``CachedArrays.extra``), e.g. the traces skipped.
        """
        if not self.is_valid(key):
            self._build(key, batches, names, chunk_rows, extra)
        return CachedArrays(self.path(key), names)

    def _build(
        self,
        key: str,
        batches: Iterable[tuple[np.ndarray, ...]],
        names: tuple[str, ...],
        chunk_rows: int,
        extra: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        import h5py

        self.root.mkdir(parents=True, exist_ok=True)
        target = self.path(key)
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        n = 0
        try:
            with h5py.File(partial, "w") as f:
                f.attrs["key"] = key
                for batch in batches:
                    arrays = [np.asarray(a) for a in batch]
                    if len(arrays) != len(names):
                        raise ValueError(f"a batch has {len(arrays)} arrays for names {names}")
                    for name, array in zip(names, arrays, strict=True):
                        if name not in f:
                            f.create_dataset(
                                name,
                                shape=(0, *array.shape[1:]),
                                maxshape=(None, *array.shape[1:]),
                                dtype=array.dtype,
                                chunks=(chunk_rows, *array.shape[1:]),
                            )
                        node = f[name]
                        node.resize(n + len(array), axis=0)
                        node[n : n + len(array)] = array
                    n += len(arrays[0])
                if n == 0:
                    raise DataError("no features to cache: every batch was empty")
                f.attrs["n"] = n
                text = json.dumps(extra() if extra is not None else {}, default=str)
                # A dataset, not an attribute: attributes are limited to 64 kB.
                f.create_dataset(_EXTRA, data=np.frombuffer(text.encode(), dtype=np.uint8))
                f.attrs[_COMPLETE] = True
            os.replace(partial, target)
        finally:
            if partial.exists():
                partial.unlink()


class CachedArrays:
    """Read-only arrays of a complete store; ``read(start, stop)`` is one slice per array.

    Parameters
    ----------
    path : path-like
    names : tuple of str
    """

    def __init__(self, path: str | os.PathLike, names: tuple[str, ...]) -> None:
        import h5py

        self.path = Path(path)
        self.names = names
        with h5py.File(self.path, "r") as f:
            missing = [name for name in names if name not in f]
            if missing:
                raise DataError(f"feature cache holds no {missing}", path=self.path)
            self.n = int(f.attrs["n"])
            self.extra: dict[str, Any] = (
                json.loads(f[_EXTRA][()].tobytes().decode()) if _EXTRA in f else {}
            )
        self._handle: Any = None
        self._pid = -1

    def __len__(self) -> int:
        return self.n

    def _file(self) -> Any:
        import h5py

        if self._handle is None or self._pid != os.getpid():  # never across a fork
            self._handle = h5py.File(self.path, "r")
            self._pid = os.getpid()
        return self._handle

    def read(self, start: int, stop: int) -> tuple[np.ndarray, ...]:
        """Rows ``start:stop`` of every array."""
        f = self._file()
        return tuple(f[name][start:stop] for name in self.names)

    def __getstate__(self) -> dict[str, Any]:  # DataLoader workers: no open handle inside
        return {**self.__dict__, "_handle": None, "_pid": -1}


class CachedBatches:
    """Map-style dataset over a store: item ``i`` is batch ``i`` (a contiguous slice).

    Use with ``DataLoader(cached, batch_size=None, shuffle=True)``: shuffling
    reorders whole batches, each read in one call.
    """

    def __init__(self, arrays: CachedArrays, batch_size: int) -> None:
        self.arrays = arrays
        self.batch_size = batch_size

    def __len__(self) -> int:
        return -(-len(self.arrays) // self.batch_size)

    def __getitem__(self, i: int) -> tuple[Any, ...]:
        import torch

        start = i * self.batch_size
        if not 0 <= start < len(self.arrays):
            raise IndexError(i)
        parts = self.arrays.read(start, min(start + self.batch_size, len(self.arrays)))
        return tuple(torch.from_numpy(np.require(p, requirements=["C", "W"])) for p in parts)
