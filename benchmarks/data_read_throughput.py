"""Read throughput (traces/s): seislearn's SeisBench reader vs SeisBench's own WaveformDataset.

Both read the same files in the same process: the SeisBench-format dummy in
../shared/data (100 traces) and a larger synthetic file written here with
``write_seisbench`` (default 20,000 traces of shape (3, 1200) float32).
Every configuration is run once to warm the OS page cache, then timed
``--repeat`` rounds, all configurations in turn within a round (so a change
in the load of the shared machine falls on all alike); the best time is kept.

Also measured in the same run, as the physical limits: every HDF5 dataset of
the file read whole with one h5py call each (the contiguous read of the same
bytes) and a memcpy of as many bytes; and the streamed loader of
``seislearn.data.streaming`` (raw waveforms, batches of contiguous blocks, in
file order and block-shuffled, 0 and 2 DataLoader workers), reported as a
fraction of the contiguous read and as a multiple of SeisBench's batched
``get_waveforms``. SeisBench is the installed ``seisbench`` package
(``seisbench.data.WaveformDataset``), read with the same component and
dimension order; its batched read is ``get_waveforms(array of indices)``.

Per-trace readers (``get_waveform(i)`` in a loop) are timed over the first
``--single`` traces only (they are 10-100 times slower; the rate is the same).

Usage::

    python benchmarks/data_read_throughput.py            # 10,000 traces
    python benchmarks/data_read_throughput.py --n 2000   # quicker
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from results_io import write_json
from seislearn.data.dataset import ArrayLoader, WaveformDataset
from seislearn.data.streaming import streamed_loader
from seislearn.io.seisbench import read_seisbench, write_seisbench

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"


def _best_interleaved(
    configurations: dict[str, Callable[[], int]], repeat: int
) -> tuple[dict[str, float], dict[str, int]]:
    """Best seconds of each configuration over ``repeat`` rounds, run in turn within each round.

    Every configuration runs once first (page cache, file handles, workers);
    then each round runs all of them one after the other, so a change in the
    load of the shared machine falls on all of them alike.
    """
    counts = {label: fn() for label, fn in configurations.items()}
    best = dict.fromkeys(configurations, np.inf)
    for _ in range(repeat):
        for label, fn in configurations.items():
            t0 = time.perf_counter()
            count = fn()
            best[label] = min(best[label], time.perf_counter() - t0)
            assert count == counts[label], (label, count, counts[label])
    return best, counts


def _synthetic(path: Path, n: int, samples: int) -> None:
    rng = np.random.default_rng(0)
    names = [f"tr{i:06d}" for i in range(n)]
    base = rng.standard_normal((64, 3, samples)).astype(np.float32)
    waves = {name: base[i % 64] * (1 + i % 7) for i, name in enumerate(names)}
    meta = pd.DataFrame({"trace_name": names, "trace_sampling_rate_hz": 20.0, "split": "train"})
    write_seisbench(WaveformDataset(meta, ArrayLoader(waves)), path, bucket_size=1024)


def measure(path: Path, repeat: int, batch_size: int, single: int) -> dict[str, float]:
    import seisbench.data as sbd

    ours = read_seisbench(path)
    theirs = sbd.WaveformDataset(path, component_order="ZNE", dimension_order="NCW")
    n = len(ours)
    assert len(theirs) == n
    np.testing.assert_array_equal(ours.get_waveform(n - 1), theirs.get_waveforms(n - 1))

    few = min(n, single)

    def ours_single() -> int:
        return sum(ours.get_waveform(i).shape[0] > 0 for i in range(few))

    def ours_batches() -> int:
        return sum(len(w) for w, _ in ours.iter_batches(batch_size))

    def theirs_single() -> int:
        return sum(theirs.get_waveforms(i).shape[0] > 0 for i in range(few))

    def theirs_batches() -> int:
        return sum(
            len(theirs.get_waveforms(np.arange(s, min(s + batch_size, n))))
            for s in range(0, n, batch_size)
        )

    def streamed(num_workers: int, shuffle: bool = False) -> Callable[[], int]:
        # One loader per configuration, as in training: each timed run is one epoch
        # (its workers persist between epochs; the archive's names are parsed once).
        loader = streamed_loader(
            ours, np.arange(n), None, batch_size, shuffle=shuffle, num_workers=num_workers
        )

        def run() -> int:
            return sum(len(x) for (x,) in loader)

        return run

    h5_path = _waveform_file(path)

    def contiguous_h5py() -> int:
        # The physical ceiling: every HDF5 dataset under data/ read whole, one call each.
        with h5py.File(h5_path, "r") as f:
            arrays = [f["data"][name][()] for name in f["data"]]
        return sum(a.shape[0] if a.ndim == 3 else 1 for a in arrays)

    with h5py.File(h5_path, "r") as f:
        total_bytes = sum(f["data"][name].nbytes for name in f["data"])
    source = np.ones(total_bytes // 4, dtype=np.float32)
    target = np.empty_like(source)

    def memcpy() -> int:
        np.copyto(target, source)
        return n

    out: dict[str, float] = {}
    configurations = {
        "seislearn_get_waveform": ours_single,
        "seislearn_iter_batches": ours_batches,
        "seislearn_streamed_loader_0_workers": streamed(0),
        "seislearn_streamed_loader_0_workers_shuffled": streamed(0, shuffle=True),
        "seislearn_streamed_loader_2_workers": streamed(2),
        "seisbench_get_waveforms_single": theirs_single,
        "seisbench_get_waveforms_batch": theirs_batches,
        "h5py_contiguous_read_same_bytes": contiguous_h5py,
        "memcpy_same_bytes": memcpy,
    }
    best, counts = _best_interleaved(configurations, repeat)
    for label, seconds in best.items():
        count = few if label.endswith("_single") or label == "seislearn_get_waveform" else n
        assert counts[label] == count, (label, counts[label], count)  # every trace read
        out[label] = round(count / seconds, 1)
        print(f"  {label:<46}{out[label]:>12,.0f} traces/s", flush=True)
    ceiling = out["h5py_contiguous_read_same_bytes"]
    for label in (
        "seislearn_iter_batches",
        "seislearn_streamed_loader_0_workers",
        "seislearn_streamed_loader_0_workers_shuffled",
        "seislearn_streamed_loader_2_workers",
    ):
        out[f"{label}_fraction_of_contiguous"] = round(out[label] / ceiling, 3)
        out[f"{label}_x_seisbench_batch"] = round(
            out[label] / out["seisbench_get_waveforms_batch"], 2
        )
        print(
            f"  {label}: {out[label] / ceiling:.0%} of the contiguous read, "
            f"{out[label] / out['seisbench_get_waveforms_batch']:.1f}x SeisBench batched"
        )
    ours.close()
    return out


def _waveform_file(path: Path) -> Path:
    files = sorted(path.glob("waveforms*.hdf5"))
    assert len(files) == 1, files
    return files[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10000, help="traces in the synthetic file")
    parser.add_argument(
        "--single", type=int, default=2000, help="traces timed for the per-trace readers"
    )
    parser.add_argument("--samples", type=int, default=1200, help="samples per channel")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--out", default=str(HERE / "results" / "data_read_throughput.json"))
    args = parser.parse_args()
    import os
    import sys

    import seisbench

    results: dict[str, object] = {
        "benchmark": "data_read_throughput",
        "command": " ".join(["python", *sys.argv]),
        "seisbench_version": seisbench.__version__,
        "h5py_version": h5py.__version__,
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
        "unit": "traces per second (best of repeats, warm page cache)",
        "platform": platform.platform(),
        "processor_count": os.cpu_count(),
        "note": "shared 2-core machine under load from other users: absolute numbers are noisy, "
        "the ratio between readers in the same run is the result",
        "batch_size": args.batch_size,
    }
    dummy = SHARED / "seisbench_dummy"
    if dummy.is_dir():
        print(f"seisbench_dummy ({dummy})")
        results["seisbench_dummy"] = {
            "traces": 100,
            **measure(dummy, args.repeat, args.batch_size, args.single),
        }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic"
        t0 = time.perf_counter()
        _synthetic(path, args.n, args.samples)
        print(
            f"synthetic: {args.n} traces x (3, {args.samples}) written in {time.perf_counter() - t0:.1f} s"
        )
        results["synthetic"] = {
            "traces": args.n,
            "shape": [3, args.samples],
            "bytes": sum(p.stat().st_size for p in path.iterdir()),
            **measure(path, args.repeat, args.batch_size, args.single),
        }
    results["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    write_json(results, args.out)


if __name__ == "__main__":
    main()
