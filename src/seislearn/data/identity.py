"""Trace identity: the name a user knows a trace by, and its SeisBench name.

After ``seislearn data convert`` a SeisBench copy names each trace by its
place in the HDF5 file (``bucket0_0$3,:3,:6000``) and keeps the name the trace
had in the user's archive (the STEAD ``trace_name``, the NPZ file name, the
MiniSEED id) in ``trace_name_original``. Every per-trace output of seislearn
names the trace the user's way:

* ``trace_name``: the user's name, i.e. ``trace_name_original`` where present
  and non-empty, else ``trace_name``;
* ``trace_name_seisbench``: the name inside the SeisBench file, written only
  when it differs from the user's name on at least one row (a dataset that was
  never converted has one name, and one column).

Files written before this convention have only ``trace_name`` (the SeisBench
name); :func:`lookup_names` reads both kinds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from seislearn.data import schema

#: The column of the user's own name, kept by the SeisBench writer.
ORIGINAL: str = "trace_name_original"
#: The output column of the name inside the SeisBench file (only when it differs).
SEISBENCH: str = "trace_name_seisbench"


def _clean(values: pd.Series) -> np.ndarray:
    """Strings, with missing values as empty strings (not ``'nan'``)."""
    return values.astype(object).where(values.notna(), "").astype(str).str.strip().to_numpy()


def seisbench_names(metadata: pd.DataFrame) -> np.ndarray:
    """The ``trace_name`` column as strings (the name the waveform is stored under)."""
    return _clean(metadata[schema.TRACE_NAME])


def user_names(metadata: pd.DataFrame) -> np.ndarray:
    """The user's name of each trace: ``trace_name_original`` where non-empty, else ``trace_name``.

    Parameters
    ----------
    metadata : DataFrame, with ``trace_name`` and optionally ``trace_name_original``

    Returns
    -------
    ndarray of str, one name per row
    """
    stored = seisbench_names(metadata)
    if ORIGINAL not in metadata.columns:
        return stored
    original = _clean(metadata[ORIGINAL])
    return np.where(original != "", original, stored)


def identity_columns(metadata: pd.DataFrame) -> pd.DataFrame:
    """The identity columns of a per-trace output: ``trace_name`` and maybe ``trace_name_seisbench``.

    ``trace_name_seisbench`` is present when any row's SeisBench name differs
    from its user's name; it is then filled on every row. The index is a fresh
    ``RangeIndex``, so the frame can be joined to arrays in row order.
    """
    user, stored = user_names(metadata), seisbench_names(metadata)
    table = pd.DataFrame({schema.TRACE_NAME: user})
    if (user != stored).any():
        table[SEISBENCH] = stored
    return table


def per_trace_table(
    metadata: pd.DataFrame,
    values: dict[str, object] | None = None,
    keep: list[str] | tuple[str, ...] = (),
) -> pd.DataFrame:
    """A per-trace output table: the user's ``trace_name`` first, ``trace_name_seisbench`` last.

    The SeisBench name goes last, so tables read by column position before it
    existed (``trace_name``, then the results) still read the same.

    Parameters
    ----------
    metadata : DataFrame, one row per output row
    values : columns to add after the name (arrays of the same length, or scalars)
    keep : metadata columns to copy after ``values`` (those absent are left out)
    """
    identity = identity_columns(metadata)
    table = identity[[schema.TRACE_NAME]].copy()
    for column, value in (values or {}).items():
        table[column] = value.to_numpy() if isinstance(value, pd.Series) else value
    for column in keep:
        if column in metadata.columns and column not in table.columns:
            table[column] = metadata[column].to_numpy()
    if SEISBENCH in identity.columns:
        table[SEISBENCH] = identity[SEISBENCH].to_numpy()
    return table


def lookup_names(table: pd.DataFrame) -> np.ndarray:
    """The SeisBench names a saved per-trace table refers to (its own, or ``trace_name`` if old)."""
    column = SEISBENCH if SEISBENCH in table.columns else schema.TRACE_NAME
    return _clean(table[column])


def display_names(metadata: pd.DataFrame, width: int = 40) -> np.ndarray:
    """The user's names shortened to ``width`` characters for figure titles (the end is kept)."""
    names = user_names(metadata)
    return np.array([n if len(n) <= width else "..." + n[-(width - 3) :] for n in names], dtype=str)


def message_names(metadata: pd.DataFrame) -> np.ndarray:
    """Names for messages: ``user's (SeisBench name)`` where they differ, else the one name."""
    user, stored = user_names(metadata), seisbench_names(metadata)
    return np.array(
        [u if u == s else f"{u} (SeisBench {s})" for u, s in zip(user, stored, strict=True)],
        dtype=object,
    )
