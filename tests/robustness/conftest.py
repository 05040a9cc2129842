"""Tiny datasets of every format as bytes, and the one assertion every robustness test makes.

The property: whatever a file holds, reading it gives either a valid dataset
(float32 ``(3, N)`` waveforms) or a :class:`~seislearn.errors.SeislearnError`
whose message names the file; never another exception, never a traceback.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
from hypothesis import HealthCheck, settings

from seislearn.data.checks import check_dataset
from seislearn.errors import SeislearnError
from seislearn.io import read_dataset

# Few examples, fixed seed: the suite stays fast and every run tries the same inputs.
# SEISLEARN_FUZZ_EXAMPLES=500 runs a longer, randomly seeded search (by hand, not in CI).
_FUZZ = int(os.environ.get("SEISLEARN_FUZZ_EXAMPLES", "0") or 0)
settings.register_profile(
    "robustness",
    max_examples=_FUZZ or 12,
    deadline=None,
    derandomize=not _FUZZ,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ROBUST = settings.get_profile("robustness")

N_TRACES = 4
NPTS = 200


def write_seisbench_folder(root: Path, blocks: bool = True) -> None:
    """A SeisBench dataset: 4 traces (3, 200), as one trace block or as plain traces."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    data = rng.standard_normal((N_TRACES, 3, NPTS)).astype(np.float32)
    with h5py.File(root / "waveforms.hdf5", "w") as f:
        f["data_format/component_order"] = "ZNE"
        f["data_format/dimension_order"] = "CW"
        f["data_format/sampling_rate"] = 20.0
        if blocks:
            f["data/bucket0"] = data
            names = [f"bucket0${i},:3,:{NPTS}" for i in range(N_TRACES)]
        else:
            names = [f"tr{i}" for i in range(N_TRACES)]
            for i, name in enumerate(names):
                f[f"data/{name}"] = data[i]
    pd.DataFrame(
        {
            "trace_name": names,
            "trace_name_original": [f"orig{i}" for i in range(N_TRACES)],
            "trace_sampling_rate_hz": 20.0,
            "trace_p_arrival_sample": 50,
            "source_magnitude": 1.5,
            "split": "train",
        }
    ).to_csv(root / "metadata.csv", index=False)


def write_stead_folder(root: Path, stem: str = "chunk1") -> None:
    """A STEAD dataset: 4 traces (6000, 3) E, N, Z under data/."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    names = [f"AB.ST{i}_2018010{i}_EV" for i in range(N_TRACES)]
    with h5py.File(root / f"{stem}.hdf5", "w") as f:
        for name in names:
            f[f"data/{name}"] = rng.standard_normal((6000, 3)).astype(np.float32)
    pd.DataFrame(
        {
            "network_code": "AB",
            "receiver_code": [f"ST{i}" for i in range(N_TRACES)],
            "receiver_type": "HH",
            "p_arrival_sample": 900.0,
            "s_arrival_sample": 1500.0,
            "snr_db": "[10.0 11.0 12.0]",
            "trace_category": "earthquake_local",
            "trace_name": names,
        }
    ).to_csv(root / f"{stem}.csv", index=False)


def write_npz_folder(root: Path) -> None:
    """An NPZ (PhaseNet) folder: 4 traces (200, 3) and the index waveform.csv."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2)
    names = [f"NC_ST{i}_2017100709282692.npz" for i in range(N_TRACES)]
    for name in names:
        np.savez(root / name, data=rng.standard_normal((NPTS, 3)), itp=50, its=120)
    pd.DataFrame({"fname": names, "itp": 50, "its": 120, "channels": "EHE_EHN_EHZ"}).to_csv(
        root / "waveform.csv", index=False
    )


WRITERS: dict[str, Callable[[Path], None]] = {
    "seisbench": write_seisbench_folder,
    "stead": write_stead_folder,
    "npz": write_npz_folder,
}


@contextmanager
def dataset_copy(fmt: str) -> Iterator[Path]:
    """A fresh folder holding a small healthy dataset of ``fmt`` (removed afterwards)."""
    folder = Path(tempfile.mkdtemp(prefix=f"seislearn-{fmt}-"))
    try:
        WRITERS[fmt](folder / "ds")
        yield folder / "ds"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def assert_valid_or_names_file(path: Path, fmt: str, file_name: str) -> list[str]:
    """Open, read every trace and check; each outcome is valid data or an error naming the file.

    Returns the error messages met (empty when the data read cleanly).
    """
    messages: list[str] = []
    try:
        dataset = read_dataset(path, format=fmt)
    except SeislearnError as exc:
        assert file_name in str(exc), f"error does not name {file_name}: {exc}"
        return [str(exc)]
    try:
        for i in range(len(dataset)):
            try:
                wave = dataset.get_waveform(i)
            except SeislearnError as exc:
                assert file_name in str(exc), f"error does not name {file_name}: {exc}"
                messages.append(str(exc))
                continue
            assert wave.dtype == np.float32 and wave.ndim == 2 and wave.shape[0] == 3
        problems = check_dataset(dataset, on_error="skip")
        assert set(problems.columns) >= {"trace_name", "check", "severity", "detail"}
        try:
            for waves, _ in dataset.iter_batches(batch_size=3):
                assert all(w.dtype == np.float32 and w.shape[0] == 3 for w in waves)
        except SeislearnError as exc:
            assert file_name in str(exc), f"error does not name {file_name}: {exc}"
    finally:
        dataset.close()
    return messages
