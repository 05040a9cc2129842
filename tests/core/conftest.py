"""Fixtures of the core tests: tiny STEAD files and ObsPy streams, written by the tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

STEAD_ROWS = [
    # trace_name, group, category, p, s, baz, snr
    (
        "AB.STA1_20180101_EV",
        "earthquake/local",
        "earthquake_local",
        900.0,
        1500.0,
        45.0,
        "[56.8 55.6 47.1]",
    ),
    (
        "AB.STA2_20180101_EV",
        "earthquake/local",
        "earthquake_local",
        1000.0,
        1800.0,
        300.0,
        "[10.0 12.0 14.0]",
    ),
    ("AB.STA1_20180102_NO", "non_earthquake/noise", "noise", np.nan, np.nan, np.nan, ""),
]


def write_stead(
    folder: Path, nested: bool = False, stem: str = "chunk1", rows: list | None = None
) -> dict[str, np.ndarray]:
    """Write a tiny STEAD-format CSV + HDF5; return trace_name -> stored (6000, 3) E, N, Z array."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = rows or STEAD_ROWS
    rng = np.random.default_rng(5)
    stored: dict[str, np.ndarray] = {}
    with h5py.File(folder / f"{stem}.hdf5", "w") as f:
        for name, group, *_ in rows:
            data = rng.standard_normal((6000, 3)).astype(np.float32)
            data[:, 0] += 1.0  # E, N and Z distinguishable by their means
            data[:, 1] += 2.0
            data[:, 2] += 3.0
            f[f"{group if nested else 'data'}/{name}"] = data
            stored[name] = data
    table = pd.DataFrame(
        {
            "network_code": "AB",
            "receiver_code": [r[0].split(".")[1].split("_")[0] for r in rows],
            "receiver_type": "HH",
            "receiver_latitude": 35.0,
            "receiver_longitude": -117.0,
            "receiver_elevation_m": 700.0,
            "p_arrival_sample": [r[3] for r in rows],
            "p_status": "manual",
            "s_arrival_sample": [r[4] for r in rows],
            "source_id": ["ev1", "ev1", np.nan],
            "source_origin_time": ["2018-01-01 00:00:01.00", "2018-01-01 00:00:01.00", np.nan],
            "source_latitude": [35.5, 35.5, np.nan],
            "source_longitude": [-116.5, -116.5, np.nan],
            "source_depth_km": [8.0, 8.0, np.nan],
            "source_magnitude": [2.1, 2.1, np.nan],
            "source_distance_km": [70.0, 70.0, np.nan],
            "back_azimuth_deg": [r[5] for r in rows],
            "snr_db": [r[6] for r in rows],
            "coda_end_sample": ["[[3898.]]", "[[4100.]]", ""],
            "trace_start_time": "2018-01-01 00:00:00",
            "trace_category": [r[2] for r in rows],
            "trace_name": [r[0] for r in rows],
        }
    )
    table.to_csv(folder / f"{stem}.csv", index=False)
    return stored


@pytest.fixture
def stead_writer() -> Callable[..., dict[str, np.ndarray]]:
    """The :func:`write_stead` helper."""
    return write_stead
