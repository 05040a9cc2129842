"""Embeddings to clusters at scale: KMeans vs MiniBatchKMeans, UMAP fitted on a sample.

Draws ``--n`` embeddings (``--dim`` dimensions, float32) from ``--k`` Gaussian
clusters, then for each size times and measures (peak resident memory of the
process, sampled every 50 ms):

- ``kmeans``: scikit-learn ``KMeans(n_init=1)`` on all embeddings (skipped above
  ``--kmeans-max``);
- ``minibatch_kmeans``: ``MiniBatchKMeans(batch_size=4096, n_init=1)``;
- ``umap_sample_transform``: ``umap.UMAP`` fitted on ``--umap-sample``
  embeddings, then ``transform`` for all of them in blocks of 100,000 (skipped
  above ``--umap-max``).

Each clustering is scored with the adjusted Rand index against the generating
clusters. One thread (``OMP_NUM_THREADS=1``) unless told otherwise. Usage::

    OMP_NUM_THREADS=1 python benchmarks/scale_clusters.py --n 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakMemory:
    def __enter__(self) -> PeakMemory:
        self.start = rss_bytes()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed(fn, truth: np.ndarray) -> dict:
    from sklearn.metrics import adjusted_rand_score

    with PeakMemory() as memory:
        t0 = time.perf_counter()
        labels = fn()
        seconds = time.perf_counter() - t0
    return {
        "seconds": round(seconds, 1),
        "peak_rss_gib": round(memory.peak / 2**30, 3),
        "added_rss_gib": round((memory.peak - memory.start) / 2**30, 3),
        "ari": round(float(adjusted_rand_score(truth, labels)), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dim", type=int, default=16)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--kmeans-max", type=int, default=1_000_000)
    parser.add_argument("--umap-sample", type=int, default=10_000)
    parser.add_argument("--umap-max", type=int, default=100_000)
    parser.add_argument("--out", default=str(HERE / "results" / "scale_clusters.json"))
    args = parser.parse_args()
    from sklearn.cluster import KMeans, MiniBatchKMeans

    load = os.getloadavg()[0]
    rows = []
    for n in args.n:
        rng = np.random.default_rng(0)
        centres = rng.normal(0, 4, (args.k, args.dim))
        truth = rng.integers(0, args.k, n)
        x = (centres[truth] + rng.standard_normal((n, args.dim))).astype(np.float32)
        row: dict = {"n": n, "dim": args.dim, "k": args.k}
        if n <= args.kmeans_max:
            row["kmeans"] = timed(
                lambda x=x: KMeans(args.k, n_init=1, random_state=0).fit_predict(x), truth
            )
        row["minibatch_kmeans"] = timed(
            lambda x=x: MiniBatchKMeans(
                args.k, batch_size=4096, n_init=1, random_state=0
            ).fit_predict(x),
            truth,
        )
        if n <= args.umap_max:

            def umap_then_kmeans(x: np.ndarray = x, n: int = n) -> np.ndarray:
                import umap

                sample = np.random.default_rng(1).choice(n, min(n, args.umap_sample), False)
                reducer = umap.UMAP(n_components=2, random_state=0).fit(x[sample])
                projected = np.concatenate(
                    [reducer.transform(x[s : s + 100_000]) for s in range(0, n, 100_000)]
                )
                return MiniBatchKMeans(args.k, n_init=1, random_state=0).fit_predict(projected)

            row["umap_sample_transform_then_minibatch_kmeans"] = timed(umap_then_kmeans, truth)
        rows.append(row)
        print(json.dumps(row))
    result = {
        "benchmark": "scale_clusters",
        "platform": platform.platform(),
        "processor_count": os.cpu_count(),
        "conditions": f"shared 2-core CPU machine, 1-minute load average {load:.1f} at start; "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}",
        "max_rss_gib_of_the_process": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3
        ),
        "sizes": rows,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
