"""Read throughput (traces/s): seislearn's SeisBench reader vs SeisBench's own WaveformDataset.

Both read the same files in the same process: the SeisBench-format dummy in
../shared/data (100 traces) and a larger synthetic file written here with
``write_seisbench`` (default 20,000 traces of shape (3, 1200) float32).
Every configuration is run once to warm the OS page cache, then timed
``--repeat`` times; the best time is kept (the machine is shared).

Usage::

    python benchmarks/data_read_throughput.py            # 20,000 traces
    python benchmarks/data_read_throughput.py --n 2000   # quicker
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from seislearn.data.dataset import ArrayLoader, WaveformDataset
from seislearn.io.seisbench import read_seisbench, write_seisbench

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"


def _best(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    fn()  # warm the page cache and the file handles
    best, count = np.inf, 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        count = fn()
        best = min(best, time.perf_counter() - t0)
    return best, count


def _synthetic(path: Path, n: int, samples: int) -> None:
    rng = np.random.default_rng(0)
    names = [f"tr{i:06d}" for i in range(n)]
    base = rng.standard_normal((64, 3, samples)).astype(np.float32)
    waves = {name: base[i % 64] * (1 + i % 7) for i, name in enumerate(names)}
    meta = pd.DataFrame({"trace_name": names, "trace_sampling_rate_hz": 20.0, "split": "train"})
    write_seisbench(WaveformDataset(meta, ArrayLoader(waves)), path, bucket_size=1024)


def measure(path: Path, repeat: int, batch_size: int) -> dict[str, float]:
    import seisbench.data as sbd

    ours = read_seisbench(path)
    theirs = sbd.WaveformDataset(path, component_order="ZNE", dimension_order="NCW")
    n = len(ours)
    assert len(theirs) == n
    np.testing.assert_array_equal(ours.get_waveform(n - 1), theirs.get_waveforms(n - 1))

    def ours_single() -> int:
        return sum(ours.get_waveform(i).shape[0] > 0 for i in range(n))

    def ours_batches() -> int:
        return sum(len(w) for w, _ in ours.iter_batches(batch_size))

    def theirs_single() -> int:
        return sum(theirs.get_waveforms(i).shape[0] > 0 for i in range(n))

    def theirs_batches() -> int:
        return sum(
            len(theirs.get_waveforms(np.arange(s, min(s + batch_size, n))))
            for s in range(0, n, batch_size)
        )

    out = {}
    for label, fn in (
        ("seislearn_get_waveform", ours_single),
        ("seislearn_iter_batches", ours_batches),
        ("seisbench_get_waveforms_single", theirs_single),
        ("seisbench_get_waveforms_batch", theirs_batches),
    ):
        seconds, count = _best(fn, repeat)
        assert count == n, (label, count, n)
        out[label] = round(n / seconds, 1)
        print(f"  {label:<34}{out[label]:>12,.0f} traces/s")
    ours.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=20000, help="traces in the synthetic file")
    parser.add_argument("--samples", type=int, default=1200, help="samples per channel")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--out", default=str(HERE / "results" / "data_read_throughput.json"))
    args = parser.parse_args()
    results: dict[str, object] = {
        "benchmark": "data_read_throughput",
        "unit": "traces per second (best of repeats, warm page cache)",
        "platform": platform.platform(),
        "processor_count": __import__("os").cpu_count(),
        "note": "shared 2-core machine under load from other users: absolute numbers are noisy, "
        "the ratio between readers in the same run is the result",
        "batch_size": args.batch_size,
    }
    dummy = SHARED / "seisbench_dummy"
    if dummy.is_dir():
        print(f"seisbench_dummy ({dummy})")
        results["seisbench_dummy"] = {"traces": 100, **measure(dummy, args.repeat, args.batch_size)}
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
            **measure(path, args.repeat, args.batch_size),
        }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
