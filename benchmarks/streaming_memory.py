"""Peak memory of one command in memory vs streamed (``--streaming``), same data, same run.

Writes a SeisBench-format archive of ``--n`` three-component traces (60 s at
100 Hz, a P pick at 20 s; 64 base waveforms scaled, so writing is fast), trains
a tiny P64 classify model on 300 synthetic events (``data synth events``), then
runs ``seislearn classify predict`` on the archive twice, in its own process
each time: ``--streaming memory`` and ``--streaming stream`` (feature cache
in a fresh temporary folder, so the streamed run builds its store). The peak
resident memory of each command's process tree is sampled every 50 ms
(``/proc``); the two predictions are compared row by row. Usage::

    python benchmarks/streaming_memory.py --n 12000
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RATE = 100.0


def _tree_rss():
    spec = importlib.util.spec_from_file_location("scale_stream", HERE / "scale_stream.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return lambda pid: module.tree_memory_bytes(pid)[0]  # RSS of the whole tree


def write_archive(path: Path, n: int) -> None:
    from seislearn.data.dataset import ArrayLoader, WaveformDataset
    from seislearn.io.seisbench import write_seisbench

    rng = np.random.default_rng(0)
    samples = round(60 * RATE)
    t = np.arange(samples) / RATE
    base = rng.standard_normal((64, 3, samples)).astype(np.float32) * 0.1
    onset = t >= 20.0
    for k in range(64):
        burst = np.sin(2 * np.pi * rng.uniform(2, 8) * t[onset]) * np.exp(-(t[onset] - 20) / 3)
        base[k][:, onset] += burst[None, :] * rng.uniform(0.5, 1.5, (3, 1))
    names = [f"tr{i:07d}" for i in range(n)]
    meta = pd.DataFrame(
        {
            "trace_name": names,
            "source_id": [f"ev{i}" for i in range(n)],
            "trace_sampling_rate_hz": RATE,
            "trace_p_arrival_sample": 2000,
        }
    )
    waves = {name: base[i % 64] * (1 + i % 7) for i, name in enumerate(names)}
    write_seisbench(WaveformDataset(meta, ArrayLoader(waves)), path, bucket_size=1024)


def peak_rss_of(command: list[str], env: dict[str, str]) -> tuple[int, float]:
    """Peak resident bytes of the command's process tree and its wall time, seconds."""
    tree_rss_bytes = _tree_rss()
    t0 = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.05):
            peak = max(peak, tree_rss_bytes(process.pid))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    code = process.wait()
    done.set()
    thread.join()
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {code}")
    return peak, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=12000)
    parser.add_argument("--out", default=str(HERE / "results" / "streaming_memory.json"))
    args = parser.parse_args()
    seislearn = [sys.executable, "-m", "seislearn"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = {**os.environ, "SEISLEARN_CACHE_DIR": str(root / "cache")}
        env.pop("SEISLEARN_SMALL", None)
        write_archive(root / "archive", args.n)
        train_env = {**env, "SEISLEARN_SMALL": "1"}
        subprocess.run(
            [*seislearn, "data", "synth", "events", "--n", "300", "--out", str(root / "s")],
            env=train_env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [
                *seislearn,
                "classify",
                "train",
                "--data",
                str(root / "s"),
                "--target",
                "source_type",
                "--out",
                str(root / "run"),
                "--streaming",
                "memory",
            ],
            env=train_env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        results = {}
        for mode in ("memory", "stream"):
            out = root / f"pred_{mode}.csv"
            command = [
                *seislearn,
                "--quiet",
                "classify",
                "predict",
                "--model",
                str(root / "run"),
                "--data",
                str(root / "archive"),
                "--out",
                str(out),
                "--streaming",
                mode,
            ]
            peak, seconds = peak_rss_of(command, env)
            results[mode] = {"peak_rss_gib": peak / 2**30, "wall_s": seconds}
            print(f"{mode:7s} peak RSS {peak / 2**30:.2f} GiB, {seconds:.0f} s", flush=True)
        tables = []
        for mode in results:
            tables.append(pd.read_csv(root / f"pred_{mode}.csv"))
        numeric = [c for c in tables[0].columns if c.startswith("probability_")]
        difference = float(
            np.abs(tables[0][numeric].to_numpy() - tables[1][numeric].to_numpy()).max()
        )
        print(f"largest probability difference between the two runs: {difference:.2e}")
    record = {
        "benchmark": "streaming_memory",
        "command_line": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "conditions": {
            "n_traces": args.n,
            "trace": "3 x 6000 float32 (60 s at 100 Hz)",
            "command": "seislearn classify predict (P64 spectrograms) --streaming memory|stream",
            "machine": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_1min": os.getloadavg()[0],
        },
        "results": results,
        "rows": len(tables[0]),
        "max_probability_difference": difference,
    }
    Path(args.out).write_text(json.dumps(record, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
