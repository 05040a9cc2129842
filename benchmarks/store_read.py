"""Rows of a feature-cache store read in a shuffled order: one read per run vs h5py fancy indexing.

A DataLoader with ``shuffle=True`` over stored windows or spectrograms (the
streamed ``cluster`` and ``classify`` fits) asks for scattered rows. This
script writes a chunked store of ``--n`` rows of ``--shape`` float32 (chunks of
1,024 rows, as the feature cache writes them) into a temporary folder and
times, in the same run, batches of ``--batch`` rows drawn three ways (uniform
random rows; ``--blocks`` random blocks of consecutive rows; one contiguous
slice), each read by:

- ``fancy``: ``dataset[sorted_rows]``, h5py's fancy indexing (the store's read
  until this benchmark);
- ``read_direct``: h5py's high-level ``Dataset.read_direct``, one call per run
  of consecutive rows;
- ``runs``: :func:`seislearn.data.window_store.read_row_runs`, one low-level
  HDF5 read per run of consecutive rows (the store's read now);
- ``memory``: the same rows indexed from the array in memory (the floor).

Best of ``--repeat`` rounds, milliseconds per batch; prints and saves JSON::

    python benchmarks/store_read.py
    python benchmarks/store_read.py --n 20000 --shape 3 64 40 --batch 256
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from results_io import write_json

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _time(fn, batches: list[np.ndarray], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for rows in batches:
            fn(rows)
        best = min(best, (time.perf_counter() - t0) / len(batches))
    return best * 1000.0


def _read_direct(node, rows: np.ndarray) -> np.ndarray:
    """One high-level ``read_direct`` per run of consecutive rows."""
    from seislearn.data.window_store import row_runs

    out = np.empty((len(rows), *node.shape[1:]), node.dtype)
    starts, stops = row_runs(rows)
    for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
        first = int(rows[a])
        node.read_direct(out, np.s_[first : first + (b - a)], np.s_[a:b])
    return out


def main() -> None:
    import h5py

    from seislearn.data.window_store import read_row_runs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="rows in the store")
    parser.add_argument("--shape", type=int, nargs="+", default=[3, 64, 40], help="row shape")
    parser.add_argument("--batch", type=int, default=256, help="rows per batch")
    parser.add_argument("--blocks", type=int, default=8, help="blocks per batch (block draw)")
    parser.add_argument("--batches", type=int, default=20, help="batches per timing")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is kept")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/store_read.json"))
    args = parser.parse_args()
    shape = tuple(args.shape)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.h5"
        array = rng.standard_normal((args.n, *shape)).astype(np.float32)
        with h5py.File(path, "w") as f:
            f.create_dataset("x", data=array, chunks=(min(1024, args.n), *shape))
        size = args.batch // args.blocks
        draws = {
            "random_rows": [
                np.sort(rng.choice(args.n, args.batch, replace=False)) for _ in range(args.batches)
            ],
            "random_blocks": [
                np.sort(
                    np.concatenate(
                        [
                            np.arange(s, s + size)
                            for s in rng.choice(args.n // size, args.blocks, replace=False) * size
                        ]
                    )
                )
                for _ in range(args.batches)
            ],
            "contiguous": [
                np.arange(s, s + args.batch)
                for s in rng.choice(args.n - args.batch, args.batches, replace=False)
            ],
        }
        results: dict[str, dict[str, float]] = {}
        with h5py.File(path, "r", rdcc_nbytes=1 << 20) as f:
            node = f["x"]
            for name, batches in draws.items():
                for rows in batches[:2]:  # the two readers agree
                    np.testing.assert_array_equal(read_row_runs(node, rows), node[rows])
                results[name] = {
                    "fancy_ms": _time(lambda r: node[r], batches, args.repeat),
                    "read_direct_ms": _time(lambda r: _read_direct(node, r), batches, args.repeat),
                    "runs_ms": _time(lambda r: read_row_runs(node, r), batches, args.repeat),
                    "memory_ms": _time(lambda r: array[r], batches, args.repeat),
                }
                r = results[name]
                r["fancy_over_runs"] = r["fancy_ms"] / r["runs_ms"]
                print(
                    f"{name:14s} fancy {r['fancy_ms']:8.2f} ms  read_direct "
                    f"{r['read_direct_ms']:7.2f} ms  runs {r['runs_ms']:7.2f} ms  "
                    f"memory {r['memory_ms']:6.2f} ms  (fancy / runs {r['fancy_over_runs']:.1f}x)"
                )
    out = {
        "benchmark": "store_read",
        "command": "python benchmarks/store_read.py " + " ".join(sys.argv[1:]),
        "rows": args.n,
        "row_shape": list(shape),
        "batch": args.batch,
        "blocks_per_batch": args.blocks,
        "h5py": h5py.__version__,
        "hdf5": h5py.version.hdf5_version,
        "load_average": list(os.getloadavg()),
        "platform": platform.platform(),
        "results_ms_per_batch": results,
    }
    write_json(out, args.out)


if __name__ == "__main__":
    main()
