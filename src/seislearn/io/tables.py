"""One guarded CSV reader for every table a reader takes from a user's files.

Metadata CSVs (SeisBench, STEAD), the NPZ index and pick tables all go through
:func:`read_csv_table`, so every way a CSV can be bad (empty, a header without
rows, not UTF-8 text, unparseable, a column missing, a cell of megabytes) is
one :class:`~seislearn.errors.DataError` naming the file, never a pandas
traceback. :func:`read_csv_header` reads only the column names, for format
detection.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from seislearn.errors import DataError
from seislearn.io.limits import max_cell_chars

#: What pandas and the csv module raise on bad text (beyond DataError's own cases).
_PARSE_ERRORS = (
    pd.errors.ParserError,
    pd.errors.EmptyDataError,
    UnicodeError,
    ValueError,
    OverflowError,
    TypeError,
    csv.Error,
    MemoryError,
)


def read_csv_header(path: str | os.PathLike, max_bytes: int = 65536) -> list[str] | None:
    """Column names of a CSV file (its first line), or None if it is not readable text.

    Reads at most ``max_bytes``: detection must stay cheap on large files.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(max_bytes)
    except OSError:
        return None
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if not text.strip() or "\x00" in text:
        return None
    try:
        return [c.strip() for c in next(csv.reader([text]))]
    except (csv.Error, StopIteration):
        return None


def read_csv_table(
    path: str | os.PathLike,
    what: str = "CSV",
    required: Sequence[str] = (),
    allow_empty: bool = False,
    names: Sequence[str] = (),
    **read_csv_kwargs: object,
) -> pd.DataFrame:
    """Read a CSV file into a DataFrame, or raise one clear :class:`DataError` naming it.

    Parameters
    ----------
    path : path-like
        The CSV file.
    what : str
        What the file is, for messages (``"metadata CSV"``, ``"pick CSV"``, ...).
    required : sequence of str
        Columns that must be present.
    allow_empty : bool
        Accept a header without rows (default: that is an error).
    names : sequence of str
        Columns that name things (``trace_name``, ``fname``): read as text,
        and a row without one is an error.
    **read_csv_kwargs
        Passed to :func:`pandas.read_csv`.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    DataError
        If the file is missing, empty, not UTF-8 text, not parseable as CSV,
        has no rows (unless ``allow_empty``), lacks a required column, has
        a cell (or column name) longer than
        :func:`~seislearn.io.limits.max_cell_chars` characters, or a number
        too large for a float (e.g. 5,000 digits).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DataError(f"cannot read {what}: {exc.strerror or exc}", path=path) from None
    if size == 0:
        raise DataError(f"{what} is empty (0 bytes)", path=path)
    kwargs: dict = {"low_memory": False, "encoding": "utf-8", **read_csv_kwargs}
    if names:
        kwargs["converters"] = {c: str for c in names}
    try:
        table = pd.read_csv(path, **kwargs)
    except pd.errors.EmptyDataError:
        raise DataError(f"{what} holds no columns (blank text)", path=path) from None
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{what} is not UTF-8 text (byte {exc.start}: {exc.reason}); is it a CSV file?",
            path=path,
        ) from None
    except OSError as exc:
        raise DataError(f"cannot read {what}: {exc}", path=path) from None
    except _PARSE_ERRORS as exc:
        raise DataError(f"cannot parse {what}: {_short(exc)}", path=path) from None
    _check_cells(table, path, what)
    table = _big_integers_as_floats(table)
    missing = [c for c in required if c not in table.columns]
    if missing:
        seen = ", ".join(_clip(str(c)) for c in list(table.columns)[:12])
        more = "" if len(table.columns) <= 12 else f", ... ({len(table.columns)} columns)"
        raise DataError(
            f"{what} has no {', '.join(repr(c) for c in missing)} column "
            f"(columns seen: {seen}{more})",
            path=path,
        )
    if table.empty and not allow_empty:
        raise DataError(f"{what} has a header but no rows", path=path)
    for column in names:
        if column not in table.columns:
            continue
        text = table[column].astype(object)
        blank = text.isna() | (text.map(lambda v: str(v).strip()) == "")
        if blank.any():
            row = int(blank.to_numpy().argmax())
            raise DataError(f"{what}: row {row + 1} has no {column}", path=path)
        table[column] = text.map(str)
    return table


def _check_cells(table: pd.DataFrame, path: Path, what: str) -> None:
    limit = max_cell_chars()
    for column in table.columns:
        if len(str(column)) > limit:
            raise DataError(
                f"{what} has a column name of {len(str(column))} characters "
                f"(limit {limit}): not a metadata table?",
                path=path,
            )
    for column in table.columns:
        values = table[column]
        if values.dtype.kind == "f":
            infinite = np.isinf(values.to_numpy())
            if infinite.any():
                row = int(infinite.argmax())
                raise DataError(
                    f"{what}: row {row + 1}, column {_clip(str(column))!r} holds a number "
                    "too large for a float (or 'inf'): damaged?",
                    path=path,
                )
            continue
        if values.dtype.kind in "biucmM":
            continue
        lengths = values.map(_cell_chars)
        if len(lengths) and int(lengths.max()) > limit:
            row = int(lengths.to_numpy().argmax())
            raise DataError(
                f"{what}: row {row + 1}, column {_clip(str(column))!r} holds "
                f"{int(lengths.max())} characters (limit {limit}; set "
                "SEISLEARN_MAX_CELL_CHARS to raise it)",
                path=path,
            )


def _cell_chars(value: object) -> int:
    """Characters of a cell as written (integers beyond int64 count their digits)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(abs(value).bit_length() * 0.30103) + 1  # str() of 4,300+ digits raises
    return 0


def _big_integers_as_floats(table: pd.DataFrame) -> pd.DataFrame:
    """Columns where pandas kept integers beyond int64 as Python ints become floats (or inf).

    Otherwise every later ``pd.to_numeric`` on them raises ``OverflowError``.
    """
    for column in table.columns:
        values = table[column]
        if values.dtype != object:
            continue
        big = values.map(lambda v: isinstance(v, int) and not isinstance(v, bool))
        if big.any():
            table[column] = values.map(_as_float)
    return table


def _as_float(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return float("inf") if value > 0 else float("-inf")
    return value


def _clip(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _short(exc: BaseException, n: int = 300) -> str:
    return _clip(" ".join(str(exc).split()) or type(exc).__name__, n)
