"""STEAD (STanford EArthquake Dataset): one CSV of metadata plus one HDF5 of waveforms.

Each trace is an HDF5 dataset of shape ``(6000, 3)`` (samples, channels) in
**E, N, Z** order at 100 Hz, named by ``trace_name``. The release keeps them
under ``data/``; early sample files used other groups (``earthquake/local/``,
``non_earthquake/noise/``). The reader looks under ``data/`` first and, for a
name not found there, walks the file once to build a name -> path index.

STEAD columns are mapped onto SeisBench names (``receiver_latitude`` ->
``station_latitude_deg``, ``back_azimuth_deg`` -> ``path_back_azimuth_deg``,
...); columns without a SeisBench name are kept as they are. ``snr_db`` is a
string such as ``"[56.8 55.6 47.1]"`` (E, N, Z); it is parsed with a strict
pattern (never ``eval``) into ``trace_snr_db_e``/``_n``/``_z`` and their mean
in ``trace_snr_db``.

STEAD labels some rows with the azimuth instead of the back-azimuth; the
labels are kept as published and :func:`seislearn.data.checks.check_dataset`
lists the rows that disagree with the coordinates.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from seislearn.data import schema
from seislearn.data.dataset import WaveformDataset
from seislearn.errors import DataError
from seislearn.io.hdf5_files import MissingObject, guarded, open_hdf5, read_waveform, resolve
from seislearn.io.tables import read_csv_table

#: STEAD's channel order in each (6000, 3) dataset.
STEAD_COMPONENT_ORDER = "ENZ"
STEAD_SAMPLING_RATE_HZ = 100.0

#: STEAD column -> SeisBench column. Unlisted columns are kept unchanged.
COLUMN_MAP: dict[str, str] = {
    "network_code": schema.STATION_NETWORK,
    "receiver_code": schema.STATION_CODE,
    "receiver_type": "station_channel_type",
    "receiver_latitude": schema.STATION_LATITUDE,
    "receiver_longitude": schema.STATION_LONGITUDE,
    "receiver_elevation_m": schema.STATION_ELEVATION,
    "p_arrival_sample": schema.P_ARRIVAL,
    "p_status": "trace_p_status",
    "p_weight": "trace_p_weight",
    "p_travel_sec": "path_p_travel_s",
    "s_arrival_sample": schema.S_ARRIVAL,
    "s_status": "trace_s_status",
    "s_weight": "trace_s_weight",
    "source_latitude": schema.SOURCE_LATITUDE,
    "source_longitude": schema.SOURCE_LONGITUDE,
    "source_distance_deg": "path_ep_distance_deg",
    "source_distance_km": schema.EP_DISTANCE,
    "back_azimuth_deg": schema.BACK_AZIMUTH,
    "coda_end_sample": "trace_coda_end_sample",
}

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf|-inf"
_NUMBER_LIST = re.compile(rf"^\s*\[*\s*((?:(?:{_NUMBER})[\s,]*)*)\]*\s*$", re.IGNORECASE)


def parse_number_list(text: object) -> list[float]:
    """Parse a STEAD list field such as ``"[56.8 55.6 47.1]"`` or ``"[[3898.]]"``.

    Returns an empty list for a missing value. Raises ``ValueError`` on
    anything that is not a bracketed list of numbers.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return []
    if isinstance(text, int | float | np.number):
        return [float(text)]
    s = str(text).strip()
    if s == "" or s.lower() in {"nan", "none", "[]"}:
        return []
    match = _NUMBER_LIST.match(s)
    if match is None:
        raise ValueError(f"not a list of numbers: {s!r}")
    return [float(v) for v in re.findall(_NUMBER, match.group(1), flags=re.IGNORECASE)]


