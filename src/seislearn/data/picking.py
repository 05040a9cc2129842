"""P and S picks from a SeisBench pretrained picker (PhaseNet / PhaseNetLight).

Weights come from a local folder (SeisBench's format: ``NAME.json[.vN]`` beside
``NAME.pt[.vN]``, loaded with ``torch.load(weights_only=True)``) or, when online,
from SeisBench's model repository with ``from_pretrained``. Traces are handed
to the picker as ObsPy streams, which SeisBench resamples to the rate the model
needs (100 Hz); picks come back as samples at the trace's own rate.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seislearn.data import schema
from seislearn.data.dataset import WaveformDataset
from seislearn.data.identity import message_names
from seislearn.errors import DataError, OfflineError

log = logging.getLogger(__name__)
PICKERS = ("PhaseNetLight", "PhaseNet")


def _weights_files(folder: Path) -> tuple[Path, str | None]:
    """Base path and version of the SeisBench weights in ``folder``."""
    configs = sorted(folder.glob("*.json*"))
    for config in configs:
        match = re.fullmatch(r"(.+)\.json(?:\.v(\w+))?", config.name)
        if not match:
            continue
        name, version = match.group(1), match.group(2)
        weights = folder / (f"{name}.pt.v{version}" if version else f"{name}.pt")
        if weights.is_file():
            return folder / name, version
    raise DataError(
        "no SeisBench weights here (expected NAME.json[.vN] and NAME.pt[.vN])", path=folder
    )


def load_picker(
    weights: str | os.PathLike | None = None, model: str = "PhaseNetLight", pretrained: str = "ethz"
) -> Any:
    """A SeisBench picker in eval mode, from a local folder or SeisBench's repository.

    Parameters
    ----------
    weights : path-like, optional
        Folder with SeisBench weights (``ethz.json.v2`` + ``ethz.pt.v2``); when
        omitted the ``pretrained`` weights are downloaded (needs the network).
    model : {"PhaseNetLight", "PhaseNet"}
    pretrained : str, name of SeisBench pretrained weights (``ethz``, ``stead``, ...)

    Raises
    ------
    OfflineError
        When weights must be downloaded and the repository cannot be reached.
    """
    import seisbench.models as sbm

    if model not in PICKERS:
        raise DataError(f"unknown picker {model!r}; choose from {', '.join(PICKERS)}")
    cls = getattr(sbm, model)
    if weights is not None:
        folder = Path(weights)
        if not folder.is_dir():
            raise DataError("weights folder does not exist", path=folder)
        base, version = _weights_files(folder)
        try:
            picker = cls.load(base, version_str=version, weights_only=True)
        except (RuntimeError, KeyError, ValueError) as exc:
            raise DataError(f"cannot load {model} weights: {exc}", path=folder) from None
    else:
        try:
            picker = cls.from_pretrained(pretrained)
        except OSError as exc:  # requests' ConnectionError is an OSError
            raise OfflineError(
                f"cannot download the pretrained {model} weights {pretrained!r} (offline?): "
                f"{type(exc).__name__}. Pass a local folder with --weights DIR holding "
                "NAME.json[.vN] and NAME.pt[.vN] (SeisBench's format)"
            ) from None
    picker.eval()
    return picker


@dataclass
class PickResult:
    """Picks per trace (samples at the trace's own rate; NaN where none) and skip messages."""

    table: pd.DataFrame
    skipped: list[str] = field(default_factory=list)


def _stream(waveform: np.ndarray, sampling_rate: float, start: Any, components: str) -> Any:
    import obspy

    stream = obspy.Stream()
    for comp, data in zip(components, waveform, strict=True):
        header = {
            "network": "XX",
            "station": "STA",
            "channel": f"HH{comp}",
            "sampling_rate": sampling_rate,
            "starttime": start,
        }
        stream += obspy.Trace(np.asarray(data, dtype=np.float64), header=header)
    return stream


def pick_dataset(
    dataset: WaveformDataset,
    picker: Any,
    on_error: str = "raise",
    p_threshold: float | None = None,
    s_threshold: float | None = None,
) -> PickResult:
    """Pick P (and S) on every trace: the most probable P, then the most probable S after it.

    ``p_threshold`` and ``s_threshold`` (probability, 0-1) replace the picker's own
    detection thresholds (SeisBench's ``P_threshold``/``S_threshold``, 0.3 for the
    PhaseNet family); lower finds more (and less certain) picks.

    Returns a table with ``trace_name``, ``trace_p_arrival_sample``,
    ``trace_p_probability``, ``trace_s_arrival_sample``, ``trace_s_probability``.
    """
    thresholds = {}
    for phase, value in (("P", p_threshold), ("S", s_threshold)):
        if value is not None:
            if not 0.0 < value < 1.0:
                raise ValueError(f"{phase} threshold must be between 0 and 1, got {value}")
            thresholds[f"{phase}_threshold"] = float(value)
    import obspy

    rows, skipped = [], []
    meta = dataset.metadata
    shown = message_names(meta)  # the user's names in messages; the table keeps trace_name
    from seislearn.progress import track

    for i in track(range(len(dataset)), "picking", unit="trace"):
        name = str(meta[schema.TRACE_NAME].iloc[i])
        try:
            wave = dataset.get_waveform(i)
            if wave.shape[0] != 3 or not np.all(np.isfinite(wave)):
                raise DataError(
                    "picker needs 3 finite components", path=dataset.name, trace=str(shown[i])
                )
            sr = dataset.sampling_rate(i)
            start = obspy.UTCDateTime(0)
            stream = _stream(wave, sr, start, dataset.component_order)
            picks = picker.classify(stream, **thresholds).picks
        except DataError as exc:
            if on_error == "skip":
                skipped.append(str(exc))
                continue
            raise
        p_picks = [p for p in picks if p.phase == "P"]
        row = {
            schema.TRACE_NAME: name,
            "trace_p_probability": np.nan,
            "trace_s_probability": np.nan,
            schema.P_ARRIVAL: np.nan,
            schema.S_ARRIVAL: np.nan,
        }
        if p_picks:
            best_p = max(p_picks, key=lambda p: p.peak_value)
            row[schema.P_ARRIVAL] = (best_p.peak_time - start) * sr
            row["trace_p_probability"] = float(best_p.peak_value)
            s_picks = [p for p in picks if p.phase == "S" and p.peak_time > best_p.peak_time]
            if s_picks:
                best_s = max(s_picks, key=lambda p: p.peak_value)
                row[schema.S_ARRIVAL] = (best_s.peak_time - start) * sr
                row["trace_s_probability"] = float(best_s.peak_value)
        else:
            skipped.append(f"trace {str(shown[i])!r}: no P pick above the picker's threshold")
        rows.append(row)
    return PickResult(pd.DataFrame(rows), skipped)


def add_picks(
    dataset: WaveformDataset,
    picker: Any,
    on_error: str = "raise",
    keep_existing: bool = False,
    p_threshold: float | None = None,
    s_threshold: float | None = None,
) -> tuple[WaveformDataset, list[str]]:
    """A copy of ``dataset`` whose P and S columns hold the picker's picks.

    ``keep_existing`` keeps picks already in the metadata and fills only the missing ones;
    ``p_threshold``/``s_threshold``: see :func:`pick_dataset`.
    """
    result = pick_dataset(dataset, picker, on_error, p_threshold, s_threshold)
    meta = dataset.metadata.copy()
    picked = result.table.set_index(schema.TRACE_NAME)
    names = meta[schema.TRACE_NAME].astype(str)
    for column in (
        schema.P_ARRIVAL,
        schema.S_ARRIVAL,
        "trace_p_probability",
        "trace_s_probability",
    ):
        new = names.map(picked[column]).to_numpy(dtype=float)
        if keep_existing and column in meta.columns:
            new = np.where(meta[column].notna(), meta[column].to_numpy(dtype=float), new)
        meta[column] = new
    meta["trace_pick_source"] = "seisbench " + type(picker).__name__
    out = WaveformDataset(meta, dataset.loader, dataset.name, dataset.component_order)
    return out, result.skipped
