"""1 process vs 2 DDP processes on CPU (gloo): time per epoch and the test metric, same data.

Writes ``--n`` synthetic events (``make_events``, seed 3) as a SeisBench folder in
a temporary directory and trains the azimuth model on it twice with the
``seislearn`` command: one process with ``training.batch_size=B``, and
``--strategy ddp --devices 2 --accelerator cpu`` with ``B/2`` per process (the
same effective batch). Each process uses one torch thread. Records the wall
time of the whole command, Lightning's mean seconds per training epoch, and the
test circular MAE (model and polarization baseline) from each run's metrics.json.

Usage::

    python benchmarks/scale_ddp.py                      # 2,000 events, 10 epochs
    python benchmarks/scale_ddp.py --n 500 --epochs 4   # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results_io import write_json

HERE = Path(__file__).resolve().parent


def _run(data: Path, out: Path, epochs: int, batch: int, ddp: bool) -> dict:
    command = [
        sys.executable, "-m", "seislearn", "azimuth", "train", "--data", str(data),
        "--out", str(out), "--set", f"training.head_epochs={epochs}",
        "--set", f"training.batch_size={batch}", "--set", "training.patience=1000",
    ]  # fmt: skip
    if ddp:
        command += ["--strategy", "ddp", "--devices", "2", "--accelerator", "cpu"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    t0 = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    metrics = json.loads((out / "metrics.json").read_text())
    training = metrics["training"]["end_to_end"]
    return {
        "processes": 2 if ddp else 1,
        "batch_size_per_process": batch,
        "wall_s": round(wall, 1),
        "epochs": training["epochs"],
        "seconds_per_epoch": round(training["seconds_per_epoch"], 3),
        "test_mae_deg": round(metrics["model"]["overall"]["mae_deg"], 2),
        "baseline_mae_deg": round(metrics["baseline"]["overall"]["mae_deg"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000, help="synthetic events")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64, help="effective batch")
    parser.add_argument("--out", default=str(HERE / "results" / "scale_ddp.json"))
    args = parser.parse_args()
    from seislearn.data.synthetic import make_events
    from seislearn.io.seisbench import write_seisbench

    load = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "events"
        write_seisbench(make_events(args.n, seed=3), data)
        for ddp in (False, True):
            batch = args.batch_size // 2 if ddp else args.batch_size
            row = _run(data, Path(tmp) / f"run{int(ddp)}", args.epochs, batch, ddp)
            rows.append(row)
            print(
                f"  {row['processes']} process(es): {row['seconds_per_epoch']:.2f} s/epoch, "
                f"wall {row['wall_s']:.0f} s, test MAE {row['test_mae_deg']:.2f} deg "
                f"(polarization {row['baseline_mae_deg']:.2f})"
            )
    result = {
        "benchmark": "scale_ddp",
        "data": f"make_events({args.n}, seed=3), azimuth default config, "
        f"{args.epochs} epochs (no early stopping), effective batch {args.batch_size}",
        "platform": platform.platform(),
        "processor_count": os.cpu_count(),
        "conditions": f"shared 2-core CPU machine, 1-minute load average {load:.1f} at start; "
        "one torch thread per process; gloo backend",
        "runs": rows,
    }
    write_json(result, args.out)


if __name__ == "__main__":
    main()
