"""Limits on what a reader accepts from a file before it allocates memory for it.

A file states sizes (an HDF5 dataset's shape, an ``.npy`` header) that a
reader would otherwise trust: a few bytes declaring a ``(3, 3e9)`` float64
trace make NumPy allocate 67 GiB before any data is read. Every reader checks
the declared size of a trace with :func:`check_trace_size` first, and its
type with :func:`check_numeric_dtype`.

The limits can be raised for unusual data with the environment variables
``SEISLEARN_MAX_TRACE_BYTES`` and ``SEISLEARN_MAX_CELL_CHARS``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np

from seislearn.errors import DataError

#: Largest trace (declared samples x max(stored item size, 4 bytes of float32)), bytes.
#: 512 MiB is 3 channels of 16 days at 100 Hz in float32.
DEFAULT_MAX_TRACE_BYTES = 512 * 2**20
#: Longest text of one CSV cell (or column name), characters. Real metadata cells are
#: short; a longer one is damage (or a 5,000-digit "number").
DEFAULT_MAX_CELL_CHARS = 1024


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        parsed = int(float(value))
    except ValueError:
        return default
    return parsed if parsed > 0 else default


def max_trace_bytes() -> int:
    """The trace size limit in bytes (``SEISLEARN_MAX_TRACE_BYTES`` or 512 MiB)."""
    return _env_int("SEISLEARN_MAX_TRACE_BYTES", DEFAULT_MAX_TRACE_BYTES)


def max_cell_chars() -> int:
    """The CSV cell length limit in characters (``SEISLEARN_MAX_CELL_CHARS`` or 1024)."""
    return _env_int("SEISLEARN_MAX_CELL_CHARS", DEFAULT_MAX_CELL_CHARS)


def check_numeric_dtype(dtype: np.dtype, path: object = None, trace: str | None = None) -> None:
    """Refuse waveform storage that is not real numbers (text, compound, objects, complex).

    Raises
    ------
    DataError
        Naming the file, the trace and the stored type.
    """
    if np.dtype(dtype).kind not in "biuf":
        raise DataError(
            f"waveform is stored as {np.dtype(dtype)!s} ({_kind_name(np.dtype(dtype))}), "
            "expected numbers",
            path,
            trace,
        )


def _kind_name(dtype: np.dtype) -> str:
    return {
        "S": "bytes",
        "U": "text",
        "O": "objects or variable-length text",
        "V": "compound or opaque records",
        "c": "complex numbers",
        "M": "dates",
        "m": "time spans",
    }.get(dtype.kind, dtype.kind)


def check_trace_size(
    shape: Sequence[int],
    dtype: np.dtype,
    path: object = None,
    trace: str | None = None,
    limit: int | None = None,
) -> None:
    """Refuse a trace whose declared size exceeds the limit, before it is read.

    Parameters
    ----------
    shape : sequence of int
        Declared shape of what would be read.
    dtype : numpy.dtype
        Stored type; the check counts at least 4 bytes a sample (the float32 output).
    path, trace
        Named in the error.
    limit : int, optional, bytes
        Defaults to :func:`max_trace_bytes`.

    Raises
    ------
    DataError
        If the trace would need more than ``limit`` bytes.
    """
    limit = max_trace_bytes() if limit is None else limit
    samples = math.prod(int(n) for n in shape)
    needed = samples * max(int(np.dtype(dtype).itemsize), 4)
    if needed > limit:
        raise DataError(
            f"waveform declares shape {tuple(int(n) for n in shape)} of {np.dtype(dtype)!s} "
            f"({_size(needed)}), over the limit of {_size(limit)} a trace "
            "(set SEISLEARN_MAX_TRACE_BYTES to raise it)",
            path,
            trace,
        )


def _size(n: int) -> str:
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{n} bytes"
