"""Shared helpers of the ``cluster`` benchmarks: DEC beside CAE + KMeans and raw KMeans.

Every method sees the same arrays; labels are used only to score. Results are
printed and written to ``benchmarks/results/<name>.json``.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import resource
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from results_io import RESULTS, command_line, save_result


def quiet() -> None:
    """One thread per process (shared machine) and no Lightning chatter."""
    import torch

    torch.set_num_threads(int(os.environ.get("SEISLEARN_BENCH_THREADS", "1")))
    warnings.filterwarnings("ignore")
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    logging.getLogger("lightning").setLevel(logging.ERROR)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MB (Linux ru_maxrss is in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def compare(
    X: np.ndarray, y: np.ndarray, n_clusters: int, params: dict[str, Any], seeds: list[int]
) -> dict[str, Any]:
    """Fit DEC for each seed; score DEC, its CAE + KMeans start, and raw KMeans."""
    from sklearn.cluster import KMeans

    from seislearn.cluster.dec import DeepEmbeddedClustering
    from seislearn.evaluation.clustering import clustering_scores

    runs = []
    for seed in seeds:
        t0 = time.perf_counter()
        dec = DeepEmbeddedClustering(n_clusters=n_clusters, random_state=seed, **params).fit(X)
        fit_s = time.perf_counter() - t0
        raw = KMeans(n_clusters, n_init=params.get("n_init", 20), random_state=seed)
        raw_labels = raw.fit_predict(X.reshape(len(X), -1))
        runs.append(
            {
                "seed": seed,
                "fit_s": round(fit_s, 1),
                "dec": clustering_scores(y, dec.labels_),
                "ae_kmeans": clustering_scores(y, dec.init_labels_),
                "raw_kmeans": clustering_scores(y, raw_labels),
                "pretrain_epochs_run": dec.history_["pretrain_epochs_run"],
                "dec_updates": len(dec.history_["dec"]),
                "dec_converged": dec.history_["dec_converged"],
                "pretrain_agreement": dec.history_["pretrain_agreement"],
                "pretrain_mse": dec.history_["pretrain_mse"],
                "init_chosen": getattr(dec, "init_chosen_", dec.init),
                "pretrain_chosen": dec.history_["pretrain_chosen"],
                "channels": list(dec.channels_),
                "update_interval": dec.update_interval_,
            }
        )
        print(
            f"seed {seed}: DEC acc {runs[-1]['dec']['acc']:.3f}  "
            f"CAE+KMeans {runs[-1]['ae_kmeans']['acc']:.3f}  "
            f"raw KMeans {runs[-1]['raw_kmeans']['acc']:.3f}  ({fit_s:.0f} s)",
            flush=True,
        )
    summary = {}
    for method in ("dec", "ae_kmeans", "raw_kmeans"):
        summary[method] = {
            metric: {
                "mean": float(np.mean([r[method][metric] for r in runs])),
                "std": float(np.std([r[method][metric] for r in runs])),
            }
            for metric in ("acc", "nmi", "ari")
        }
    return {"runs": runs, "summary": summary}


def summarize_acc(
    runs: list[dict[str, Any]], subsets: tuple[str, ...] = ("all", "test")
) -> dict[str, Any]:
    """Mean and standard deviation over seeds of ACC, per method and subset (all, test, ...)."""
    return {
        name: {
            subset: {
                "acc_mean": float(np.mean([r[name][subset]["acc"] for r in runs])),
                "acc_std": float(np.std([r[name][subset]["acc"] for r in runs])),
            }
            for subset in subsets
        }
        for name in ("dec", "ae_kmeans", "raw_kmeans")
    }


def save(name: str, result: dict[str, Any]) -> Path:
    """Write ``results/<name>.json`` with the conditions of the measurement."""
    import torch

    result = {
        **result,
        "command": command_line(),
        "conditions": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "load_average_1min_at_end": os.getloadavg()[0],
            "note": "shared 2-core machine, other engineers' jobs running: timings are pessimistic",
            "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    }
    return save_result(name, result)


def merge(name: str, parts: list[str]) -> Path:
    """Join result files of the same protocol run for different seeds (one process per
    seed on a shared machine) into ``results/<name>.json``, summary recomputed."""
    loaded = [json.loads((RESULTS / f"{p}.json").read_text(encoding="utf-8")) for p in parts]
    runs = sorted((r for d in loaded for r in d["runs"]), key=lambda r: r["seed"])
    merged = {k: v for k, v in loaded[0].items() if k not in ("runs", "summary", "conditions")}
    merged["runs"] = runs
    merged["seeds"] = [r["seed"] for r in runs]
    merged["merged_from"] = parts
    methods = ("dec", "ae_kmeans", "raw_kmeans")
    if "nmi" in runs[0]["dec"]:
        merged["summary"] = {
            m: {
                metric: {
                    "mean": float(np.mean([r[m][metric] for r in runs])),
                    "std": float(np.std([r[m][metric] for r in runs])),
                }
                for metric in ("acc", "nmi", "ari")
            }
            for m in methods
        }
    else:
        merged["summary"] = {
            m: {
                "acc_mean": float(np.mean([r[m]["acc"] for r in runs])),
                "acc_std": float(np.std([r[m]["acc"] for r in runs])),
                "acc_excluded_as_errors_mean": float(
                    np.mean([r[m]["acc_excluded_as_errors"] for r in runs])
                ),
            }
            for m in methods
        }
    print("summary", json.dumps(merged["summary"]))
    return save(name, merged)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="join per-seed result files")
    parser.add_argument("--merge", nargs="+", metavar=("OUT", "PART"), required=True)
    args = parser.parse_args()
    merge(args.merge[0], args.merge[1:])
