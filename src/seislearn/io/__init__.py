"""Readers and writers, one module per format; :func:`read_dataset` picks one by looking.

Every reader returns a :class:`~seislearn.data.dataset.WaveformDataset` with
SeisBench column names and float32 ``(C, N)`` waveforms in ZNE order.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from seislearn.errors import DataError

if TYPE_CHECKING:
    from seislearn.data.dataset import WaveformDataset

Format = Literal["auto", "seisbench", "stead", "npz", "obspy"]
FORMATS: tuple[str, ...] = ("auto", "seisbench", "stead", "npz", "obspy")
OBSPY_SUFFIXES = {".mseed", ".miniseed", ".ms", ".sac", ".seed", ".gse2", ".segy", ".sgy", ".msd"}


def detect_format(path: str | os.PathLike) -> str:
    """Guess the format of a dataset path (a folder or a file).

    Raises
    ------
    DataError
        If the path does not exist, is an empty folder, or matches no format.
    """
    root = Path(path)
    if not root.exists():
        raise DataError("no such file or folder", path=root)
    if root.is_file():
        if root.suffix.lower() in {".hdf5", ".h5", ".csv"}:
            return "stead"
        return "obspy"
    entries = list(root.iterdir())
    if not entries:
        raise DataError("the folder is empty", path=root)
    if (root / "chunks").is_file() or (
        any(root.glob("metadata*.csv")) and any(root.glob("waveforms*.hdf5"))
    ):
        return "seisbench"
    csvs = list(root.glob("*.csv"))
    h5s = list(root.glob("*.hdf5")) + list(root.glob("*.h5"))
    if csvs and h5s:
        return "stead"
    if csvs and (any(root.glob("*.npz")) or any(root.glob("*/*.npz"))):
        return "npz"
    if any(p.is_file() and p.suffix.lower() in OBSPY_SUFFIXES for p in root.rglob("*")):
        return "obspy"
    raise DataError(
        "cannot tell the dataset format (expected SeisBench metadata.csv + waveforms.hdf5, "
        "STEAD CSV + HDF5, an NPZ folder with its index CSV, or MiniSEED/SAC files); "
        "pass --format",
        path=root,
    )


def read_dataset(
    path: str | os.PathLike, format: str = "auto", **kwargs: object
) -> WaveformDataset:
    """Open a dataset in any supported format.

    Parameters
    ----------
    path : path-like
        Folder or file.
    format : {"auto", "seisbench", "stead", "npz", "obspy"}
        ``auto`` looks at the files.
    **kwargs
        Passed to the format's reader.
    """
    fmt = detect_format(path) if format == "auto" else format
    if fmt == "seisbench":
        from seislearn.io.seisbench import read_seisbench

        return read_seisbench(path, **kwargs)  # type: ignore[arg-type]
    if fmt == "npz":
        from seislearn.io.npz import read_npz_folder

        return read_npz_folder(path, **kwargs)  # type: ignore[arg-type]
    if fmt == "stead":
        from seislearn.io.stead import read_stead

        return read_stead(path, **kwargs)  # type: ignore[arg-type]
    if fmt == "obspy":
        from seislearn.io.obspy_files import read_obspy_files

        return read_obspy_files(path, **kwargs)  # type: ignore[arg-type]
    raise DataError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}", path=path)
