"""Clustering quality (ARI) of the images workflow on synthetic patches, and its timings.

Writes N synthetic patches of the four classes (.mat files), fits the workflow
(default: the self-supervised extractor, which needs no download), then assigns
N_NEW patches generated with another seed through the saved pipeline (held
out: never seen in training). Baseline: KMeans on raw 32 x 32 pixels.

    python benchmarks/images_ari.py --n 2000 --n-new 1000
    python benchmarks/images_ari.py --extractor resnet50 --weights random   # timing only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch

from results_io import save_result
from seislearn.data.synthetic_images import write_images
from seislearn.images.api import ImagesConfig, fit_images, predict_images
from seislearn.images.baselines import pixel_kmeans_ari
from seislearn.io.images import read_images


def run(args: argparse.Namespace) -> dict:
    work = Path(args.workdir or tempfile.mkdtemp(prefix="seislearn_images_bench_"))
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    write_images(work / "patches", args.n, seed=args.seed + 1, fmt="mat", overwrite=True)
    timings["write_patches_s"] = round(time.perf_counter() - t0, 1)
    overrides = {"extractor": args.extractor, "progress": False, "cache": False}
    if args.weights:
        overrides["weights"] = args.weights
    config = ImagesConfig(**overrides)
    if args.epochs is not None:
        config.ssl.epochs = args.epochs
    for item in args.ssl:
        key, _, value = item.partition("=")
        setattr(config.ssl, key, json.loads(value))
    t0 = time.perf_counter()
    metrics = fit_images(work / "patches", work / "run", config, seed=args.seed, overwrite=True)
    timings["fit_end_to_end_s"] = round(time.perf_counter() - t0, 1)
    manifest = json.loads((work / "run" / "manifest.json").read_text())
    timings["fit_steps_s"] = manifest["timings_s"]
    result: dict = {
        "fit": {k: metrics[k] for k in ("ARI", "NMI", "ACC", "mapped_accuracy", "n_patches")},
        "ssl_training": metrics.get("ssl_training"),
    }
    if args.n_new:
        write_images(work / "new", args.n_new, seed=args.seed + 2, fmt="mat", overwrite=True)
        t0 = time.perf_counter()
        _, held_out = predict_images(work / "run", work / "new", progress=False)
        timings["predict_s"] = round(time.perf_counter() - t0, 1)
        result["held_out"] = {k: held_out[k] for k in ("ARI", "NMI", "ACC", "n_patches")}
    if args.baseline:
        patches = read_images(work / "patches")
        result["baseline_pixel_kmeans_ari"] = pixel_kmeans_ari(
            patches.images, patches.labels or [], 4, args.seed
        )
    result["timings"] = timings
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="patches to fit on")
    parser.add_argument("--n-new", type=int, default=1000, help="held-out patches (0: none)")
    parser.add_argument("--extractor", default="ssl")
    parser.add_argument("--weights", help="backbone weights (imagenet, random, or a file)")
    parser.add_argument("--epochs", type=int, help="SSL epochs (default: the config's)")
    parser.add_argument(
        "--ssl", action="append", default=[], metavar="KEY=JSON", help="SSL config override"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-baseline", dest="baseline", action="store_false")
    parser.add_argument("--workdir", help="keep patches and run here (default: temporary)")
    parser.add_argument("--name", default="images_ari", help="result file name")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    result = run(args)
    result = {
        "benchmark": args.name,
        "command": "python benchmarks/images_ari.py " + " ".join(argv or sys.argv[1:]),
        "extractor": args.extractor,
        "n": args.n,
        "n_new": args.n_new,
        "seed": args.seed,
        "torch_threads": args.threads,
        "total_s": round(time.perf_counter() - t0, 1),
        "load_average_at_end": os.getloadavg(),
        "platform": platform.platform(),
        "note": "2-core machine shared with other jobs: timings are upper bounds",
        **result,
    }
    save_result(args.name, result, echo=True)


if __name__ == "__main__":
    main()