def _find_files(path: Path, csv: Path | None, hdf5: Path | None) -> tuple[Path, Path]:
    if csv is not None and hdf5 is not None:
        return csv, hdf5
    if path.is_dir():
        folder = path
        csvs = sorted(folder.glob("*.csv"))
        h5s = sorted([*folder.glob("*.hdf5"), *folder.glob("*.h5")])
    else:
        folder = path.parent
        if path.suffix.lower() == ".csv":
            csv = csv or path
        elif path.suffix.lower() in {".hdf5", ".h5"}:
            hdf5 = hdf5 or path
        else:
            raise DataError("a STEAD dataset is a .csv plus a .hdf5 file", path=path)
        csvs = sorted(folder.glob("*.csv"))
        h5s = sorted([*folder.glob("*.hdf5"), *folder.glob("*.h5")])
    if csv is None:
        same_stem = [p for p in csvs if hdf5 is not None and p.stem == hdf5.stem]
        candidates = same_stem or csvs
        if len(candidates) != 1:
            raise DataError(
                f"expected one STEAD metadata CSV, found {len(candidates)}; pass csv=",
                path=folder,
            )
        csv = candidates[0]
    if hdf5 is None:
        same_stem = [p for p in h5s if p.stem == csv.stem]
        candidates = same_stem or h5s
        if len(candidates) != 1:
            raise DataError(
                f"expected one STEAD waveform HDF5 file, found {len(candidates)}; pass hdf5=",
                path=folder,
            )
        hdf5 = candidates[0]
    for p in (csv, hdf5):
        if not p.is_file():
            raise DataError("missing file of a STEAD dataset", path=p)
    return csv, hdf5


class SteadLoader:
    """Reads STEAD traces (``(6000, 3)`` E, N, Z) wherever they sit in the HDF5 file.

    The file is opened on first use (and reopened after a fork); the name ->
    path index of traces outside ``data/`` is built by one walk, only if needed.

    Parameters
    ----------
    path : Path
        The HDF5 file.
    target_order : str
        Component order to return (default ``"ZNE"``).
    """

    def __init__(self, path: Path, target_order: str = "ZNE", csv_path: Path | None = None) -> None:
        self.path = path
        self.csv_path = csv_path
        self.permutation = [STEAD_COMPONENT_ORDER.index(c) for c in target_order]
        self._handle: h5py.File | None = None
        self._index: dict[str, str] | None = None
        self._pid = os.getpid()

    def _file(self) -> h5py.File:
        if self._pid != os.getpid():  # h5py handles must not cross a fork
            self._handle, self._pid = None, os.getpid()
        if self._handle is None:
            self._handle = open_hdf5(self.path)
        return self._handle

    def _build_index(self, handle: h5py.File) -> dict[str, str]:
        index: dict[str, str] = {}

        def visit(name: str, node: object) -> None:
            if isinstance(node, h5py.Dataset):
                index.setdefault(name.rsplit("/", 1)[-1], name)

        guarded(lambda: handle.visititems(visit), self.path, doing="walk the HDF5 file")
        return index

    def locate(self, trace_name: str) -> str:
        """HDF5 path of a trace, or raise :class:`DataError`."""
        handle = self._file()
        direct = f"data/{trace_name}"
        try:
            resolve(handle, direct, self.path, trace_name)
            return direct
        except MissingObject:
            pass
        if self._index is None:
            self._index = self._build_index(handle)
        try:
            return self._index[trace_name]
        except KeyError:
            listed = f" (the name comes from {self.csv_path})" if self.csv_path else ""
            raise DataError(
                f"metadata row has no waveform in the file{listed}", self.path, trace_name
            ) from None

    def load(self, row: pd.Series) -> np.ndarray:
        name = str(row[schema.TRACE_NAME])
        node = resolve(self._file(), self.locate(name), self.path, name)
        data = read_waveform(node, (), self.path, name)
        if data.ndim != 2 or 3 not in data.shape:
            raise DataError(
                f"waveform has shape {data.shape}, expected (6000, 3): 3 channels (E, N, Z)",
                self.path,
                name,
                check="channel_count" if data.ndim == 2 else None,
            )
        if data.shape[1] != 3:  # tolerate (3, N) files
            data = data.T
        return np.ascontiguousarray(data.T[self.permutation])

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _map_snr(meta: pd.DataFrame, csv_path: Path) -> pd.DataFrame:
    values = np.full((len(meta), 3), np.nan)
    for i, (name, text) in enumerate(zip(meta[schema.TRACE_NAME], meta["snr_db"], strict=True)):
        try:
            numbers = parse_number_list(text)
        except ValueError as exc:
            raise DataError(f"malformed snr_db: {exc}", csv_path, str(name)) from None
        if numbers and len(numbers) != 3:
            raise DataError(
                f"snr_db has {len(numbers)} values, expected 3 (E, N, Z)", csv_path, str(name)
            )
        if numbers:
            values[i] = numbers
    for k, comp in enumerate(STEAD_COMPONENT_ORDER.lower()):
        meta[f"trace_snr_db_{comp}"] = values[:, k]
    finite = np.where(np.isfinite(values), values, np.nan)
    with np.errstate(all="ignore"):
        count = np.isfinite(finite).sum(axis=1)
        mean = np.nansum(finite, axis=1) / np.where(count > 0, count, 1)
    meta[schema.SNR_DB] = np.where(count > 0, mean, np.nan)
    return meta.drop(columns="snr_db")


