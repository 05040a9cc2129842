"""Per-trace checks of a dataset (``seislearn data check``).

:func:`check_dataset` returns one row per problem (``trace_name``, ``check``,
``severity``, ``detail``); :func:`format_report` turns that table into text.

Checks on the waveforms: NaN/inf samples, all-zero or flat channels, clipping
(many samples at the peak absolute value, in several runs; one unbroken run
is reported as a ``constant_segment``), missing components. A channel that
``trace_available_components`` says was not recorded (e.g. the zeroed
horizontals of a vertical-only PhaseNet trace) is reported once as a
``missing_component``, never as a zero-channel error.

Checks on the metadata: sampling rate different from the dataset's majority,
picks outside the trace, labels outside their physical range
(:data:`seislearn.data.schema.VALUE_RANGES`), and the back-azimuth label
against the one recomputed from station and source coordinates with
:func:`obspy.geodetics.gps2dist_azimuth` (rows labelled with the azimuth, i.e.
off by about 180 degrees, as in parts of STEAD, are reported separately).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from seislearn.data import schema
from seislearn.data.dataset import WaveformDataset
from seislearn.errors import DataError

COLUMNS = ("trace_name", "check", "severity", "detail")
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
            out.append(("zero_channel", "error", f"{comp}: all {x.size} samples are zero"))
            continue
        if np.ptp(x) == 0:
            out.append(("flat_channel", "error", f"{comp}: constant value {float(x[0]):g}"))
            continue
        peak = float(np.abs(x).max())
        at_peak = np.flatnonzero(np.abs(x) >= peak * (1 - 1e-6))
        if at_peak.size >= CLIP_MIN_SAMPLES:
            # A clipped digitizer hits its limit in several bursts; one unbroken run at the
            # peak is rather a gap filled with a constant (seen at the ends of real traces).
            runs = 1 + int((np.diff(at_peak) > 1).sum())
            if runs == 1:
                out.append(
                    (
                        "constant_segment",
                        "warning",
                        f"{comp}: samples {at_peak[0]}-{at_peak[-1]} constant at the peak "
                        f"|x| = {peak:g} (a filled gap?)",
                    )
                )
            else:
                out.append(
                    (
                        "clipping",
                        "warning",
                        f"{comp}: {at_peak.size} samples in {runs} runs at the peak |x| = {peak:g}",
                    )
                )
    return out


def _range_problems(meta: pd.DataFrame) -> list[dict]:
    rows = []
    for column, (low, high) in schema.VALUE_RANGES.items():
        if column not in meta.columns:
            continue
        values = pd.to_numeric(meta[column], errors="coerce")
        bad = values.notna() & ((values < low) | (values > high))
        for name, value in zip(meta.loc[bad, schema.TRACE_NAME], values[bad], strict=True):
            rows.append(
                {
                    "trace_name": name,
                    "check": "label_out_of_range",
                    "severity": "error",
                    "detail": f"{column} = {value:g} outside [{low:g}, {high:g}]",
                }
            )
    return rows


def _rate_problems(meta: pd.DataFrame) -> list[dict]:
    if schema.SAMPLING_RATE not in meta.columns or meta[schema.SAMPLING_RATE].isna().all():
        return []
    rates = pd.to_numeric(meta[schema.SAMPLING_RATE], errors="coerce")
    majority = float(rates.mode().iloc[0])
    bad = rates.notna() & ~np.isclose(rates, majority)
    return [
        {
            "trace_name": name,
            "check": "sampling_rate_mismatch",
            "severity": "warning",
            "detail": f"{rate:g} Hz, the dataset's majority is {majority:g} Hz",
        }
        for name, rate in zip(meta.loc[bad, schema.TRACE_NAME], rates[bad], strict=True)
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
    ok = coords.notna().all(axis=1)
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
    usable = label.notna() & computed["back_azimuth"].notna()
    rows = []
    for idx in meta.index[usable]:
        off = float(_wrap(label[idx] - computed.at[idx, "back_azimuth"]))
        if abs(off) <= tolerance:
            continue
        name = meta.at[idx, schema.TRACE_NAME]
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
        rows.append({"trace_name": name, "check": check, "severity": "warning", "detail": detail})
    return rows


def check_dataset(
    dataset: WaveformDataset,
    on_error: Literal["raise", "skip"] = "raise",
    waveforms: bool = True,
    baz_tolerance_deg: float = BAZ_TOLERANCE_DEG,
) -> pd.DataFrame:
    """Check every trace of a dataset; one row per problem found.

    Parameters
    ----------
    dataset : WaveformDataset
    on_error : {"raise", "skip"}
        A waveform that cannot be read raises :class:`DataError` (``raise``)
        or is listed as an ``unreadable`` problem (``skip``).
    waveforms : bool
        Also read and check the waveforms (False: metadata checks only).
    baz_tolerance_deg : float, degrees
        Back-azimuth disagreement above which a label is reported.

    Returns
    -------
    pandas.DataFrame
        Columns ``trace_name, check, severity, detail``; ``attrs["n_traces"]``
        holds the number of traces checked.
    """
    meta = dataset.metadata
    rows: list[dict] = []
    if waveforms:
        has_available = schema.AVAILABLE_COMPONENTS in meta.columns
        p = meta[schema.P_ARRIVAL] if schema.P_ARRIVAL in meta.columns else None
        s = meta[schema.S_ARRIVAL] if schema.S_ARRIVAL in meta.columns else None
        for i in range(len(dataset)):
            name = str(meta[schema.TRACE_NAME].iloc[i])
            try:
                wave = dataset.get_waveform(i)
            except DataError as exc:
                if on_error != "skip":
                    raise
                rows.append(
                    {
                        "trace_name": name,
                        "check": "unreadable",
                        "severity": "error",
                        "detail": str(exc),
                    }
                )
                continue
            available = meta[schema.AVAILABLE_COMPONENTS].iloc[i] if has_available else None
            if available is not None and pd.isna(available):
                available = None
            for check, severity, detail in waveform_problems(
                wave, dataset.component_order, available
            ):
                rows.append(
                    {"trace_name": name, "check": check, "severity": severity, "detail": detail}
                )
            for phase, picks in (("P", p), ("S", s)):
                if picks is None:
                    continue
                pick = pd.to_numeric(picks.iloc[i], errors="coerce")
                if pd.notna(pick) and not 0 <= pick < wave.shape[-1]:
                    rows.append(
                        {
                            "trace_name": name,
                            "check": "pick_outside_trace",
                            "severity": "error",
                            "detail": f"{phase} pick at sample {pick:g}, trace has {wave.shape[-1]} samples",
                        }
                    )
    rows += _rate_problems(meta)
    rows += _range_problems(meta)
    rows += _baz_problems(meta, baz_tolerance_deg)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table.attrs["n_traces"] = len(dataset)
    table.attrs["dataset"] = dataset.name
    return table


def format_report(problems: pd.DataFrame, max_rows_per_check: int = 10) -> str:
    """A text report: counts per check, then the first rows of each."""
    n = problems.attrs.get("n_traces")
    head = f"checked {n} traces" if n is not None else "checked dataset"
    if problems.empty:
        return f"{head}: no problems found"
    lines = [
        f"{head}: {len(problems)} problems in {problems['trace_name'].nunique()} traces",
        "",
    ]
    counts = problems.groupby(["check", "severity"], sort=False).agg(
        problems=("trace_name", "size"), traces=("trace_name", "nunique")
    )
    lines.append(f"{'check':<26}{'severity':<10}{'problems':>9}{'traces':>8}")
    for (check, severity), row in counts.iterrows():
        lines.append(f"{check:<26}{severity:<10}{row['problems']:>9}{row['traces']:>8}")
    for check, group in problems.groupby("check", sort=False):
        lines += ["", f"{check}:"]
        for _, row in group.head(max_rows_per_check).iterrows():
            lines.append(f"  {row['trace_name']}: {row['detail']}")
        if len(group) > max_rows_per_check:
            lines.append(f"  ... and {len(group) - max_rows_per_check} more")
    return "\n".join(lines)
