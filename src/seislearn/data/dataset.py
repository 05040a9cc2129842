"""``WaveformDataset``: a metadata table plus lazy access to the waveforms.

The metadata is a :class:`pandas.DataFrame` with SeisBench column names (see
:mod:`seislearn.data.schema`). Waveforms are read on demand through a
*loader*, so a dataset larger than memory can be iterated with bounded memory.
Waveforms are always returned as ``float32`` arrays of shape ``(C, N)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from seislearn.data import schema
from seislearn.errors import DataError


class WaveformLoader(Protocol):
    """Reads the waveform of one metadata row.

    A loader may also define ``load_batch(rows: DataFrame) -> list[ndarray]``
    to read many rows in few I/O calls; :meth:`WaveformDataset.iter_batches`
    uses it when present.
    """

    def load(self, row: pd.Series) -> np.ndarray:
        """Return the waveform of ``row`` as float32 ``(C, N)`` in the dataset's component order."""
        ...


class ArrayLoader:
    """Waveforms held in memory, looked up by ``trace_name``.

    Parameters
    ----------
    waveforms : dict of str to ndarray
        ``trace_name`` -> array ``(C, N)``.
    """

    def __init__(self, waveforms: dict[str, np.ndarray]) -> None:
        self.waveforms = waveforms

    def load(self, row: pd.Series) -> np.ndarray:
        name = str(row[schema.TRACE_NAME])
        try:
            data = self.waveforms[name]
        except KeyError:
            raise DataError("metadata row has no waveform", trace=name) from None
        return np.asarray(data, dtype=np.float32)


