"""Train/dev/test splits by event, by time, or random, and k-fold by event.

Splitting by trace lets one event's recordings (or a time-ordered sequence's
neighbours) sit on both sides and overstates accuracy; the default here is by
event (``source_id``), so every trace of one event lands in the same split.

Where ``source_id`` is missing, the event is identified by
``source_origin_time``, else by the source coordinates plus the trace start
times (:func:`derive_event_ids`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import numpy as np
import pandas as pd

from seislearn.data import schema
from seislearn.errors import DataError

SplitMethod = Literal["event", "time", "random"]


#: Traces of one source location whose start times lie closer than this belong to one event.
EVENT_GAP_S = 600.0


def derive_event_ids(metadata: pd.DataFrame, gap_s: float = EVENT_GAP_S) -> pd.Series | None:
    """Event ids from source coordinates and trace start times, for data without ``source_id``.

    Traces with the same source latitude, longitude (and depth, if present),
    rounded to 1e-4 degrees / 0.1 km, whose ``trace_start_time`` values follow
    each other within ``gap_s`` seconds, get one id such as
    ``"-20.4380,-69.2768,83.2@2007-01-01T01:42:45"`` (location @ first start).
    Grouping by gaps rather than by rounded times never cuts one event in two at
    a rounding boundary. A trace without coordinates or start time is its own
    event (``"trace:<trace_name>"``).

    Returns
    -------
    pandas.Series of str, or None if the columns are missing
    """
    needed = (schema.SOURCE_LATITUDE, schema.SOURCE_LONGITUDE, schema.START_TIME)
    if not all(c in metadata.columns for c in needed):
        return None
    lat = pd.to_numeric(metadata[schema.SOURCE_LATITUDE], errors="coerce").round(4)
    lon = pd.to_numeric(metadata[schema.SOURCE_LONGITUDE], errors="coerce").round(4)
    depth = (
        pd.to_numeric(metadata[schema.SOURCE_DEPTH], errors="coerce").round(1)
        if schema.SOURCE_DEPTH in metadata.columns
        else pd.Series(0.0, index=metadata.index)
    )
    start = pd.to_datetime(metadata[schema.START_TIME], utc=True, errors="coerce", format="mixed")
    ids = "trace:" + metadata[schema.TRACE_NAME].astype(str)
    ok = lat.notna() & lon.notna() & start.notna()
    frame = pd.DataFrame({"lat": lat, "lon": lon, "depth": depth.fillna(-999.0), "start": start})[
        ok
    ]
    for (la, lo, de), group in frame.groupby(["lat", "lon", "depth"], sort=False):
        group = group.sort_values("start")
        new_event = group["start"].diff().dt.total_seconds().fillna(np.inf) > gap_s
        first = group["start"].where(new_event).ffill()
        location = f"{la:.4f},{lo:.4f}" + ("" if de == -999.0 else f",{de:.1f}")
        ids.loc[group.index] = [f"{location}@{t.strftime('%Y-%m-%dT%H:%M:%S')}" for t in first]
    return ids.rename(schema.SOURCE_ID)


def event_ids(metadata: pd.DataFrame) -> np.ndarray:
    """Per row: ``source_id``, else ``source_origin_time``, else :func:`derive_event_ids`.

    Rows without any of these (e.g. noise traces) are each their own event.
    """
    if schema.SOURCE_ID in metadata.columns and metadata[schema.SOURCE_ID].notna().all():
        return metadata[schema.SOURCE_ID].astype(str).to_numpy()
    sources: list[tuple[str, pd.Series]] = []
    if schema.SOURCE_ID in metadata.columns:
        sources.append(("id:", metadata[schema.SOURCE_ID]))
    if schema.SOURCE_ORIGIN_TIME in metadata.columns:
        sources.append(("origin:", metadata[schema.SOURCE_ORIGIN_TIME]))
    derived = derive_event_ids(metadata)
    if derived is not None:
        sources.append(("", derived))
    if not sources:
        raise DataError(
            "cannot split by event: metadata has no 'source_id', no 'source_origin_time', and "
            "no source coordinates with 'trace_start_time'; use split='time' or 'random'"
        )
    ids = "trace:" + metadata[schema.TRACE_NAME].astype(str)
    for prefix, column in reversed(sources):  # the first source present wins
        present = column.notna()
        ids[present] = prefix + column[present].astype(str)
    return ids.to_numpy()


def _time_key(metadata: pd.DataFrame) -> pd.Series:
    for column in (schema.SOURCE_ORIGIN_TIME, schema.START_TIME):
        if column in metadata.columns:
            parsed = pd.to_datetime(metadata[column], utc=True, errors="coerce", format="mixed")
            if parsed.notna().all():
                return parsed
            bad = metadata.loc[parsed.isna(), schema.TRACE_NAME].head(3).tolist()
            raise DataError(
                f"cannot split by time: unreadable times in {column!r} for traces {bad}"
            )
    raise DataError("cannot split by time: no 'source_origin_time' or 'trace_start_time' column")


def assign_splits(
    metadata: pd.DataFrame,
    method: SplitMethod = "event",
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
    seed: int = 0,
) -> pd.Series:
    """Return a ``split`` column (train/dev/test) for ``metadata``.

    Parameters
    ----------
    metadata : DataFrame
    method : {"event", "time", "random"}
        ``event``: events shuffled (seeded) and assigned whole;
        ``time``: the earliest events train, the latest test;
        ``random``: traces shuffled (only for data without events).
    fractions : tuple of 3 floats
        Train, dev and test fractions (of events, or traces for ``random``).
    seed : int
    """
    frac = np.asarray(fractions, dtype=float)
    if frac.shape != (3,) or (frac < 0).any() or frac.sum() <= 0:
        raise ValueError(f"fractions must be three non-negative numbers; got {fractions}")
    frac = frac / frac.sum()
    rng = np.random.default_rng(seed)
    if method == "random":
        groups = np.arange(len(metadata)).astype(str)
        order = rng.permutation(np.unique(groups))
    elif method == "event":
        groups = event_ids(metadata)
        order = rng.permutation(np.unique(groups))
    elif method == "time":
        groups = (
            event_ids(metadata)
            if schema.SOURCE_ID in metadata.columns
            else np.arange(len(metadata)).astype(str)
        )
        first = pd.Series(_time_key(metadata).to_numpy()).groupby(groups).min().sort_values()
        order = first.index.to_numpy()
    else:
        raise ValueError(f"unknown split method {method!r}")
    bounds = np.round(np.cumsum(frac) * len(order)).astype(int)
    label_of = {}
    for k, g in enumerate(order):
        label_of[g] = schema.SPLITS[int(np.searchsorted(bounds, k, side="right"))]
    return pd.Series([label_of[g] for g in groups], index=metadata.index, name=schema.SPLIT)


def kfold_by_event(
    metadata: pd.DataFrame, k: int = 5, seed: int = 0
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(train_idx, test_idx)`` position arrays for k folds, whole events per fold."""
    from sklearn.model_selection import GroupKFold

    groups = event_ids(metadata)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(metadata))
    for train, test in GroupKFold(n_splits=k).split(perm, groups=groups[perm]):
        yield np.sort(perm[train]), np.sort(perm[test])


def check_no_event_leak(metadata: pd.DataFrame) -> None:
    """Raise :class:`DataError` if one event has traces in more than one split."""
    if schema.SPLIT not in metadata.columns:
        return
    groups = event_ids(metadata)
    n_splits = pd.Series(metadata[schema.SPLIT].to_numpy()).groupby(groups).nunique()
    leaked = n_splits[n_splits > 1]
    if len(leaked):
        raise DataError(
            f"{len(leaked)} events have traces in more than one split (e.g. {list(leaked.index[:3])}); "
            "re-split by event"
        )
