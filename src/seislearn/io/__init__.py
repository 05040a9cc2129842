"""Readers and writers, one module per format; :func:`read_dataset` picks one by content.

Every reader returns a :class:`~seislearn.data.dataset.WaveformDataset` with
SeisBench column names and float32 ``(C, N)`` waveforms in ZNE order.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Literal

from seislearn.errors import DataError
from seislearn.io.detection import OBSPY_SUFFIXES, detect_format

__all__ = ["FORMATS", "OBSPY_SUFFIXES", "Format", "detect_format", "read_dataset"]

if TYPE_CHECKING:
    from seislearn.data.dataset import WaveformDataset

Format = Literal["auto", "seisbench", "stead", "npz", "obspy"]
FORMATS: tuple[str, ...] = ("auto", "seisbench", "stead", "npz", "obspy")


def read_dataset(
    path: str | os.PathLike, format: str = "auto", **kwargs: object
) -> WaveformDataset:
    """Open a dataset in any supported format.

    Parameters
    ----------
    path : path-like
        Folder or file.
    format : {"auto", "seisbench", "stead", "npz", "obspy"}
        ``auto`` looks at what the files hold (:func:`detect_format`).
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
