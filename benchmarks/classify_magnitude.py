"""Benchmark: magnitude regression with the P64 spectrogram CNN, next to two baselines.

1. Synthetic events (default ``SyntheticConfig``, split by event): test MAE of the
   CNN (acceptance: at most 0.2), the train mean and a linear fit on log10 peak
   amplitude and log10 distance.
2. The real ``seisbench_dummy`` (100 traces, CX.PB01, 20 Hz, its own split): no
   picks, so the window is the whole trace from its start (0-60 s).

Results: ``benchmarks/results/classify_magnitude.json``.
Usage: ``python benchmarks/classify_magnitude.py [--n 1500] [--epochs 40]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

RESULTS = Path(__file__).parent / "results"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def _summary(metrics: dict) -> dict:
    keys = ("n", "mae", "rmse", "r2", "bias")
    out = {"cnn": {k: metrics["test"][k] for k in keys}, "n_train": metrics["n_train"]}
    for name, b in metrics["baselines"].items():
        out[name] = {k: b[k] for k in keys}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1500)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-synthetic", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from conftest import shared_data_dir
    from seislearn.data.synthetic import make_events
    from seislearn.io.seisbench import write_seisbench
    from seislearn.workflows.classify import train
    from seislearn.workflows.classify_config import ClassifyConfig

    result: dict = {"benchmark": "classify_magnitude", "threads": args.threads}
    training = {"epochs": args.epochs, "patience": 8}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_synthetic:
            t0 = time.perf_counter()
            data = Path(tmp) / "synthetic"
            write_seisbench(make_events(args.n, seed=args.seed), data)
            cfg = ClassifyConfig(
                target="source_magnitude", task="regression", seed=args.seed, training=training
            )
            run = train(data, cfg, Path(tmp) / "syn_run")
            result["synthetic"] = {
                "data": f"make_events({args.n}, seed={args.seed}), default SyntheticConfig",
                "split": "by event, 0.7/0.15/0.15",
                "variant": "P64",
                **_summary(run.metrics),
                "wall_s": round(time.perf_counter() - t0, 1),
            }
        dummy = shared_data_dir() / "seisbench_dummy"
        if dummy.is_dir():
            t0 = time.perf_counter()
            cfg = ClassifyConfig(
                target="source_magnitude",
                task="regression",
                split="existing",
                anchor="trace_start",
                before_s=0.0,
                after_s=60.0,
                seed=args.seed,
                training={**training, "batch_size": 16},
            )
            run = train(dummy, cfg, Path(tmp) / "dummy_run")
            result["seisbench_dummy"] = {
                "data": str(dummy),
                "split": "the dataset's own (60 train / 10 dev / 30 test)",
                "window": "no picks: the whole trace from its start, 0-60 s at 20 Hz, Spectra64",
                **_summary(run.metrics),
                "wall_s": round(time.perf_counter() - t0, 1),
            }
    result["conditions"] = "2 shared CPU cores under contention from other jobs"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "classify_magnitude.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
