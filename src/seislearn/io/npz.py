"""PhaseNet-style NPZ folders: an index CSV plus one ``.npz`` per trace.

The index has ``fname, itp, its, channels``; each file holds ``data`` of shape
``(N, 3)`` (samples, channels), the picks ``itp`` and ``its``, and the channel
names. Traces with fewer real channels than columns (e.g. ``channels`` =
``EHZ``, the horizontals stored as zeros) are flagged in
``trace_available_components``, so the zeros are never taken for signal.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from seislearn.data import schema
from seislearn.data.dataset import WaveformDataset
from seislearn.errors import DataError
from seislearn.io.limits import check_numeric_dtype, check_trace_size
from seislearn.io.tables import read_csv_table

#: The PhaseNet demo data's channel order in ``data`` columns.
NPZ_COMPONENT_ORDER = "ENZ"


def _components(channels: str) -> str:
    """Component letters of a PhaseNet ``channels`` field such as ``EHE_EHN_EHZ``."""
    letters = {c.strip()[-1].upper() for c in str(channels).split("_") if c.strip()}
    letters = {"N" if c == "1" else "E" if c == "2" else c for c in letters}
    return "".join(c for c in "ZNE" if c in letters)


class NpzLoader:
    """Reads one ``.npz`` per trace (``allow_pickle=False``: nothing is unpickled)."""

    def __init__(
        self,
        folder: Path,
        file_order: str = NPZ_COMPONENT_ORDER,
        target_order: str = "ZNE",
        index_path: Path | None = None,
    ) -> None:
        self.folder = folder
        self.index_path = index_path
        self.permutation = [file_order.index(c) for c in target_order]

    def load(self, row: pd.Series) -> np.ndarray:
        path = self.folder / str(row["trace_file"])
        name = str(row[schema.TRACE_NAME])
        try:
            check_npz_data_header(path, name)
            with np.load(path, allow_pickle=False) as npz:
                data = np.asarray(npz["data"], dtype=np.float32)
        except FileNotFoundError:
            raise DataError(
                f"metadata row has no waveform file{self._listed()}", path, name
            ) from None
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise DataError(
                f"cannot open waveform file: {reason}{self._listed()}", path, name
            ) from None
        except KeyError:
            raise DataError("npz file has no 'data' array", path, name) from None
        except (ValueError, TypeError, zipfile.BadZipFile, EOFError) as exc:
            raise DataError(f"cannot read npz file: {exc}", path, name) from None
        if data.ndim != 2 or 3 not in data.shape:
            raise DataError(
                f"'data' has shape {data.shape}, expected (N, 3): 3 channels (E, N, Z)",
                path,
                name,
                check="channel_count" if data.ndim == 2 else None,
            )
        if data.shape[1] != 3:
            data = data.T
        return np.ascontiguousarray(data.T[self.permutation])

    def _listed(self) -> str:
        return f" (listed in {self.index_path})" if self.index_path else ""


def _leaves_folder(name: object) -> bool:
    """True for a file name that is absolute or climbs out of the dataset folder."""
    parts = Path(str(name)).parts
    return Path(str(name)).is_absolute() or ".." in parts


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a name too long for the file system
        return False


def check_npz_data_header(path: Path, trace: str | None = None) -> None:
    """Check the declared type and shape of an npz file's ``data`` array before loading it.

    NumPy allocates the whole array a ``.npy`` header declares before reading
    it, so a few crafted bytes could ask for gigabytes; the header is read
    first and checked against :mod:`seislearn.io.limits`.

    Raises
    ------
    DataError
        For a non-numeric or oversized ``data`` array; FileNotFoundError,
        KeyError (no ``data``) and zip/format errors are left to the caller.
    """
    with zipfile.ZipFile(path) as archive:
        member = "data.npy" if "data.npy" in archive.namelist() else None
        if member is None:
            raise KeyError("data")
        with archive.open(member) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    check_numeric_dtype(dtype, path, trace)
    check_trace_size(shape, dtype, path, trace)


def read_npz_folder(
    path: str | os.PathLike,
    index: str | os.PathLike | None = None,
    sampling_rate: float = 100.0,
    data_dir: str | None = None,
) -> WaveformDataset:
    """Open a PhaseNet-style NPZ dataset.

    Parameters
    ----------
    path : path-like
        Folder holding the index CSV (``waveform.csv`` or the only ``*.csv``)
        and the npz files (in the folder or a subfolder such as ``waveform_train``).
    index : path-like, optional
        The index CSV, if not found automatically.
    sampling_rate : float, Hz
        The npz files carry no rate; the PhaseNet demo data is 100 Hz.
    data_dir : str, optional
        Subfolder of the npz files.
    """
    root = Path(path)
    if not root.is_dir():
        raise DataError("an NPZ dataset is a folder (index CSV + .npz files)", path=root)
    if index is None:
        candidates = (
            [root / "waveform.csv"]
            if (root / "waveform.csv").is_file()
            else sorted(root.glob("*.csv"))
        )
        if len(candidates) != 1:
            raise DataError(
                "expected one index CSV (fname, itp, its, channels) in the folder", path=root
            )
        index = candidates[0]
    index_path = Path(index)
    table = read_csv_table(index_path, "NPZ index CSV", required=("fname",), names=("fname",))
    bad = table["fname"].map(_leaves_folder)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"NPZ index CSV: row {row + 1} names a file outside the dataset folder "
            f"({str(table['fname'].iloc[row])[:60]!r})",
            path=index_path,
        )
    if data_dir is None:
        first = str(table["fname"].iloc[0]) if len(table) else ""
        subdirs = [d for d in root.iterdir() if d.is_dir() and _is_file(d / first)]
        folder = subdirs[0] if subdirs else root
    else:
        folder = root / data_dir
    meta = pd.DataFrame(
        {
            schema.TRACE_NAME: table["fname"].astype(str).str.replace(".npz", "", regex=False),
            "trace_file": table["fname"].astype(str),
            schema.SAMPLING_RATE: float(sampling_rate),
        }
    )
    if "itp" in table.columns:
        meta[schema.P_ARRIVAL] = pd.to_numeric(table["itp"], errors="coerce")
    if "its" in table.columns:
        meta[schema.S_ARRIVAL] = pd.to_numeric(table["its"], errors="coerce")
    if "channels" in table.columns:
        meta["trace_channels"] = table["channels"].astype(str)
        meta[schema.AVAILABLE_COMPONENTS] = table["channels"].map(_components)
    else:
        meta[schema.AVAILABLE_COMPONENTS] = "ZNE"
    # File names look like NET_STA_YYYYmmddHHMMSSxx[_k].npz: network, station, origin-ish time.
    parts = meta[schema.TRACE_NAME].str.split("_", expand=True)
    if parts.shape[1] >= 3:
        meta[schema.STATION_NETWORK] = parts[0]
        meta[schema.STATION_CODE] = parts[1]
        stamp = parts[2].str.slice(0, 14)
        meta[schema.START_TIME] = pd.to_datetime(
            stamp, format="%Y%m%d%H%M%S", errors="coerce", utc=True
        )
        meta[schema.SOURCE_ID] = parts[2]
    meta[schema.COMPONENT_ORDER] = "ZNE"
    return WaveformDataset(
        meta, NpzLoader(folder, index_path=index_path), name=str(root), component_order="ZNE"
    )
