"""Benchmark: explanation time and faithfulness of every shipped explainer.

Trains a P64 CNN on two synthetic source populations (the populations of
``classify_variants.py``), then explains *fresh* events (another seed, never
seen in training):

* ``gradient`` (SHAP GradientExplainer) on 300 correctly classified events per
  class, timed (acceptance: at most 5 minutes on 2 CPU cores);
* ``deep``, ``partition`` and ``ig`` on fewer events (``--n-other`` per class);
* for each, the deletion curve: top-attributed pixels removed first must lower
  the class probability faster than random pixels (smaller area).

Results: ``benchmarks/results/classify_explain.json``.
The model trains with the library's defaults (it trained 25 epochs before; the
default is 30 with early stopping).
Usage: ``python benchmarks/classify_explain.py [--n-train 1600] [--n 300] [--n-other 50]``
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import torch

from results_io import command_line, save_result

POPULATIONS = {"low_stress": (-1.0, 0.1), "high_stress": (1.5, 0.1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-train", type=int, default=1600)
    parser.add_argument("--n-explain", type=int, default=800, help="fresh events to explain")
    parser.add_argument("--n", type=int, default=300, help="events per class, gradient explainer")
    parser.add_argument(
        "--n-other", type=int, default=50, help="events per class, other explainers"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--methods", default="gradient,deep,partition,ig", help="explainers to run, in order"
    )
    parser.add_argument("--name", default="classify_explain", help="result file name")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from seislearn.classify.api import train
    from seislearn.classify.config import ClassifyConfig
    from seislearn.data.synthetic import SyntheticConfig, make_events
    from seislearn.explain.api import explain
    from seislearn.io.seisbench import write_seisbench

    config = SyntheticConfig(populations=POPULATIONS, magnitude_range=(1.5, 3.0))
    result: dict = {"benchmark": args.name, "command": command_line(), "threads": args.threads}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_seisbench(make_events(args.n_train, seed=args.seed, config=config), root / "train")
        write_seisbench(
            make_events(args.n_explain, seed=args.seed + 1, config=config), root / "fresh"
        )
        t0 = time.perf_counter()
        # The library's training defaults (what `classify train --target source_type` gives).
        cfg = ClassifyConfig(target="source_type", seed=args.seed)
        run = train(root / "train", cfg, root / "run")
        result["model"] = {
            "variant": "P64",
            "test_balanced_accuracy": run.metrics["test"]["balanced_accuracy"],
            "train_s": round(time.perf_counter() - t0, 1),
        }
        for method in args.methods.split(","):
            n = args.n if method == "gradient" else args.n_other
            t0, cpu0 = time.perf_counter(), time.process_time()
            out = explain(
                run.path,
                root / "fresh",
                out=root / f"explain_{method}",
                n=n,
                explainer=method,
                cross_check=False,
                seed=args.seed,
            )
            result[method] = {
                "events_per_class": out["per_class"],
                "explain_s": round(out["seconds"], 1),
                "total_s_with_io_and_figures": round(time.perf_counter() - t0, 1),
                # CPU seconds of this process: the wall time on 2 idle cores is about half.
                "cpu_s_total": round(time.process_time() - cpu0, 1),
                **out["deletion"][method],
            }
            print(method, json.dumps(result[method]), flush=True)
    result["conditions"] = (
        "2 CPU cores shared with other engineers' jobs (load average at the end below): "
        "timings are upper bounds"
    )
    result["load_average_at_end"] = os.getloadavg()
    save_result(args.name, result, echo=True)


if __name__ == "__main__":
    main()
