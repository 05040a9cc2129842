"""Geodesic back-azimuth and distance: vectorised Vincenty vs a loop over ObsPy.

``seislearn.data.labels.geodesic_inverse`` (WGS84, NumPy) on ``--n`` random
source-station pairs (a quarter anywhere on the globe, the rest within about
5 degrees, as in regional catalogues) against ``obspy.geodetics.gps2dist_azimuth``
called once per pair. The largest differences from ObsPy are reported with the
timings (best of ``--repeat``).

Usage::

    python benchmarks/geodesic_throughput.py
    python benchmarks/geodesic_throughput.py --n 100000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from obspy.geodetics import gps2dist_azimuth

from results_io import save_result
from seislearn.data.labels import geodesic_inverse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    n = args.n
    lat1, lon1 = rng.uniform(-89, 89, n), rng.uniform(-180, 180, n)
    lat2 = np.clip(lat1 + rng.normal(0, 5, n), -89.9, 89.9)
    lon2 = lon1 + rng.normal(0, 5, n)
    far = n // 4
    lat2[:far], lon2[:far] = rng.uniform(-89, 89, far), rng.uniform(-180, 180, far)
    vectorised, looped = np.inf, np.inf
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        distance, azimuth, back_azimuth = geodesic_inverse(lat1, lon1, lat2, lon2)
        vectorised = min(vectorised, time.perf_counter() - t0)
    reference = None
    for _ in range(max(1, args.repeat - 2)):
        t0 = time.perf_counter()
        reference = np.array(
            [gps2dist_azimuth(*p) for p in zip(lat1, lon1, lat2, lon2, strict=True)]
        )
        looped = min(looped, time.perf_counter() - t0)

    def wrapped(a: np.ndarray) -> float:
        return float(np.max(np.abs((a + 180.0) % 360.0 - 180.0)))

    results = {
        "conditions": "2 CPU cores shared with other engineers (contended)",
        "n_pairs": n,
        "vectorised_s": round(vectorised, 4),
        "obspy_loop_s": round(looped, 4),
        "vectorised_pairs_per_s": round(n / vectorised),
        "obspy_pairs_per_s": round(n / looped),
        "max_distance_difference_m": float(np.max(np.abs(distance - reference[:, 0]))),
        "max_azimuth_difference_deg": wrapped(azimuth - reference[:, 1]),
        "max_back_azimuth_difference_deg": wrapped(back_azimuth - reference[:, 2]),
    }
    save_result("geodesic_throughput", results, echo=True)


if __name__ == "__main__":
    main()
