"""Embeddings to clusters at scale: KMeans vs MiniBatchKMeans, UMAP fitted on a sample.

Draws ``--n`` embeddings (``--dim`` dimensions, float32) from ``--k`` Gaussian
clusters, then for each size times and measures (peak resident memory of the
process, sampled every 50 ms; ARI against the generating clusters):

- ``kmeans``: scikit-learn ``KMeans(n_init=--n-init)`` on all embeddings;
- ``minibatch_kmeans``: ``MiniBatchKMeans(batch_size=4096, n_init=--n-init)``;
- ``auto``: what ``seislearn.clustering.kmeans.fit_kmeans`` chooses (recorded);
- ``sampled_umap_then_auto_kmeans`` (sizes up to ``--umap-max``): the images
  workflow's path, ``seislearn.clustering.umap_sample.SampledUMAP`` fitted on
  ``--umap-sample`` embeddings and ``transform`` for the rest (blocks of
  20,000), then ``fit_kmeans`` (auto) on the UMAP output;
- ``full_umap_then_kmeans`` (with ``--full-umap``, sizes up to ``--umap-max``):
  UMAP fitted on every embedding; the ARI between its clusters and the sampled
  path's is the price of sampling.

One thread (``OMP_NUM_THREADS=1``, ``NUMBA_NUM_THREADS=1``) unless told
otherwise. The JSON is rewritten after every step, so a stopped run keeps what
it measured. Usage::

    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python benchmarks/scale_clusters.py \\
        --n 100000 1000000 --full-umap
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
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


def timed(fn, truth: np.ndarray) -> tuple[dict, np.ndarray]:
    from sklearn.metrics import adjusted_rand_score

    with PeakMemory() as memory:
        t0 = time.perf_counter()
        labels, extra = fn()
        seconds = time.perf_counter() - t0
    row = {
        "seconds": round(seconds, 1),
        "peak_rss_gib": round(memory.peak / 2**30, 3),
        "added_rss_gib": round((memory.peak - memory.start) / 2**30, 3),
        "ari": round(float(adjusted_rand_score(truth, labels)), 4),
        **extra,
    }
    return row, labels


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dim", type=int, default=16)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--n-init", type=int, default=10, help="KMeans restarts (images: 10)")
    parser.add_argument("--umap-components", type=int, default=2)
    parser.add_argument("--umap-sample", type=int, default=10_000)
    parser.add_argument("--umap-max", type=int, default=100_000)
    parser.add_argument("--full-umap", action="store_true", help="also fit UMAP on all rows")
    parser.add_argument("--out", default=str(HERE / "results" / "scale_clusters.json"))
    args = parser.parse_args(argv)
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.metrics import adjusted_rand_score

    from seislearn.clustering.kmeans import MINIBATCH_SIZE, fit_kmeans
    from seislearn.clustering.umap_sample import SampledUMAP
    from seislearn.progress import set_quiet

    set_quiet(True)
    result = {
        "benchmark": "scale_clusters",
        "command": "python benchmarks/scale_clusters.py " + " ".join(argv or sys.argv[1:]),
        "platform": platform.platform(),
        "processor_count": os.cpu_count(),
        "conditions": f"shared 2-core CPU machine, 1-minute load average "
        f"{os.getloadavg()[0]:.1f} at start; OMP_NUM_THREADS="
        f"{os.environ.get('OMP_NUM_THREADS', 'unset')}, NUMBA_NUM_THREADS="
        f"{os.environ.get('NUMBA_NUM_THREADS', 'unset')}",
        "n_init": args.n_init,
        "umap_components": args.umap_components,
        "umap_sample": args.umap_sample,
        "sizes": [],
    }

    def save() -> None:
        result["load_average_now"] = [round(v, 1) for v in os.getloadavg()]
        result["max_rss_gib_of_the_process"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3
        )
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")

    if min(args.n) <= args.umap_max:  # numba compiles UMAP once per process: timed apart
        t0 = time.perf_counter()
        warm = np.random.default_rng(9).standard_normal((400, args.dim)).astype(np.float32)
        SampledUMAP(args.umap_components, sample_size=200, random_state=0).fit_transform(warm)
        result["umap_compile_warmup_s"] = round(time.perf_counter() - t0, 1)
        save()
    for n in args.n:
        rng = np.random.default_rng(0)
        centres = rng.normal(0, 4, (args.k, args.dim))
        truth = rng.integers(0, args.k, n)
        x = (centres[truth] + rng.standard_normal((n, args.dim))).astype(np.float32)
        row: dict = {"n": n, "dim": args.dim, "k": args.k}
        result["sizes"].append(row)

        def step(name: str, fn, row: dict = row, truth: np.ndarray = truth, n: int = n):
            row[name], labels = timed(fn, truth)
            print(json.dumps({"n": n, name: row[name]}), flush=True)
            save()
            return labels

        step(
            "kmeans",
            lambda x=x: (KMeans(args.k, n_init=args.n_init, random_state=0).fit_predict(x), {}),
        )
        step(
            "minibatch_kmeans",
            lambda x=x: (
                MiniBatchKMeans(
                    args.k, batch_size=MINIBATCH_SIZE, n_init=args.n_init, random_state=0
                ).fit_predict(x),
                {},
            ),
        )

        def auto(x: np.ndarray = x) -> tuple[np.ndarray, dict]:
            km = fit_kmeans(x, args.k, n_init=args.n_init, random_state=0)
            return km.labels_, {"chosen": type(km).__name__}

        step("auto", auto)
        if n > args.umap_max:
            continue

        def umap_then_kmeans(x: np.ndarray = x, sample: int | None = args.umap_sample):
            t0 = time.perf_counter()
            umap = SampledUMAP(args.umap_components, sample_size=sample, random_state=0)
            embedding = umap.fit_transform(x)
            umap_s = time.perf_counter() - t0
            km = fit_kmeans(embedding, args.k, n_init=args.n_init, random_state=0)
            return km.labels_, {
                "umap_s": round(umap_s, 1),
                "umap_fitted_on": len(umap.sample_index_),
                "kmeans": type(km).__name__,
            }

        sampled = step("sampled_umap_then_auto_kmeans", umap_then_kmeans)
        if args.full_umap:
            full = step("full_umap_then_kmeans", lambda x=x: umap_then_kmeans(x, None))
            row["ari_sampled_vs_full_umap"] = round(float(adjusted_rand_score(full, sampled)), 4)
            save()
    print(json.dumps(result, indent=2))
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
