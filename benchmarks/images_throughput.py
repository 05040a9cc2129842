"""Feature-extraction throughput (images/s) of torchvision backbones at two input sizes.

Random weights (timing does not depend on them). Measures ``extract_features``
as the workflow runs it: batched, channels-last, ``torch.inference_mode``.

    python benchmarks/images_throughput.py --threads 2 --n 128
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from results_io import write_json
from seislearn.models.backbones import build_backbone, extract_features

RESULTS = Path(__file__).resolve().parent / "results"


def measure(name: str, size: int, n: int, batch_size: int) -> dict:
    torch.manual_seed(0)
    model, _ = build_backbone(name, "random")
    images = np.random.default_rng(0).random((n, size, size)).astype(np.float32)
    extract_features(model, images[:batch_size], batch_size, progress=False)  # warm-up
    t0 = time.perf_counter()
    extract_features(model, images, batch_size, progress=False)
    seconds = time.perf_counter() - t0
    return {
        "backbone": name,
        "input_size": size,
        "n_images": n,
        "batch_size": batch_size,
        "seconds": round(seconds, 2),
        "images_per_s": round(n / seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="resnet50")
    parser.add_argument("--sizes", type=int, nargs="+", default=[99, 224])
    parser.add_argument("--n", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=str(RESULTS / "images_throughput.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = [measure(args.backbone, size, args.n, args.batch_size) for size in args.sizes]
    for row in rows:
        print(
            f"{row['backbone']} {row['input_size']}x{row['input_size']}: "
            f"{row['images_per_s']} images/s ({row['n_images']} in {row['seconds']} s)"
        )
    result = {
        "benchmark": "images_throughput",
        "torch_threads": args.threads,
        "cpu_count": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "note": "random weights; measured on a machine shared with other jobs (see load average)",
        "results": rows,
    }
    write_json(result, args.out)


if __name__ == "__main__":
    main()
