"""ObsPy-readable files (MiniSEED, SAC, GSE2, ...) and ObsPy ``Stream`` objects.

Traces are grouped into one 3-component record per station
(``NET.STA.LOC.band``, e.g. ``CI.PAS..HH``) and per time window (traces of a
station that overlap in time belong together). Each record is:

* mapped to Z, N, E by the last letter of the channel code. ``1``/``2``
  channels are rotated to N/E with the inventory's azimuth and dip
  (:meth:`obspy.core.stream.Stream.rotate` ``"->ZNE"``) when a StationXML
  inventory is given, and otherwise taken as N/E with a warning (and
  ``trace_orientation_assumed`` = True);
* resampled to a common rate (the lowest of its channels) if they differ, and
  trimmed to the common start and end;
* given SeisBench metadata: station codes, start time, rate, and from SAC
  headers the event origin (``o``), P and S picks (``a``, ``t0``, or the
  phase named in ``ka``/``kt0``), event and station coordinates
  (``evla``, ``evlo``, ``evdp``, ``stla``, ``stlo``, ``stel``), ``baz``,
  ``dist`` and ``mag``. StationXML gives station coordinates; a pick table
  (CSV with ``station``/``trace_id``, ``phase``, ``time``) or a QuakeML
  catalogue (pick ``waveform_id`` + ``phase_hint``, and the event's origin and
  magnitude) gives picks.

A component that was not recorded is stored as zeros **and** left out of
``trace_available_components``, so no check or model takes those zeros for
signal. A file that cannot be read (corrupt or truncated MiniSEED, ...) raises
:class:`DataError` naming it, or is skipped and listed with ``on_error="skip"``
(see ``dataset.skipped``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from seislearn.data import schema
from seislearn.data.dataset import ArrayLoader, WaveformDataset
from seislearn.errors import DataError

if TYPE_CHECKING:
    from obspy import Inventory, Stream, Trace, UTCDateTime
    from obspy.core.event import Catalog

#: ObsPy warnings that mean a file is damaged, not merely unusual.
_DAMAGE_WORDS = ("end of file", "not a seed record", "last record", "incomplete", "corrupt")
_SAC_UNDEFINED = -12345.0
_FILE_ATTR = "seislearn_file"


# -- reading files ------------------------------------------------------------------
def _expand(path_or_paths: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    from seislearn.io import OBSPY_SUFFIXES

    items = [path_or_paths] if isinstance(path_or_paths, str | os.PathLike) else list(path_or_paths)
    files: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in OBSPY_SUFFIXES
            )
            if not found:
                raise DataError(
                    "no MiniSEED/SAC files (by suffix) in the folder"
                    if any(p.iterdir())
                    else "the folder is empty",
                    path=p,
                )
            files += found
        elif p.is_file():
            files.append(p)
        else:
            raise DataError("no such file or folder", path=p)
    if not files:
        raise DataError("no waveform files given")
    return files


def read_waveform_file(path: Path) -> Stream:
    """Read one file with :func:`obspy.read`; damage becomes a :class:`DataError` naming it."""
    import obspy

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            stream = obspy.read(str(path))
        except Exception as exc:  # ObsPy raises bare Exception, TypeError, its own errors
            raise DataError(f"cannot read waveform file: {exc}", path=path) from None
    for w in caught:
        if any(word in str(w.message).lower() for word in _DAMAGE_WORDS):
            raise DataError(f"damaged waveform file: {w.message}", path=path)
    if len(stream) == 0:
        raise DataError("the file holds no traces", path=path)
    if all(getattr(tr.stats, "_format", "") == "MSEED" for tr in stream):
        lengths = {int(tr.stats.mseed.record_length) for tr in stream if "mseed" in tr.stats}
        size = path.stat().st_size
        # ObsPy drops a cut-off last record silently: the size tells.
        if len(lengths) == 1 and size % next(iter(lengths)):
            raise DataError(
                f"truncated MiniSEED: {size} bytes is not a whole number of "
                f"{next(iter(lengths))}-byte records",
                path=path,
            )
    for tr in stream:
        _check_header(tr, path)
        tr.stats[_FILE_ATTR] = str(path)
    return stream


def _check_header(tr: Trace, path: Path) -> None:
    """Refuse a trace whose header cannot describe samples (zero or NaN interval, no data)."""
    try:
        delta = float(tr.stats.delta)
        rate = float(tr.stats.sampling_rate)
    except (ZeroDivisionError, TypeError, ValueError, OverflowError):
        delta, rate = 0.0, 0.0
    if not (np.isfinite(delta) and np.isfinite(rate) and delta > 0 and rate > 0):
        raise DataError(
            f"trace {tr.id} has sample interval {tr.stats.delta!r} s: damaged header?", path=path
        )
    if len(tr.data) == 0 or not np.issubdtype(np.asarray(tr.data).dtype, np.number):
        raise DataError(f"trace {tr.id} holds no numeric samples", path=path)


# -- picks and inventories ------------------------------------------------------------
def _load_inventory(inventory: Inventory | str | os.PathLike | None) -> Inventory | None:
    if inventory is None or not isinstance(inventory, str | os.PathLike):
        return inventory
    import obspy

    try:
        return obspy.read_inventory(str(inventory))
    except Exception as exc:
        raise DataError(f"cannot read station metadata: {exc}", path=inventory) from None


def read_picks(picks: Catalog | pd.DataFrame | str | os.PathLike) -> pd.DataFrame:
    """Picks as a table: ``station`` (NET.STA or STA), ``phase`` (P/S), ``time`` (UTCDateTime).

    Parameters
    ----------
    picks : Catalog, DataFrame, or path
        A CSV (columns ``trace_id``/``seed_id``/``station``, ``phase``,
        ``time``) or a QuakeML file; event origin, magnitude and id ride along
        when they come from a catalogue.
    """
    from obspy import UTCDateTime
    from obspy.core.event import Catalog

    source: Path | None = None
    if isinstance(picks, str | os.PathLike):
        path = source = Path(picks)
        if not path.is_file():
            raise DataError("no such pick file", path=path)
        if path.suffix.lower() == ".csv":
            from seislearn.io.tables import read_csv_table

            picks = read_csv_table(path, "pick CSV", required=("phase", "time"), allow_empty=True)
        else:
            import obspy

            try:
                picks = obspy.read_events(str(path))
            except Exception as exc:
                raise DataError(f"cannot read picks (QuakeML): {exc}", path=path) from None
    if isinstance(picks, Catalog):
        rows = []
        for event in picks:
            origin = event.preferred_origin() or (event.origins[0] if event.origins else None)
            magnitude = event.preferred_magnitude() or (
                event.magnitudes[0] if event.magnitudes else None
            )
            for pick in event.picks:
                wid = pick.waveform_id
                rows.append(
                    {
                        "station": f"{wid.network_code or ''}.{wid.station_code}",
                        "phase": pick.phase_hint,
                        "time": pick.time,
                        schema.SOURCE_ID: str(event.resource_id),
                        schema.SOURCE_ORIGIN_TIME: None if origin is None else str(origin.time),
                        schema.SOURCE_LATITUDE: None if origin is None else origin.latitude,
                        schema.SOURCE_LONGITUDE: None if origin is None else origin.longitude,
                        schema.SOURCE_DEPTH: None
                        if origin is None or origin.depth is None
                        else origin.depth / 1000.0,
                        schema.SOURCE_MAGNITUDE: None if magnitude is None else magnitude.mag,
                    }
                )
        return pd.DataFrame(rows, columns=["station", "phase", "time"] if not rows else None)
    table = picks.copy()
    station_col = next(
        (c for c in ("trace_id", "seed_id", "station", "station_id") if c in table.columns), None
    )
    if station_col is None or "phase" not in table.columns or "time" not in table.columns:
        raise DataError(
            "pick table needs columns station (or trace_id), phase and time; "
            f"got {[str(c)[:40] for c in table.columns[:12]]}",
            path=source,
        )
    parts = table[station_col].astype(str).str.split(".")
    table["station"] = parts.map(lambda p: f"{p[0]}.{p[1]}" if len(p) >= 2 else f".{p[0]}")
    times = []
    for row, t in enumerate(table["time"]):
        try:
            times.append(UTCDateTime(str(t)))
        except Exception as exc:  # UTCDateTime raises TypeError, ValueError, its own errors
            raise DataError(
                f"pick table row {row + 1}: unreadable pick time {str(t)[:40]!r} ({exc})",
                path=source,
            ) from None
    table["time"] = times
    return table


def _station_matches(pick_station: str, net: str, sta: str) -> bool:
    pnet, _, psta = pick_station.partition(".")
    return psta == sta and (pnet in ("", net))


# -- grouping and assembling ------------------------------------------------------------
def _component(tr: Trace) -> str:
    return tr.stats.channel[-1:].upper() if tr.stats.channel else "?"


def _group_key(tr: Trace) -> tuple[str, str, str, str]:
    s = tr.stats
    return (s.network, s.station, s.location, s.channel[:2])


def _time_clusters(traces: list[Trace]) -> list[list[Trace]]:
    """Split one station's traces into groups that overlap (or touch) in time."""
    ordered = sorted(traces, key=lambda t: t.stats.starttime)
    clusters: list[list[Trace]] = []
    end: UTCDateTime | None = None
    for tr in ordered:
        if end is None or tr.stats.starttime > end + 1.5 * tr.stats.delta:
            clusters.append([tr])
            end = tr.stats.endtime
        else:
            clusters[-1].append(tr)
            end = max(end, tr.stats.endtime)
    return clusters


