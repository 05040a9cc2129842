"""Per-trace checks of a dataset (``seislearn data check``).

:func:`check_dataset` returns one row per problem (``position``,
``trace_name`` (the user's name), ``check``, ``severity``, ``detail``,
``trace_name_seisbench``); :func:`format_report` turns that table into text;
:func:`trace_errors` is what workflows call: the rows of severity ``error``,
unreadable traces included, so they can refuse the data or skip and list the
bad traces.

Checks on the waveforms: NaN/inf samples, dead (all-zero) or flat channels
(one row per trace naming the channels), a channel count other than the
declared components (``channel_count``, reported by the readers), clipping
(many samples at the peak absolute value, in several runs; one unbroken run
is reported as a ``constant_segment``), missing components, picks outside
the trace. A channel that ``trace_available_components`` says was not
recorded (e.g. the zeroed horizontals of a vertical-only PhaseNet trace) is
reported once as a ``missing_component``, never as a zero-channel error.

Checks on the metadata: a missing or non-positive sampling rate, a rate
different from the dataset's majority, duplicate ``trace_name`` rows,
MiniSEED overlaps whose samples disagree (``trace_overlap_conflicts``, from
the ObsPy reader), labels outside their physical range
(:data:`seislearn.data.schema.VALUE_RANGES`), and the back-azimuth label
against the one recomputed from station and source coordinates with
:func:`obspy.geodetics.gps2dist_azimuth` (rows labelled with the azimuth, i.e.
off by about 180 degrees, as in parts of STEAD, are reported separately).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from seislearn.data import identity, schema
from seislearn.data.dataset import WaveformDataset
from seislearn.errors import DataError

COLUMNS = ("position", "trace_name", "check", "severity", "detail", "trace_name_seisbench")
#: Samples at the peak absolute value (to a relative 1e-6) that make a channel "clipped".
CLIP_MIN_SAMPLES = 5
#: Back-azimuth disagreement, degrees, above which a label is reported.
BAZ_TOLERANCE_DEG = 10.0


def _wrap(angle: np.ndarray | float) -> np.ndarray:
    """Wrap degrees to [-180, 180)."""
    return (np.asarray(angle, dtype=float) + 180.0) % 360.0 - 180.0


def longest_constant_run(x: np.ndarray) -> int:
    """Length, in samples, of the longest run of identical consecutive values of ``x``.

    A real recording never holds one value for long: a run of a second or more
    is a gap filled with zeros or a constant, a dead channel, or padding.

    Parameters
    ----------
    x : ndarray, shape (N,)

    Returns
    -------
    int, samples (0 for an empty array, 1 when no two neighbours are equal)
    """
    x = np.asarray(x).ravel()
    if x.size == 0:
        return 0
    same = np.diff(x) == 0
    if not same.any():
        return 1
    edges = np.flatnonzero(np.diff(np.concatenate([[0], same.astype(np.int8), [0]])))
    return int((edges[1::2] - edges[::2]).max()) + 1


def waveform_problems(
    wave: np.ndarray, component_order: str = "ZNE", available: str | None = None
) -> list[tuple[str, str, str]]:
    """Problems of one ``(C, N)`` waveform as ``(check, severity, detail)`` tuples.

    Parameters
    ----------
    wave : ndarray, shape (C, N)
    component_order : str
        Name of each channel.
    available : str, optional
        Components really recorded (``trace_available_components``); channels
        not in it are expected to be empty and reported as missing.
    """
    out: list[tuple[str, str, str]] = []
    names = (
        component_order
        if len(component_order) == wave.shape[0]
        else "".join(str(i) for i in range(wave.shape[0]))
    )
    recorded = names if available is None else str(available)
    missing = [c for c in names if c not in recorded]
    if missing:
        out.append(
            (
                "missing_component",
                "warning",
                f"{', '.join(missing)} not recorded (flagged by {schema.AVAILABLE_COMPONENTS})",
            )
        )
    zero: list[str] = []
    flat: list[str] = []
    for k, comp in enumerate(names):
        if comp in missing:
            continue
        x = wave[k]
        bad = ~np.isfinite(x)
        if bad.any():
            out.append(("nan_or_inf", "error", f"{comp}: {int(bad.sum())} of {x.size} samples"))
            continue
        if x.size == 0:
            out.append(("empty_channel", "error", f"{comp}: no samples"))
            continue
        if not np.any(x):
            zero.append(comp)
            continue
        if np.ptp(x) == 0:
            flat.append(f"{comp} = {float(x[0]):g}")
            continue
        clip = _clipping(x, comp)
        if clip is not None:
            out.append(clip)
    recorded_count = len([c for c in names if c not in missing])
    if zero:
        whole = (
            " (every recorded channel: the trace is dead)" if len(zero) == recorded_count else ""
        )
        out.append(
            (
                "zero_channel",
                "error",
                f"{', '.join(zero)}: all {wave.shape[1]} samples are zero{whole}",
            )
        )
    if flat:
        out.append(("flat_channel", "error", f"constant value: {', '.join(flat)}"))
    return out


def _clipping(x: np.ndarray, comp: str) -> tuple[str, str, str] | None:
    peak = float(np.abs(x).max())
    at_peak = np.flatnonzero(np.abs(x) >= peak * (1 - 1e-6))
    if at_peak.size < CLIP_MIN_SAMPLES:
        return None
    # A clipped digitizer hits its limit in several bursts; one unbroken run at the
    # peak is rather a gap filled with a constant (seen at the ends of real traces).
    runs = 1 + int((np.diff(at_peak) > 1).sum())
    if runs == 1:
        return (
            "constant_segment",
            "warning",
            f"{comp}: samples {at_peak[0]}-{at_peak[-1]} constant at the peak "
            f"|x| = {peak:g} (a filled gap?)",
        )
    return (
        "clipping",
        "warning",
        f"{comp}: {at_peak.size} samples in {runs} runs at the peak |x| = {peak:g}",
    )


def _row(position: int, check: str, severity: str, detail: str) -> dict:
    return {"position": position, "check": check, "severity": severity, "detail": detail}


def _range_problems(meta: pd.DataFrame) -> list[dict]:
    rows = []
    for column, (low, high) in schema.VALUE_RANGES.items():
        if column not in meta.columns:
            continue
        values = pd.to_numeric(meta[column], errors="coerce")
        bad = values.notna() & ((values < low) | (values > high))
        for position in np.flatnonzero(bad.to_numpy()):
            value = float(values.iloc[position])
            rows.append(
                _row(
                    int(position),
                    "label_out_of_range",
                    "error",
                    f"{column} = {value:g} outside [{low:g}, {high:g}]",
                )
            )
    return rows


def _rate_problems(meta: pd.DataFrame, sources: str) -> list[dict]:
    """Traces without a usable sampling rate (errors), and rates off the majority (warnings)."""
    if schema.SAMPLING_RATE not in meta.columns:
        detail = f"no {schema.SAMPLING_RATE} column in the metadata{sources}"
        return [_row(i, "no_sampling_rate", "error", detail) for i in range(len(meta))]
    rates = pd.to_numeric(meta[schema.SAMPLING_RATE], errors="coerce")
    usable = np.isfinite(rates.to_numpy(dtype=float)) & (rates.to_numpy(dtype=float) > 0)
    rows = [
        _row(
            int(i),
            "no_sampling_rate",
            "error",
            f"{schema.SAMPLING_RATE} is {meta[schema.SAMPLING_RATE].iloc[i]!s:.30}: "
            "missing or not a positive rate",
        )
        for i in np.flatnonzero(~usable)
    ]
    if not usable.any():
        return rows
    majority = float(rates[usable].mode().iloc[0])
    off = usable & ~np.isclose(rates.to_numpy(dtype=float), majority)
    rows += [
        _row(
            int(i),
            "sampling_rate_mismatch",
            "warning",
            f"{float(rates.iloc[i]):g} Hz, the dataset's majority is {majority:g} Hz",
        )
        for i in np.flatnonzero(off)
    ]
    return rows


def _duplicate_problems(meta: pd.DataFrame) -> list[dict]:
    names = meta[schema.TRACE_NAME].astype(str)
    duplicated = names.duplicated(keep=False).to_numpy()
    rows = []
    if not duplicated.any():
        return rows
    positions: dict[str, list[int]] = {}
    for i in np.flatnonzero(duplicated):
        positions.setdefault(names.iloc[i], []).append(int(i))
    for name, where in positions.items():
        for i in where:
            others = [str(j) for j in where if j != i]
            shown = ", ".join(others[:5]) + (" ..." if len(others) > 5 else "")
            rows.append(
                _row(
                    i,
                    "duplicate_trace_name",
                    "error",
                    f"{len(where)} rows are named {name[:60]!r} (also rows {shown}): "
                    "they read the same waveform and their outputs collide",
                )
            )
    return rows


def _overlap_problems(meta: pd.DataFrame) -> list[dict]:
    from seislearn.io.obspy_files import OVERLAP_CONFLICTS

    if OVERLAP_CONFLICTS not in meta.columns:
        return []
    text = meta[OVERLAP_CONFLICTS].fillna("").astype(str)
    return [
        _row(int(i), "conflicting_overlap", "error", text.iloc[i])
        for i in np.flatnonzero(text.str.len().to_numpy() > 0)
    ]


def back_azimuth_from_coordinates(meta: pd.DataFrame) -> pd.DataFrame:
    """Back-azimuth and azimuth (degrees) recomputed from coordinates, NaN where any is missing.

    Uses :func:`obspy.geodetics.gps2dist_azimuth` (WGS84) with the source as
    the first point: its back-azimuth is the direction from the station to the
    source, the convention of ``path_back_azimuth_deg``.
    """
    from obspy.geodetics import gps2dist_azimuth

    columns = (
        schema.SOURCE_LATITUDE,
        schema.SOURCE_LONGITUDE,
        schema.STATION_LATITUDE,
        schema.STATION_LONGITUDE,
    )
    out = pd.DataFrame({"back_azimuth": np.nan, "azimuth": np.nan}, index=meta.index)
    if not all(c in meta.columns for c in columns):
        return out
    coords = meta[list(columns)].apply(pd.to_numeric, errors="coerce")
    ok = np.isfinite(coords.to_numpy(dtype=float)).all(axis=1)
    ok = pd.Series(ok, index=coords.index)
    ok &= coords[schema.SOURCE_LATITUDE].between(-90, 90)
    ok &= coords[schema.STATION_LATITUDE].between(-90, 90)
    # Many traces share one event-station pair: compute each pair once.
    cache: dict[tuple[float, ...], tuple[float, float]] = {}
    for idx, row in coords[ok].iterrows():
        key = tuple(float(v) for v in row)
        if key not in cache:
            _, az, baz = gps2dist_azimuth(*key)
            cache[key] = (baz, az)
        out.loc[idx, ["back_azimuth", "azimuth"]] = cache[key]
    return out


def _baz_problems(meta: pd.DataFrame, tolerance: float) -> list[dict]:
    if schema.BACK_AZIMUTH not in meta.columns:
        return []
    label = pd.to_numeric(meta[schema.BACK_AZIMUTH], errors="coerce")
    computed = back_azimuth_from_coordinates(meta)
    usable = np.isfinite(label.to_numpy(dtype=float)) & computed["back_azimuth"].notna().to_numpy()
    rows = []
    for position in np.flatnonzero(usable):
        idx = meta.index[position]
        off = float(_wrap(label[idx] - computed.at[idx, "back_azimuth"]))
        if abs(off) <= tolerance:
            continue
        baz, az = computed.at[idx, "back_azimuth"], computed.at[idx, "azimuth"]
        if abs(float(_wrap(label[idx] - az))) <= tolerance or abs(off) >= 180 - tolerance:
            check = "back_azimuth_flipped"
            detail = (
                f"label {label[idx]:.1f} deg, coordinates give back-azimuth {baz:.1f} deg "
                f"(off by {off:+.1f}): labelled with the azimuth {az:.1f} deg?"
            )
        else:
            check = "back_azimuth_mismatch"
            detail = (
                f"label {label[idx]:.1f} deg, coordinates give {baz:.1f} deg (off by {off:+.1f})"
            )
        rows.append(_row(int(position), check, "warning", detail))
    return rows


def _pick_problems(meta: pd.DataFrame, position: int, npts: int) -> list[dict]:
    rows = []
    for phase, column in (("P", schema.P_ARRIVAL), ("S", schema.S_ARRIVAL)):
        if column not in meta.columns:
            continue
        pick = pd.to_numeric(pd.Series([meta[column].iloc[position]]), errors="coerce").iloc[0]
        if pd.notna(pick) and not 0 <= pick < npts:
            rows.append(
                _row(
                    position,
                    "pick_outside_trace",
                    "error",
                    f"{phase} pick at sample {pick:g}, trace has {npts} samples",
                )
            )
    return rows


def _waveform_rows(
    dataset: WaveformDataset, on_error: str, batch_size: int = 256, progress: bool = False
) -> list[dict]:
    """Read every trace (in batches) and check it; unreadable traces per ``on_error``."""
    meta = dataset.metadata
    has_available = schema.AVAILABLE_COMPONENTS in meta.columns
    rows: list[dict] = []

    def one(position: int, wave: np.ndarray) -> None:
        available = meta[schema.AVAILABLE_COMPONENTS].iloc[position] if has_available else None
        if available is not None and pd.isna(available):
            available = None
        for check, severity, detail in waveform_problems(wave, dataset.component_order, available):
            rows.append(_row(position, check, severity, detail))
        rows.extend(_pick_problems(meta, position, wave.shape[-1]))

    def failed(position: int, exc: DataError) -> None:
        if exc.check is None and on_error != "skip":
            raise exc
        rows.append(_row(position, exc.check or "unreadable", "error", str(exc)))

    from seislearn.progress import Bar

    with Bar("checking waveforms", total=len(dataset), unit="trace", enabled=progress) as bar:
        for start in range(0, len(dataset), batch_size):
            stop = min(start + batch_size, len(dataset))
            try:
                waves, _ = next(dataset.select(np.arange(start, stop)).iter_batches(stop - start))
            except DataError:
                # One bad trace spoils the batch read: read this batch trace by trace.
                for position in range(start, stop):
                    try:
                        wave = dataset.get_waveform(position)
                    except DataError as exc:
                        failed(position, exc)
                        continue
                    one(position, wave)
                bar.update(stop - start)
                continue
            for k, wave in enumerate(waves):
                one(start + k, wave)
            bar.update(stop - start)
    return rows


def _rate_sources(dataset: WaveformDataset) -> str:
    loader = type(dataset.loader).__name__
    if loader == "SeisBenchLoader":
        return " and no data_format/sampling_rate in the HDF5 file"
    return ""


def check_dataset(
    dataset: WaveformDataset,
    on_error: Literal["raise", "skip"] = "raise",
    waveforms: bool = True,
    baz_tolerance_deg: float = BAZ_TOLERANCE_DEG,
    progress: bool = False,
) -> pd.DataFrame:
    """Check every trace of a dataset; one row per problem found.

    Parameters
    ----------
    dataset : WaveformDataset
    on_error : {"raise", "skip"}
        A waveform that cannot be read raises :class:`DataError` (``raise``)
        or is listed as an ``unreadable`` problem (``skip``). A trace that
        reads but breaks a check the reader knows (``channel_count``) is
        listed in both modes.
    waveforms : bool
        Also read and check the waveforms (False: metadata checks only).
    baz_tolerance_deg : float, degrees
        Back-azimuth disagreement above which a label is reported.
    progress : bool
        Show the progress of the waveform reads (:class:`seislearn.progress.Bar`:
        a bar with rate and time left on a terminal, one line otherwise).

    Returns
    -------
    pandas.DataFrame
        Columns ``position`` (row in ``dataset.metadata``), ``trace_name``
        (the user's name: ``trace_name_original`` where the metadata has it,
        else ``trace_name``; see :mod:`seislearn.data.identity`), ``check``,
        ``severity`` (``error`` or ``warning``), ``detail`` and
        ``trace_name_seisbench`` (the name inside the SeisBench file), ordered
        by position; ``attrs["n_traces"]`` holds the number of traces checked.
    """
    meta = dataset.metadata
    rows: list[dict] = []
    if waveforms:
        rows += _waveform_rows(dataset, on_error, progress=progress)
    rows += _rate_problems(meta, _rate_sources(dataset))
    rows += _duplicate_problems(meta)
    rows += _overlap_problems(meta)
    rows += _range_problems(meta)
    rows += _baz_problems(meta, baz_tolerance_deg)
    table = _table(rows, meta)
    table.attrs["n_traces"] = len(dataset)
    table.attrs["dataset"] = dataset.name
    return table


def _table(rows: list[dict], meta: pd.DataFrame) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["position", "check", "severity", "detail"])
    table = table.sort_values("position", kind="stable").reset_index(drop=True)
    positions = table["position"].to_numpy(dtype=int)
    table.insert(1, schema.TRACE_NAME, identity.user_names(meta)[positions])
    table[identity.SEISBENCH] = identity.seisbench_names(meta)[positions]
    return table[list(COLUMNS)]


def trace_errors(
    dataset: WaveformDataset,
    waveforms: bool = True,
    baz_tolerance_deg: float = BAZ_TOLERANCE_DEG,
) -> pd.DataFrame:
    """The per-trace errors of a dataset: the traces ``data check`` calls errors.

    For workflows: refuse the dataset when the table is not empty, or (with
    ``--on-error skip``) drop the rows' positions and list them, e.g.::

        errors = trace_errors(dataset)
        if not errors.empty:
            if on_error != "skip":
                raise DataError(format_report(errors, 5), path=dataset.name)
            keep = ~np.isin(np.arange(len(dataset)), errors["position"])
            dataset = dataset.filter(keep)

    Unreadable traces are rows (check ``unreadable``), never raised, so one
    call finds every bad trace. Warnings (clipping, back-azimuth labels, ...)
    are not included. With ``waveforms=True`` every waveform is read once.

    Parameters
    ----------
    dataset : WaveformDataset
    waveforms : bool
        Also read and check the waveforms (False: metadata checks only:
        sampling rate, duplicate names, overlaps, label ranges).
    baz_tolerance_deg : float, degrees
        As for :func:`check_dataset`.

    Returns
    -------
    pandas.DataFrame
        The :func:`check_dataset` columns (``position``, ``trace_name``,
        ``check``, ``severity``, ``detail``, ``trace_name_seisbench``), only
        rows of severity ``error``; ``position`` indexes ``dataset.metadata``.
        A trace with several errors has several rows; ``attrs["n_traces"]``
        is the number of traces checked and ``attrs["n_bad_traces"]`` the
        number with at least one error.
    """
    problems = check_dataset(dataset, "skip", waveforms, baz_tolerance_deg)
    errors = problems[problems["severity"] == "error"].reset_index(drop=True)
    errors.attrs = {**problems.attrs, "n_bad_traces": int(errors["position"].nunique())}
    return errors


def _label(row: pd.Series) -> str:
    user = str(row[schema.TRACE_NAME])
    stored = str(row.get(identity.SEISBENCH, user))
    if not user and not stored:
        return "(file)"
    return user if stored in ("", user) else f"{user} (SeisBench {stored})"


def format_report(
    problems: pd.DataFrame,
    max_rows_per_check: int | None = 10,
    more_hint: str = "pass --all to list every row, or --out FILE to save the table",
) -> str:
    """A text report: counts per check, then the rows of each (the first few, or all).

    Traces are named by the user's name, with the SeisBench name beside it in
    brackets where the two differ (``NC_MEM_2017 (SeisBench bucket0$3,:3,:9001)``).

    Parameters
    ----------
    problems : pandas.DataFrame
        What :func:`check_dataset` returned.
    max_rows_per_check : int or None
        Rows listed per check; None lists all.
    more_hint : str
        Said after "... and N more" where rows were left out.
    """
    n = problems.attrs.get("n_traces")
    head = f"checked {n} traces" if n is not None else "checked dataset"
    if problems.empty:
        return f"{head}: no problems found"
    errors = problems[problems["severity"] == "error"]
    key = "position" if "position" in problems.columns else "trace_name"
    lines = [
        f"{head}: {len(problems)} problems in {problems[key].nunique()} traces "
        f"({len(errors)} errors in {errors[key].nunique()} traces)",
        "",
    ]
    counts = problems.groupby(["check", "severity"], sort=False).agg(
        problems=("detail", "size"), traces=(key, "nunique")
    )
    lines.append(f"{'check':<26}{'severity':<10}{'problems':>9}{'traces':>8}")
    for (check, severity), row in counts.iterrows():
        lines.append(f"{check:<26}{severity:<10}{row['problems']:>9}{row['traces']:>8}")
    left_out = 0
    for check, group in problems.groupby("check", sort=False):
        lines += ["", f"{check}:"]
        shown = group if max_rows_per_check is None else group.head(max_rows_per_check)
        for _, row in shown.iterrows():
            lines.append(f"  {_label(row)}: {row['detail']}")
        if len(group) > len(shown):
            left_out += len(group) - len(shown)
            lines.append(f"  ... and {len(group) - len(shown)} more")
    if left_out:
        lines += ["", f"{left_out} rows not listed; {more_hint}"]
    return "\n".join(lines)
