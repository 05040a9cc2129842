"""``seislearn cluster train`` in memory vs streamed through the feature cache, end to end.

Writes ``--n`` synthetic events (``seislearn.data.synthetic.make_events``) as a
SeisBench folder in a temporary directory, then runs ``cluster train`` on it
twice in a child process each, ``--streaming memory`` and ``--streaming
stream`` (its own empty feature cache), with a fixed amount of training so
that the numbers measure throughput, not convergence: ``--pretrain-epochs``
pretraining epochs (no early stopping), at most 2 DEC epochs, 2 KMeans
restarts, a PCA embedding plot, k in [2, 3]. It records the run's own timings
(``manifest.json``: ``features``, ``fit``, ``predict``), the child's peak
resident memory (its own ru_maxrss, which includes Python and torch), and whether the
two runs wrote the same ``assignments.csv`` and ``metrics.json`` (apart from
``data_streaming``). One torch thread; results printed and written to
``benchmarks/results/cluster_streaming.json`` (``--name``)::

    nice -n 10 python benchmarks/cluster_streaming.py --n 3000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results_io import command_line, machine, save_result

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"


def run_mode(data: Path, root: Path, mode: str, pretrain_epochs: int) -> dict:
    """One ``cluster train`` in a child process; its timings, peak memory and outputs."""
    out = root / f"run_{mode}"
    overrides = [
        f"training.pretrain_epochs={pretrain_epochs}",
        f"training.patience={pretrain_epochs + 1}",
        "training.dec_max_epochs=2",
        "training.n_init=2",
        "embedding_plot=pca",
        "k_range=[2,3]",
    ]
    command = [sys.executable, "-m", "seislearn", "-q", "cluster", "train", "--data", str(data)]
    command += ["--n-clusters", "2", "--out", str(out), "--label-column", "source_type"]
    command += ["--streaming", mode]
    for item in overrides:
        command += ["--set", item]
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "OMP_NUM_THREADS": "1",
        "SEISLEARN_CACHE_DIR": str(root / f"cache_{mode}"),
    }
    t0 = time.perf_counter()
    child = subprocess.Popen(command, env=env)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if child.returncode != 0:
        raise SystemExit(f"cluster train --streaming {mode} failed ({child.returncode})")
    manifest = json.loads((out / "manifest.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    return {
        "mode": mode,
        "wall_s": round(wall, 1),
        "timings_s": manifest.get("timings_s", {}),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),  # ru_maxrss: KB on Linux
        "pretrain_epochs_run": metrics["training"]["pretrain_epochs_run"],
        "data_streaming": metrics["data_streaming"],
        "_out": out,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="synthetic events")
    parser.add_argument("--pretrain-epochs", type=int, default=3)
    parser.add_argument("--name", default="cluster_streaming", help="results/NAME.json")
    args = parser.parse_args()
    sys.path.insert(0, str(SRC))
    from seislearn.data.synthetic import make_events
    from seislearn.io.seisbench import write_seisbench

    with tempfile.TemporaryDirectory(dir=os.environ.get("SCALE_TMP")) as tmp:
        root = Path(tmp)
        data = root / "events"
        t0 = time.perf_counter()
        write_seisbench(make_events(args.n, seed=1), data)
        write_s = time.perf_counter() - t0
        rows = [run_mode(data, root, mode, args.pretrain_epochs) for mode in ("memory", "stream")]
        a, b = (r.pop("_out") for r in rows)
        same_assignments = (a / "assignments.csv").read_bytes() == (
            b / "assignments.csv"
        ).read_bytes()
        ma, mb = (json.loads((p / "metrics.json").read_text()) for p in (a, b))
        ma.pop("data_streaming")
        mb.pop("data_streaming")
    memory, stream = rows
    fit_ratio = memory["timings_s"]["fit"] / stream["timings_s"]["fit"]
    result = {
        "command": command_line(),
        "n_traces": args.n,
        "write_archive_s": round(write_s, 1),
        "runs": rows,
        "fit_speed_streamed_vs_memory": round(fit_ratio, 3),
        "same_assignments": same_assignments,
        "same_metrics": ma == mb,
        "load_average": os.getloadavg(),
        "machine": machine(),
    }
    save_result(args.name, result, echo=True)


if __name__ == "__main__":
    main()