#: Metadata column listing overlaps whose samples disagree (empty when there are none).
OVERLAP_CONFLICTS = "trace_overlap_conflicts"


def overlap_conflicts(traces: list[Trace]) -> list[str]:
    """Overlaps between traces of one channel whose samples disagree, as messages.

    Two records of one channel covering the same time with different samples
    (a re-sent packet with other data, a clock jump) cannot both be right;
    merging would silently keep one. Overlaps with identical samples (the same
    data sent twice) are harmless and not listed.

    Parameters
    ----------
    traces : list of obspy.Trace
        Traces of one station and time window.

    Returns
    -------
    list of str
        One message per conflicting overlap (channel, time span, samples, largest difference).
    """
    by_id: dict[str, list[Trace]] = {}
    for tr in traces:
        by_id.setdefault(tr.id, []).append(tr)
    out: list[str] = []
    for ident, group in sorted(by_id.items()):
        group = sorted(group, key=lambda t: t.stats.starttime)
        for k, later in enumerate(group[1:], start=1):
            for earlier in group[:k]:
                rate = earlier.stats.sampling_rate
                if abs(later.stats.sampling_rate - rate) > 1e-6 * rate:
                    continue  # merge reports mixed rates
                start = later.stats.starttime
                end = min(earlier.stats.endtime, later.stats.endtime)
                if end < start:
                    continue
                i = round((start - earlier.stats.starttime) * rate)
                n = round((end - start) * rate) + 1
                a = np.asarray(earlier.data[i : i + n], dtype=np.float64)
                b = np.asarray(later.data[:n], dtype=np.float64)
                n = min(len(a), len(b))
                if n == 0:
                    continue
                diff = np.abs(a[:n] - b[:n])
                if np.all(diff <= 1e-6 * np.maximum(np.abs(a[:n]), 1.0)):
                    continue
                out.append(
                    f"{ident}: {n} overlapping samples {start} - {end} differ "
                    f"({int((diff > 0).sum())} of them, by up to {float(diff.max()):g})"
                )
    return out


