"""A Lightning DataModule over arrays with a ``split`` column.

Reading and windowing happen before (they are dataset-specific); this module
holds the arrays, the split and the loaders. The inputs may be windows kept on
disk (:class:`seislearn.data.window_store.StoredWindows`, the streamed mode):
the loaders then read each batch from the store, with the same sampler and so
the same batches as over an in-memory array. The optional scaler is fitted in
``setup`` on the train split only, so nothing of dev or test leaks into it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from seislearn.data import schema


class ArrayDataModule(L.LightningDataModule):
    """Train/dev/test loaders from arrays and a split column.

    Parameters
    ----------
    inputs : ndarray or StoredWindows, shape (n, ...)
    targets : ndarray, shape (n, ...) or None
    split : array of str, shape (n,)
        ``train``, ``dev`` or ``test`` per sample.
    batch_size : int
    fit_scaler : callable, optional
        ``fit_scaler(train_inputs) -> transform``; the returned callable is then
        applied to every split.
    seed : int
        Seed of the train loader's shuffling.
    side : ndarray, shape (n, k), optional
        Inputs beside the main ones (already scaled); batches are then
        ``(x, side, targets)``.
    """

    def __init__(
        self,
        inputs: np.ndarray,
        targets: np.ndarray | None,
        split: np.ndarray,
        batch_size: int = 64,
        fit_scaler: Callable[[np.ndarray], Callable[[np.ndarray], np.ndarray]] | None = None,
        seed: int = 0,
        side: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        self.side = side
        self.inputs = inputs
        self.targets = targets
        self.split = np.asarray(split).astype(str)
        self.batch_size = batch_size
        self.fit_scaler = fit_scaler
        self.seed = seed
        self.transform: Callable[[np.ndarray], np.ndarray] | None = None
        self._sets: dict[str, Any] = {}

    def setup(self, stage: str | None = None) -> None:
        if self._sets:
            return
        from seislearn.data.window_store import is_stored, select_windows, windows_dataset

        if self.fit_scaler is not None:
            self.transform = self.fit_scaler(select_windows(self.inputs, self.split == "train"))
        for name in schema.SPLITS:
            mask = self.split == name
            if is_stored(self.inputs):
                extra = [] if self.side is None else [self.side[mask].astype(np.float32)]
                extra += [] if self.targets is None else [self.targets[mask]]
                self._sets[name] = windows_dataset(
                    select_windows(self.inputs, mask), *extra, transform=self.transform
                )
                continue
            x = self.inputs[mask]
            if self.transform is not None:
                x = self.transform(x)
            tensors = [torch.as_tensor(np.ascontiguousarray(x), dtype=torch.float32)]
            if self.side is not None:
                tensors.append(torch.as_tensor(self.side[mask], dtype=torch.float32))
            if self.targets is not None:
                tensors.append(torch.as_tensor(np.ascontiguousarray(self.targets[mask])))
            self._sets[name] = TensorDataset(*tensors)

    def _loader(self, name: str, shuffle: bool) -> DataLoader:
        generator = torch.Generator().manual_seed(self.seed)
        return DataLoader(
            self._sets[name],
            batch_size=self.batch_size,
            shuffle=shuffle,
            generator=generator if shuffle else None,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("dev", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)
