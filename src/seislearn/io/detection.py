"""Which format a dataset path is in, judged by what its files hold.

File names alone mislead: a STEAD CSV + HDF5 saved as ``metadata.csv`` +
``waveforms.hdf5`` looks like SeisBench. :func:`detect_format` reads the CSV
header lines and the HDF5 structure (never the waveforms) and weighs:

=========== ==========================================================================
format      evidence in the content
=========== ==========================================================================
seisbench   a ``data_format`` group; trace blocks (3-D datasets under ``data/``);
            ``bucket$i,...`` trace names or SeisBench-only columns
            (``trace_sampling_rate_hz``, ``station_network_code``, ...) in the CSV
stead       STEAD columns (``receiver_code``, ``trace_category``, ``snr_db``, ...);
            per-trace ``(N, 3)`` datasets under ``data/`` (or early STEAD groups,
            or STEAD attributes) and no ``data_format`` group
npz         a CSV with a ``fname`` column beside ``.npz`` files
obspy       MiniSEED/SAC/... files (by suffix)
=========== ==========================================================================

Names (``metadata*.csv`` + ``waveforms*.hdf5``, a ``chunks`` file) decide
only when the content says nothing. A path that fits two formats, or none, is
one :class:`~seislearn.errors.DataError` saying what was seen and which
``--format`` to pass.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from seislearn.errors import DataError
from seislearn.io.hdf5_files import summarize_hdf5
from seislearn.io.tables import read_csv_header

OBSPY_SUFFIXES = {".mseed", ".miniseed", ".ms", ".sac", ".seed", ".gse2", ".segy", ".sgy", ".msd"}
HDF5_SUFFIXES = {".hdf5", ".h5"}

#: Columns of the STEAD release that SeisBench names differently (two are needed).
STEAD_COLUMNS = frozenset(
    {
        "receiver_code",
        "receiver_type",
        "receiver_latitude",
        "receiver_longitude",
        "receiver_elevation_m",
        "trace_category",
        "snr_db",
        "p_arrival_sample",
        "s_arrival_sample",
        "p_status",
        "s_status",
        "p_weight",
        "s_weight",
        "p_travel_sec",
        "coda_end_sample",
        "source_distance_km",
        "source_distance_deg",
        "back_azimuth_deg",
        "network_code",
    }
)
#: Columns only SeisBench-format metadata has (one is enough).
SEISBENCH_COLUMNS = frozenset(
    {
        "trace_sampling_rate_hz",
        "station_network_code",
        "station_latitude_deg",
        "station_longitude_deg",
        "source_latitude_deg",
        "source_longitude_deg",
        "path_back_azimuth_deg",
        "path_ep_distance_km",
        "trace_p_arrival_sample",
        "trace_s_arrival_sample",
        "trace_component_order",
    }
)
_FORMAT_WORDS = {
    "seisbench": "SeisBench (metadata.csv + waveforms.hdf5)",
    "stead": "STEAD (CSV + HDF5 of (6000, 3) traces)",
    "npz": "NPZ folder (index CSV + .npz files)",
    "obspy": "MiniSEED/SAC files",
}


@dataclass
class Evidence:
    """What was seen, per format, while looking at a path."""

    strong: dict[str, list[str]] = field(default_factory=dict)
    weak: dict[str, list[str]] = field(default_factory=dict)

    def add(self, fmt: str, what: str, strong: bool = True) -> None:
        (self.strong if strong else self.weak).setdefault(fmt, []).append(what)

    def describe(self, formats: dict[str, list[str]]) -> str:
        return "; ".join(f"{fmt}: {', '.join(seen[:3])}" for fmt, seen in formats.items())


def _csv_evidence(path: Path, evidence: Evidence) -> None:
    columns = read_csv_header(path)
    if not columns:
        return
    stead = sorted(STEAD_COLUMNS.intersection(columns))
    if len(stead) >= 2:
        evidence.add("stead", f"{path.name} has STEAD columns {', '.join(stead[:4])}")
    seisbench = sorted(SEISBENCH_COLUMNS.intersection(columns))
    if seisbench:
        evidence.add("seisbench", f"{path.name} has SeisBench columns {', '.join(seisbench[:3])}")
    if "trace_name" in columns and _has_block_names(path, columns.index("trace_name")):
        evidence.add("seisbench", f"{path.name} names trace blocks (bucket$i,...)")
    if "fname" in columns:
        evidence.add("npz", f"{path.name} has an 'fname' column", strong=False)


def _has_block_names(path: Path, column: int, lines: int = 5) -> bool:
    import csv

    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            reader = csv.reader(f)
            next(reader, None)
            for i, row in enumerate(reader):
                if i >= lines:
                    break
                if len(row) > column and "$" in row[column]:
                    return True
    except (OSError, csv.Error):
        return False
    return False


def _hdf5_evidence(path: Path, evidence: Evidence) -> None:
    summary = summarize_hdf5(path)
    if not summary.readable:
        return
    if summary.has_data_format:
        evidence.add("seisbench", f"{path.name} has a data_format group")
    if summary.seisbench_buckets:
        evidence.add("seisbench", f"{path.name} holds trace blocks (3-D datasets under data/)")
    if summary.stead_attributes:
        evidence.add("stead", f"{path.name} has STEAD attributes on its traces")
    if summary.stead_groups:
        evidence.add("stead", f"{path.name} has STEAD groups (earthquake/, non_earthquake/)")
    if summary.per_trace_3c and not summary.has_data_format:
        evidence.add("stead", f"{path.name} holds one (N, 3) dataset per trace under data/")


def _folder_evidence(root: Path) -> Evidence:
    evidence = Evidence()
    files = [p for p in root.iterdir() if p.is_file()]
    csvs = sorted(p for p in files if p.suffix.lower() == ".csv")
    h5s = sorted(p for p in files if p.suffix.lower() in HDF5_SUFFIXES)
    for p in csvs:
        _csv_evidence(p, evidence)
    for p in h5s:
        _hdf5_evidence(p, evidence)
    if (root / "chunks").is_file():
        evidence.add("seisbench", "a 'chunks' file")
    if any(p.name.startswith("metadata") for p in csvs) and any(
        p.name.startswith("waveforms") and p.suffix.lower() == ".hdf5" for p in h5s
    ):
        evidence.add("seisbench", "metadata*.csv + waveforms*.hdf5 file names", strong=False)
    if csvs and h5s:
        evidence.add("stead", "a CSV and an HDF5 file", strong=False)
    has_npz = any(root.glob("*.npz")) or any(root.glob("*/*.npz"))
    if has_npz and csvs:
        if "npz" in evidence.weak:  # an index with fname, and .npz files: that is the format
            evidence.add("npz", f"{evidence.weak['npz'][0]} and .npz files")
        else:
            evidence.add("npz", "a CSV and .npz files", strong=False)
    waveform_file = next(
        (p for p in root.rglob("*") if p.suffix.lower() in OBSPY_SUFFIXES and p.is_file()), None
    )
    if waveform_file is not None:
        strong = not (csvs and (h5s or has_npz))
        evidence.add("obspy", f"waveform files such as {waveform_file.name}", strong=strong)
    return evidence


def _file_evidence(path: Path) -> Evidence:
    evidence = Evidence()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        _csv_evidence(path, evidence)
        evidence.add("stead", "a CSV file", strong=False)
    elif suffix in HDF5_SUFFIXES:
        _hdf5_evidence(path, evidence)
        evidence.add("stead", "an HDF5 file", strong=False)
    else:
        evidence.add("obspy", f"a file that is neither CSV nor HDF5 ({path.name})", strong=False)
    return evidence


def detect_format(path: str | os.PathLike) -> str:
    """The format of a dataset path (a folder or a file), judged by content.

    Returns
    -------
    str
        ``"seisbench"``, ``"stead"``, ``"npz"`` or ``"obspy"``.

    Raises
    ------
    DataError
        If the path does not exist, is an empty folder, fits several formats
        or none (the message lists what was seen and the ``--format`` to pass).
    """
    root = Path(path)
    if not root.exists():
        raise DataError("no such file or folder", path=root)
    if root.is_dir():
        if not any(root.iterdir()):
            raise DataError("the folder is empty", path=root)
        evidence = _folder_evidence(root)
    else:
        evidence = _file_evidence(root)
    if root.is_file() and set(evidence.strong) == {"seisbench"}:
        raise DataError(
            f"this is a file of a SeisBench dataset ({evidence.describe(evidence.strong)}); "
            "pass the folder that holds metadata.csv and waveforms.hdf5",
            path=root,
        )
    if len(evidence.strong) == 1:
        return next(iter(evidence.strong))
    if len(evidence.strong) > 1:
        options = " or ".join(f"--format {fmt}" for fmt in evidence.strong)
        raise DataError(
            f"the files fit more than one format ({evidence.describe(evidence.strong)}); "
            f"pass {options}",
            path=root,
        )
    if len(evidence.weak) >= 1:
        # Only names and suffixes: the first kind seen in this order decides, as before.
        for fmt in ("seisbench", "npz", "stead", "obspy"):
            if fmt in evidence.weak:
                return fmt
    choices = ", ".join(f"--format {fmt} for {words}" for fmt, words in _FORMAT_WORDS.items())
    raise DataError(
        f"cannot tell the dataset format: nothing here looks like a known format; pass {choices}",
        path=root,
    )