def _sac_header(traces: list[Trace]) -> dict[str, float | str]:
    for tr in traces:
        sac = tr.stats.get("sac")
        if sac:
            return {
                k: v
                for k, v in sac.items()
                if not (isinstance(v, int | float) and float(v) == _SAC_UNDEFINED)
                and not (isinstance(v, str) and v.strip() in {"-12345", ""})
            }
    return {}


def _sac_columns(header: dict, tr: Trace, start: UTCDateTime, rate: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # ObsPy sets starttime = reference time + b; SAC times are relative to the reference.
    reference = tr.stats.starttime - float(header.get("b", 0.0))
    if "o" in header:
        out[schema.SOURCE_ORIGIN_TIME] = str(reference + float(header["o"]))
    phases: dict[str, float] = {}
    for key, default in (("a", "P"), ("t0", "S"), ("t1", None)):
        if key not in header:
            continue
        label = str(header.get("k" + key, "") or "").strip().upper()
        phase = label[:1] if label[:1] in ("P", "S") else default
        if phase and phase not in phases:
            phases[phase] = (reference + float(header[key]) - start) * rate
    if "P" in phases:
        out[schema.P_ARRIVAL] = phases["P"]
    if "S" in phases:
        out[schema.S_ARRIVAL] = phases["S"]
    for key, column in (
        ("evla", schema.SOURCE_LATITUDE),
        ("evlo", schema.SOURCE_LONGITUDE),
        ("evdp", schema.SOURCE_DEPTH),
        ("mag", schema.SOURCE_MAGNITUDE),
        ("stla", schema.STATION_LATITUDE),
        ("stlo", schema.STATION_LONGITUDE),
        ("stel", schema.STATION_ELEVATION),
        ("baz", schema.BACK_AZIMUTH),
        ("dist", schema.EP_DISTANCE),
    ):
        if key in header:
            out[column] = float(header[key])
    if schema.SOURCE_DEPTH in out and out[schema.SOURCE_DEPTH] > 1000:
        out[schema.SOURCE_DEPTH] /= 1000.0  # some writers store evdp in metres
    return out


def _assemble(
    traces: list[Trace],
    inventory: Inventory | None,
    component_order: str,
    sampling_rate: float | None,
) -> tuple[np.ndarray, dict[str, Any]]:
    from obspy import Stream

    net, sta, loc, band = _group_key(traces[0])
    ident = f"{net}.{sta}.{loc}.{band}"
    files = sorted({str(tr.stats.get(_FILE_ATTR, "")) for tr in traces} - {""})
    where = ", ".join(files) or None  # a record spans the files of its channels
    conflicts = overlap_conflicts(traces)
    stream = Stream([tr.copy() for tr in traces])
    try:
        stream.merge(method=1)
    except Exception as exc:  # e.g. one channel id at two sampling rates
        raise DataError(f"cannot merge the traces of this record: {exc}", where, ident) from None
    for tr in stream:
        if np.ma.isMaskedArray(tr.data) and np.ma.is_masked(tr.data):
            raise DataError(f"gap in channel {tr.id}; not filled with zeros", where, ident)
        tr.data = np.asarray(tr.data, dtype=np.float64)
    letters = [_component(tr) for tr in stream]
    if len(set(letters)) != len(letters):
        raise DataError(f"several channels with component {letters} in one record", where, ident)
    rate = sampling_rate or min(tr.stats.sampling_rate for tr in stream)
    for tr in stream:
        if abs(tr.stats.sampling_rate - rate) > 1e-6 * rate:
            tr.resample(rate)  # FFT resampling with ObsPy's anti-alias handling
    start = max(tr.stats.starttime for tr in stream)
    end = min(tr.stats.endtime for tr in stream)
    if end <= start:
        raise DataError("the channels of this record do not overlap in time", where, ident)
    stream.trim(start, end, nearest_sample=True)
    orientation_assumed = False
    if any(c in "12" for c in letters):
        if inventory is not None:
            try:
                stream.rotate("->ZNE", inventory=inventory)
            except Exception as exc:
                raise DataError(
                    f"cannot rotate 1/2 channels to N/E with the inventory: {exc}", where, ident
                ) from None
        else:
            warnings.warn(
                f"{ident}: channels 1/2 taken as N/E without orientation metadata "
                "(pass a StationXML inventory to rotate them)",
                stacklevel=3,
            )
            orientation_assumed = True
    by_component: dict[str, np.ndarray] = {}
    for tr in stream:
        c = (
            {"1": "N", "2": "E"}.get(_component(tr), _component(tr))
            if orientation_assumed
            else _component(tr)
        )
        if c in component_order:
            by_component[c] = tr.data
    if not by_component:
        raise DataError(f"no {component_order} channels among {letters}", where, ident)
    npts = min(len(v) for v in by_component.values())
    wave = np.zeros((len(component_order), npts), dtype=np.float32)
    for k, c in enumerate(component_order):
        if c in by_component:
            wave[k] = by_component[c][:npts]
    actual_start = min(tr.stats.starttime for tr in stream)
    row: dict[str, Any] = {
        schema.TRACE_NAME: f"{ident}_{actual_start.strftime('%Y%m%dT%H%M%S.%f')}",
        schema.STATION_NETWORK: net,
        schema.STATION_CODE: sta,
        "station_location_code": loc,
        "station_channel": band,
        schema.START_TIME: str(actual_start),
        schema.SAMPLING_RATE: float(rate),
        "trace_npts": npts,
        schema.AVAILABLE_COMPONENTS: "".join(c for c in component_order if c in by_component),
        schema.COMPONENT_ORDER: component_order,
        "trace_orientation_assumed": orientation_assumed,
        "trace_file": ";".join(files),
        OVERLAP_CONFLICTS: "; ".join(conflicts),
    }
    row.update(_sac_columns(_sac_header(traces), traces[0], actual_start, rate))
    if inventory is not None and schema.STATION_LATITUDE not in row:
        seed_id = next(iter(stream)).id
        try:
            coords = inventory.get_coordinates(seed_id, actual_start)
            row[schema.STATION_LATITUDE] = coords["latitude"]
            row[schema.STATION_LONGITUDE] = coords["longitude"]
            row[schema.STATION_ELEVATION] = coords["elevation"]
        except Exception:
            warnings.warn(f"{ident}: no coordinates for {seed_id} in the inventory", stacklevel=3)
    return wave, row


def _attach_picks(meta: pd.DataFrame, picks: pd.DataFrame) -> None:
    from obspy import UTCDateTime

    extra = [c for c in picks.columns if c.startswith("source_")]
    for i, row in meta.iterrows():
        start = UTCDateTime(row[schema.START_TIME])
        rate = float(row[schema.SAMPLING_RATE])
        end = start + (int(row["trace_npts"]) - 1) / rate
        mine = picks[
            [
                _station_matches(s, row[schema.STATION_NETWORK], row[schema.STATION_CODE])
                for s in picks["station"]
            ]
        ]
        for _, pick in mine.iterrows():
            phase = str(pick["phase"]).strip().upper()[:1]
            if phase not in ("P", "S") or not start <= pick["time"] <= end:
                continue
            column = schema.P_ARRIVAL if phase == "P" else schema.S_ARRIVAL
            if column in meta.columns and pd.notna(meta.at[i, column]):
                continue  # the first pick of a phase in the window wins
            meta.loc[i, column] = (pick["time"] - start) * rate
            for c in extra:
                if pd.notna(pick[c]):
                    meta.loc[i, c] = pick[c]


def _derive_geometry(meta: pd.DataFrame) -> None:
    from obspy.geodetics import gps2dist_azimuth

    needed = (
        schema.SOURCE_LATITUDE,
        schema.SOURCE_LONGITUDE,
        schema.STATION_LATITUDE,
        schema.STATION_LONGITUDE,
    )
    if not all(c in meta.columns for c in needed):
        return
    for column in (schema.BACK_AZIMUTH, schema.EP_DISTANCE):
        if column not in meta.columns:
            meta[column] = np.nan
    for i, row in meta.iterrows():
        values = [pd.to_numeric(row[c], errors="coerce") for c in needed]
        if any(pd.isna(v) for v in values):
            continue
        dist_m, _, baz = gps2dist_azimuth(*values)
        if pd.isna(row[schema.BACK_AZIMUTH]):
            meta.loc[i, schema.BACK_AZIMUTH] = baz
        if pd.isna(row[schema.EP_DISTANCE]):
            meta.loc[i, schema.EP_DISTANCE] = dist_m / 1000.0


def dataset_from_stream(
    stream: Stream,
    picks: Catalog | pd.DataFrame | str | os.PathLike | None = None,
    inventory: Inventory | str | os.PathLike | None = None,
    component_order: str = "ZNE",
    sampling_rate: float | None = None,
    on_error: Literal["raise", "skip"] = "raise",
    name: str = "stream",
) -> WaveformDataset:
    """Group an ObsPy ``Stream`` into 3-component records (one per station and time window).

    Parameters
    ----------
    stream : obspy.Stream
    picks : Catalog, DataFrame or path, optional
        See :func:`read_picks`.
    inventory : Inventory or path, optional
        StationXML: channel orientation (to rotate 1/2 to N/E) and coordinates.
    component_order : str
        Channel order of the returned waveforms.
    sampling_rate : float, optional, Hz
        Resample every record to this rate (default: the lowest rate of each record).
    on_error : {"raise", "skip"}
        A record that cannot be assembled raises, or is left out and listed in
        ``dataset.skipped``.
    name : str
        Label of the dataset.

    Returns
    -------
    WaveformDataset
        Waveforms held in memory.
    """
    inv = _load_inventory(inventory)
    groups: dict[tuple[str, str, str, str], list[Trace]] = {}
    for tr in stream:
        groups.setdefault(_group_key(tr), []).append(tr)
    waves: dict[str, np.ndarray] = {}
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    for key in sorted(groups):
        for cluster in _time_clusters(groups[key]):
            try:
                wave, row = _assemble(cluster, inv, component_order, sampling_rate)
            except DataError as exc:
                if on_error != "skip":
                    raise
                skipped.append(str(exc))
                continue
            waves[row[schema.TRACE_NAME]] = wave
            rows.append(row)
    if not rows:
        raise DataError(
            "no 3-component record could be assembled"
            + (f" ({len(skipped)} skipped: {skipped[0]})" if skipped else ""),
            path=name,
        )
    meta = pd.DataFrame(rows)
    if picks is not None:
        _attach_picks(meta, read_picks(picks))
    _derive_geometry(meta)
    dataset = WaveformDataset(meta, ArrayLoader(waves), name=name, component_order=component_order)
    dataset.skipped = skipped  # type: ignore[attr-defined]
    return dataset


def read_obspy_files(
    path_or_paths: str | os.PathLike | Iterable[str | os.PathLike],
    picks: Catalog | pd.DataFrame | str | os.PathLike | None = None,
    inventory: Inventory | str | os.PathLike | None = None,
    component_order: str = "ZNE",
    sampling_rate: float | None = None,
    on_error: Literal["raise", "skip"] = "raise",
) -> WaveformDataset:
    """Read MiniSEED/SAC/... files into 3-component records (see the module docstring).

    Parameters
    ----------
    path_or_paths : path or list of paths
        Files, or folders searched recursively for known suffixes
        (``.mseed``, ``.sac``, ...).
    picks, inventory, component_order, sampling_rate, on_error
        As for :func:`dataset_from_stream`; ``on_error="skip"`` also skips
        unreadable files.
    """
    from obspy import Stream

    files = _expand(path_or_paths)
    stream = Stream()
    skipped: list[str] = []
    for path in files:
        try:
            stream += read_waveform_file(path)
        except DataError as exc:
            if on_error != "skip":
                raise
            skipped.append(str(exc))
    label = str(path_or_paths) if isinstance(path_or_paths, str | os.PathLike) else "files"
    if len(stream) == 0:
        raise DataError(
            f"no readable waveform file ({len(skipped)} skipped: {skipped[0] if skipped else ''})",
            path=label,
        )
    dataset = dataset_from_stream(
        stream, picks, inventory, component_order, sampling_rate, on_error, name=label
    )
    dataset.skipped = skipped + dataset.skipped  # type: ignore[attr-defined]
    return dataset