def read_stead(
    path: str | os.PathLike,
    csv: str | os.PathLike | None = None,
    hdf5: str | os.PathLike | None = None,
    component_order: str = "ZNE",
    sampling_rate: float = STEAD_SAMPLING_RATE_HZ,
) -> WaveformDataset:
    """Open a STEAD-format dataset (metadata in memory, waveforms lazy).

    Parameters
    ----------
    path : path-like
        A folder with one CSV and one HDF5 file, or either file (the other is
        found beside it: same stem, else the only one of its kind).
    csv, hdf5 : path-like, optional
        The two files, if they cannot be found from ``path``.
    component_order : str
        Component order of the returned waveforms (``"ZNE"``).
    sampling_rate : float, Hz
        STEAD is 100 Hz; the CSV has no rate column.

    Returns
    -------
    WaveformDataset
    """
    root = Path(path)
    if not root.exists():
        raise DataError("no such file or folder", path=root)
    if root.is_dir() and not any(root.iterdir()):
        raise DataError("the folder is empty", path=root)
    csv_path, h5_path = _find_files(
        root, None if csv is None else Path(csv), None if hdf5 is None else Path(hdf5)
    )
    meta = read_csv_table(
        csv_path, "STEAD metadata CSV", required=(schema.TRACE_NAME,), names=(schema.TRACE_NAME,)
    )
    open_hdf5(h5_path).close()  # a damaged waveform file is reported now, not at the first trace
    meta = meta.rename(columns={k: v for k, v in COLUMN_MAP.items() if k in meta.columns})
    if "snr_db" in meta.columns:
        meta = _map_snr(meta, csv_path)
    if "trace_coda_end_sample" in meta.columns:
        meta["trace_coda_end_sample"] = [_first_number(t) for t in meta["trace_coda_end_sample"]]
    for column in (schema.P_ARRIVAL, schema.S_ARRIVAL, schema.BACK_AZIMUTH):
        if column in meta.columns:
            meta[column] = pd.to_numeric(meta[column], errors="coerce")
    meta[schema.SAMPLING_RATE] = float(sampling_rate)
    meta[schema.COMPONENT_ORDER] = component_order
    if schema.AVAILABLE_COMPONENTS not in meta.columns:
        meta[schema.AVAILABLE_COMPONENTS] = "ZNE"
    loader = SteadLoader(h5_path, component_order, csv_path)
    return WaveformDataset(meta, loader, name=str(h5_path), component_order=component_order)


def _first_number(text: object) -> float:
    # The coda end is an auxiliary label: an unreadable one becomes NaN, not an error.
    try:
        numbers = parse_number_list(text)
    except ValueError:
        return float("nan")
    return numbers[0] if numbers else float("nan")