class WaveformDataset:
    """Metadata table plus lazily loaded waveforms.

    Parameters
    ----------
    metadata : pandas.DataFrame
        One row per trace, SeisBench column names; must have ``trace_name``.
    loader : WaveformLoader
        Reads one waveform from one metadata row.
    name : str
        A label for messages and reports (usually the path).
    component_order : str
        Channel order of the returned arrays, ``"ZNE"`` by default.
    sampling_rate : float, optional, Hz
        Used where the metadata has no ``trace_sampling_rate_hz`` column.
    """

    def __init__(
        self,
        metadata: pd.DataFrame,
        loader: WaveformLoader,
        name: str = "",
        component_order: str = "ZNE",
        sampling_rate: float | None = None,
    ) -> None:
        if schema.TRACE_NAME not in metadata.columns:
            raise DataError("metadata has no 'trace_name' column", path=name or None)
        metadata = metadata.reset_index(drop=True)
        if sampling_rate is not None and schema.SAMPLING_RATE not in metadata.columns:
            metadata[schema.SAMPLING_RATE] = float(sampling_rate)
        if (
            schema.SAMPLING_RATE in metadata.columns
            and metadata[schema.SAMPLING_RATE].dtype.kind not in "iuf"
        ):
            # Text in the rate column (damage) becomes NaN, which `data check` reports per trace.
            metadata[schema.SAMPLING_RATE] = pd.to_numeric(
                metadata[schema.SAMPLING_RATE], errors="coerce"
            )
        self._metadata = metadata
        self.loader = loader
        self.name = name
        self.component_order = component_order

    # -- table -----------------------------------------------------------------
    @property
    def metadata(self) -> pd.DataFrame:
        """The metadata table (one row per trace)."""
        return self._metadata

    def __len__(self) -> int:
        return len(self._metadata)

    def __repr__(self) -> str:
        return (
            f"WaveformDataset({self.name!r}, {len(self)} traces, components {self.component_order})"
        )

    def _subset(self, metadata: pd.DataFrame) -> WaveformDataset:
        return WaveformDataset(metadata, self.loader, self.name, self.component_order)

    def filter(self, mask: Sequence[bool] | np.ndarray | pd.Series) -> WaveformDataset:
        """Return the traces where ``mask`` is true, as a new dataset (waveforms stay lazy)."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (len(self),):
            raise ValueError(f"mask has shape {mask.shape}, expected ({len(self)},)")
        return self._subset(self._metadata[mask])

    def select(self, indices: Sequence[int] | np.ndarray) -> WaveformDataset:
        """Return the traces at ``indices`` (positions), in that order."""
        return self._subset(self._metadata.iloc[np.asarray(indices, dtype=int)])

    def split(self, name: str) -> WaveformDataset:
        """Return the traces of one split (``train``, ``dev`` or ``test``)."""
        if schema.SPLIT not in self._metadata.columns:
            raise DataError("dataset has no 'split' column", path=self.name or None)
        if name not in schema.SPLITS:
            raise ValueError(f"unknown split {name!r}; expected one of {schema.SPLITS}")
        return self.filter(self._metadata[schema.SPLIT].to_numpy() == name)

    def train(self) -> WaveformDataset:
        """The ``train`` split."""
        return self.split("train")

    def dev(self) -> WaveformDataset:
        """The ``dev`` split."""
        return self.split("dev")

    def test(self) -> WaveformDataset:
        """The ``test`` split."""
        return self.split("test")

    # -- waveforms -------------------------------------------------------------
    def sampling_rate(self, idx: int) -> float:
        """Sampling rate of trace ``idx``, Hz."""
        name = str(self._metadata[schema.TRACE_NAME].iloc[idx])
        if schema.SAMPLING_RATE not in self._metadata.columns:
            raise DataError(
                f"the metadata has no {schema.SAMPLING_RATE} column (and the reader found no "
                "rate in the files); run `seislearn data check`",
                path=self.name or None,
                trace=name,
                check="no_sampling_rate",
            )
        rate = float(self._metadata[schema.SAMPLING_RATE].iloc[idx])
        if not np.isfinite(rate) or rate <= 0:
            raise DataError(
                f"sampling rate {rate:g} Hz is missing or not positive",
                path=self.name or None,
                trace=name,
                check="no_sampling_rate",
            )
        return rate

    def get_waveform(self, idx: int) -> np.ndarray:
        """Waveform of trace ``idx`` (position), float32 ``(C, N)``.

        Raises
        ------
        DataError
            If the trace cannot be read, or is not ``(C, N)`` with one channel
            per component of :attr:`component_order` (check ``channel_count``).
        """
        row = self._metadata.iloc[idx]
        return self._validated(self.loader.load(row), str(row[schema.TRACE_NAME]))

    def get_sample(self, idx: int) -> tuple[np.ndarray, dict]:
        """Waveform and metadata (as a dict) of trace ``idx``."""
        return self.get_waveform(idx), self._metadata.iloc[idx].to_dict()

    def __getitem__(self, idx: int) -> tuple[np.ndarray, dict]:
        return self.get_sample(idx)

    def iter_batches(
        self, batch_size: int = 256
    ) -> Iterator[tuple[list[np.ndarray], pd.DataFrame]]:
        """Yield ``(waveforms, metadata)`` in batches; only one batch is in memory at a time."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        load_batch = getattr(self.loader, "load_batch", None)
        for start in range(0, len(self), batch_size):
            stop = min(start + batch_size, len(self))
            rows = self._metadata.iloc[start:stop]
            if load_batch is None:
                waves = [self.get_waveform(i) for i in range(start, stop)]
            else:
                # A loader that reads a batch in few I/O calls (e.g. contiguous rows of an
                # HDF5 bucket at once); it raises the same per-trace errors as ``load``.
                names = rows[schema.TRACE_NAME].astype(str).to_numpy()
                waves = [self._validated(w, names[k]) for k, w in enumerate(load_batch(rows))]
            yield waves, rows

    def _checked(self, data: np.ndarray, rows: pd.DataFrame, k: int) -> np.ndarray:
        return self._validated(data, str(rows[schema.TRACE_NAME].iloc[k]))

    def _validated(self, data: np.ndarray, trace: str) -> np.ndarray:
        """``data`` as contiguous float32 ``(C, N)``, or a DataError naming the trace."""
        data = np.asarray(data)
        if data.ndim != 2:
            raise DataError(
                f"waveform has {data.ndim} dimensions, expected 2 (channels, samples)",
                path=self.name or None,
                trace=trace,
            )
        if data.shape[0] != len(self.component_order):
            raise DataError(
                f"waveform has {data.shape[0]} channels, the dataset declares "
                f"{len(self.component_order)} ({self.component_order})",
                path=self.name or None,
                trace=trace,
                check="channel_count",
            )
        return np.ascontiguousarray(data, dtype=np.float32)

    def load_all(self) -> list[np.ndarray]:
        """All waveforms in memory (use :meth:`iter_batches` for large datasets)."""
        return [self.get_waveform(i) for i in range(len(self))]

    def close(self) -> None:
        """Release open files held by the loader."""
        close = getattr(self.loader, "close", None)
        if close is not None:
            close()
