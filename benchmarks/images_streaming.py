"""``seislearn images fit`` in memory vs streamed from the files, end to end.

Writes ``--n`` synthetic patches of ``--size`` x ``--size`` pixels
(``seislearn data synth images``, float32 ``.npy``) into a temporary folder,
then runs ``images fit`` on it twice, in a child process each, ``--streaming
memory`` and ``--streaming stream`` (2 DataLoader workers; each run its own
empty feature cache), with a fixed amount of training so that the numbers
measure the data path, not convergence: ``--epochs`` SSL epochs (no early
stopping), UMAP fitted on a sample of ``--umap-sample`` patches and
``transform`` for the rest, 2 KMeans restarts, a PCA plot. It records the
wall time of each command, the run's own timings (``manifest.json``), the
peak RSS and PSS sums of the child's whole process tree (the command and its
DataLoader workers, sampled every 0.2 s from ``/proc``), and whether the two
runs wrote the same ``predictions.csv``, ``metrics.json`` (apart from how the
data were read) and cached features. One torch thread per process; results
printed and written to ``benchmarks/results/images_streaming.json``
(``--name``)::

    nice -n 10 python benchmarks/images_streaming.py --n 2000 --size 160
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(HERE))

from results_io import command_line, machine, save_result  # noqa: E402
from scale_stream import tree_memory_bytes  # noqa: E402  (the same /proc accounting)

#: metrics.json keys that say how the data were read, not what the run found.
HOW = ("data_streaming", "features_from_cache")


class ChildPeak:
    """Samples the memory of process ``pid`` and its descendants in a thread, bytes."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_rss = self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            rss, pss = tree_memory_bytes(self.pid)
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_mode(data: Path, root: Path, mode: str, args: argparse.Namespace) -> dict:
    """One ``images fit`` in a child process: its timings, peak memory and outputs."""
    out = root / f"run_{mode}"
    overrides = [
        f"ssl.epochs={args.epochs}",
        f"ssl.patience={args.epochs + 1}",
        f"umap_sample={args.umap_sample}",
        "n_init=2",
        "plot_projection=pca",
        f"cache_dir={root / f'cache_{mode}'}",
        "num_workers=2",
    ]
    command = [sys.executable, "-m", "seislearn", "-q", "images", "fit", str(data)]
    command += ["--out", str(out), "--streaming", mode, "--quiet"]
    for item in overrides:
        command += ["--set", item]
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    t0 = time.perf_counter()
    child = subprocess.Popen(command, env=env)
    peak = ChildPeak(child.pid)
    child.wait()
    peak.stop()
    wall = time.perf_counter() - t0
    if child.returncode != 0:
        raise SystemExit(f"images fit --streaming {mode} failed ({child.returncode})")
    manifest = json.loads((out / "manifest.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    return {
        "mode": mode,
        "wall_s": round(wall, 1),
        "timings_s": manifest.get("timings_s", {}),
        "peak_rss_sum_mib": round(peak.peak_rss / 2**20, 1),
        "peak_pss_sum_mib": round(peak.peak_pss / 2**20, 1),
        "ARI": metrics.get("ARI"),
        "data_streaming": metrics["data_streaming"],
        "_out": out,
        "_cache": root / f"cache_{mode}",
    }


def same_features(a: Path, b: Path) -> bool:
    """The two feature caches hold one entry each, under the same key, with equal features."""
    import numpy as np

    fa, fb = sorted(a.glob("*.npz")), sorted(b.glob("*.npz"))
    if [p.name for p in fa] != [p.name for p in fb] or len(fa) != 1:
        return False
    with np.load(fa[0]) as x, np.load(fb[0]) as y:
        return bool(np.array_equal(x["features"], y["features"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="synthetic patches")
    parser.add_argument("--size", type=int, default=160, help="patch side, pixels")
    parser.add_argument("--epochs", type=int, default=2, help="SSL epochs")
    parser.add_argument("--umap-sample", type=int, default=1000, help="patches UMAP is fit on")
    parser.add_argument("--name", default="images_streaming", help="results/NAME.json")
    args = parser.parse_args()
    sys.path.insert(0, str(SRC))
    from seislearn.data.synthetic_images import write_images

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(dir=os.environ.get("SCALE_TMP")) as tmp:
        root = Path(tmp)
        data = root / "patches"
        t0 = time.perf_counter()
        write_images(data, args.n, seed=1, size=args.size, fmt="npy")
        write_s = time.perf_counter() - t0
        folder_mib = sum(p.stat().st_size for p in data.rglob("*.npy")) / 2**20
        rows = [run_mode(data, root, mode, args) for mode in ("memory", "stream")]
        (a, b), (ca, cb) = ((r.pop("_out") for r in rows), (r.pop("_cache") for r in rows))
        same_predictions = (a / "predictions.csv").read_bytes() == (
            b / "predictions.csv"
        ).read_bytes()
        ma, mb = (json.loads((p / "metrics.json").read_text()) for p in (a, b))
        for key in HOW:
            ma.pop(key, None)
            mb.pop(key, None)
        features_equal = same_features(ca, cb)
    memory, stream = rows
    result = {
        "command": command_line(),
        "n_patches": args.n,
        "patch_size": args.size,
        "folder_mib": round(folder_mib, 1),
        "write_folder_s": round(write_s, 1),
        "runs": rows,
        "wall_streamed_vs_memory": round(stream["wall_s"] / memory["wall_s"], 3),
        "peak_rss_streamed_vs_memory": round(
            stream["peak_rss_sum_mib"] / memory["peak_rss_sum_mib"], 3
        ),
        "same_predictions": same_predictions,
        "same_metrics": ma == mb,
        "same_features": features_equal,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "machine": machine(),
    }
    save_result(args.name, result, echo=True)


if __name__ == "__main__":
    main()
