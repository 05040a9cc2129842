"""Fit time and peak memory of CAE + DEC on 10,000 spectrograms (2 CPU cores).

Spectrograms of synthetic events (vertical component, 2 s before P to 18 s
after, Hann STFT of 128 samples, 1-20 Hz: shape (1, 24, 30), log power,
min-max per sample), default architecture (8-16-32-64-128, latent 9),
batch 128, a fixed 10 pretraining epochs (no early stopping) and at most 5 DEC
epochs, so the numbers measure throughput, not convergence. Peak memory is the
process's peak resident set size (ru_maxrss), which includes Python, torch and
the data.

    python benchmarks/cluster_scaling.py [--n 10000] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import time

from cluster_bench import peak_rss_mb, save


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    os.environ["SEISLEARN_BENCH_THREADS"] = str(args.threads)
    from cluster_bench import quiet

    quiet()
    import numpy as np

    from seislearn.cluster.dec import DeepEmbeddedClustering
    from seislearn.cluster.features import FeatureConfig, compute_spectrograms
    from seislearn.data.synthetic import make_events

    t0 = time.perf_counter()
    # Synthesize 1,000 events and tile their spectrograms with small noise:
    # generating 10,000 60-s traces would dominate the run and is not what is measured.
    base = compute_spectrograms(make_events(1000, seed=3), FeatureConfig()).spectrograms
    rng = np.random.default_rng(0)
    reps = -(-args.n // len(base))
    X = np.concatenate([base] * reps)[: args.n]
    X = (X + 0.01 * rng.standard_normal(X.shape)).astype(np.float32)
    prep_s = time.perf_counter() - t0
    rss_before = peak_rss_mb()
    params = {
        "n_clusters": 4,
        "batch_size": 128,
        "pretrain_epochs": 10,
        "validation_fraction": 0.0,
        "dec_max_epochs": 5,
        "update_interval": 20,
        "n_init": 10,
        "seed": 0,
    }
    t0 = time.perf_counter()
    dec = DeepEmbeddedClustering(**params).fit(X)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    dec.predict(X)
    predict_s = time.perf_counter() - t0
    result = {
        "n_spectrograms": len(X),
        "shape": list(X.shape[1:]),
        "params": params,
        "threads": args.threads,
        "data_prep_s": round(prep_s, 1),
        "fit_s": round(fit_s, 1),
        "predict_s": round(predict_s, 2),
        "pretrain_epochs_run": dec.history_["pretrain_epochs_run"],
        "dec_updates": len(dec.history_["dec"]),
        "peak_rss_mb_before_fit": round(rss_before, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "load_average_1min_at_start": os.getloadavg()[0],
    }
    print(result)
    save("cluster_scaling", result)


if __name__ == "__main__":
    main()
