"""The ``cluster`` workflow's inputs when they are streamed from a feature-cache store.

:func:`seislearn.cluster.features.compute_spectrograms_streamed` leaves the
spectrograms on disk as a :class:`~seislearn.data.window_store.StoredWindows`.
The helpers here let the rest of the workflow treat an in-memory array and a
store alike: :func:`model_input` is what :class:`DeepEmbeddedClustering` is fitted
on or predicts (the array, or a map-style torch dataset it streams from),
:func:`read_rows` reads a (sampled) subset into memory and
:func:`sample_positions` draws that subset, the same in both modes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from seislearn.data.window_store import StoredWindows, WindowsLike, is_stored, select_windows

#: Rows of the flattened spectrograms the raw-KMeans baseline is fitted and scored on
#: (a seeded sample of the rows when there are more; all of them below).
RAW_SAMPLE_ROWS = 10_000


class StoredSpectrograms(torch.utils.data.Dataset):
    """A map-style torch dataset over stored spectrograms: item ``i`` is row ``i``, float32.

    Parameters
    ----------
    windows : StoredWindows
        The spectrograms ``(n, C, F, T)`` (or a lazy view of some of them).
    """

    def __init__(self, windows: StoredWindows) -> None:
        self.windows = windows

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, i: int) -> torch.Tensor:
        if not 0 <= int(i) < len(self.windows):
            raise IndexError(i)
        return torch.from_numpy(np.asarray(self.windows.read(np.array([int(i)]))[0], np.float32))

    def __getitems__(self, indices: list[int]) -> list[torch.Tensor]:
        """A batch in one read of the store (the DataLoader's batched fetch)."""
        block = np.asarray(self.windows.read(np.asarray(indices, np.int64)), np.float32)
        return list(torch.from_numpy(block))


def model_input(spectrograms: WindowsLike, mask: np.ndarray | None = None) -> Any:
    """What DEC is fitted on or predicts: ``spectrograms[mask]`` in memory, or a
    :class:`StoredSpectrograms` over a lazy view of the store (read batch by batch)."""
    if not is_stored(spectrograms):
        return spectrograms if mask is None else spectrograms[mask]
    view = spectrograms if mask is None else select_windows(spectrograms, mask)
    return StoredSpectrograms(view)  # type: ignore[arg-type]


def read_rows(spectrograms: WindowsLike, positions: np.ndarray) -> np.ndarray:
    """Rows ``positions`` of in-memory or stored spectrograms, as an in-memory array."""
    if is_stored(spectrograms):
        return spectrograms.read(np.asarray(positions, np.int64))  # type: ignore[union-attr]
    return np.asarray(spectrograms)[positions]


def sample_positions(positions: np.ndarray, limit: int, seed: int) -> np.ndarray:
    """``positions`` when there are at most ``limit``, else a seeded sample of ``limit`` of
    them, sorted (so a store is read in order)."""
    positions = np.asarray(positions, np.int64)
    if len(positions) <= limit:
        return positions
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(positions, limit, replace=False))


def per_cluster_means(
    spectrograms: WindowsLike, labels: np.ndarray, chunk_rows: int = 4096
) -> dict[int, np.ndarray]:
    """Mean spectrogram of the first component per cluster, ``{cluster: (F, T)}``, from
    chunks of ``chunk_rows`` rows (float64 sums; bounded memory for a store)."""
    from seislearn.data.window_store import iter_window_chunks

    clusters = np.unique(labels)
    sums: dict[int, np.ndarray] = {}
    start = 0
    for chunk in iter_window_chunks(spectrograms, chunk_rows):
        lab = labels[start : start + len(chunk)]
        start += len(chunk)
        for c in clusters:
            part = np.asarray(chunk[lab == c, 0], np.float64).sum(axis=0)
            sums[int(c)] = sums.get(int(c), 0.0) + part
    counts = {int(c): int((labels == c).sum()) for c in clusters}
    return {c: (sums[c] / max(counts[c], 1)).astype(np.float32) for c in sums}
