"""Benchmark: magnitude regression with the P64 spectrogram CNN, next to two baselines.

1. Synthetic events (default ``SyntheticConfig``, split by event): test MAE of the
   CNN (acceptance: at most 0.2), the train mean and a linear fit on log10 peak
   amplitude and log10 distance. The CNN runs twice: with the default side
   inputs (``auto``: log10 peak amplitude per component and log10 S-P time from
   the picks, concatenated to the pooled CNN features) and spectrogram only
   (``side_inputs=[]``, the model before side inputs existed).
2. The real ``seisbench_dummy`` (100 traces, CX.PB01, 20 Hz, its own split): no
   picks, so the window is the whole trace from its start (0-60 s) and ``auto``
   gives the log10 peak amplitudes only; a third run adds the catalog distance
   (``side_inputs=[log_peak_amplitude, log_distance]``), the inputs of the
   amplitude-distance fit.

Each part also scores a plain least-squares fit on the CNN's side inputs (train
rows only): the CNN's head starts there, so the gap is what the spectrogram adds.
On ``seisbench_dummy`` (seconds per run) the three CNNs are also trained with
seeds 0-4, to show the spread from the training seed alone on 30 test traces.

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


KEYS = ("n", "mae", "rmse", "r2", "bias")


def _summary(metrics: dict) -> dict:
    out = {
        "cnn": {k: metrics["test"][k] for k in KEYS},
        "cnn_side_inputs": metrics["side_inputs"],
        "n_train": metrics["n_train"],
    }
    for name, b in metrics["baselines"].items():
        out[name] = {k: b[k] for k in KEYS}
    return out


def _side_input_fit(run: Path, data: Path) -> dict:
    """Test metrics of a plain least-squares fit on the run's side inputs (train rows only).

    This is where the CNN's head starts; the gap to the CNN is what the spectrogram adds.
    """
    import pandas as pd
    from sklearn.linear_model import LinearRegression

    from seislearn.evaluation.classification import regression_metrics
    from seislearn.workflows.classify_apply import load_classifier

    prep, _ = load_classifier(run).prepare(data)
    split = pd.read_csv(run / "splits.csv").set_index("trace_name")["split"]
    split = split.loc[prep.metadata["trace_name"]].to_numpy()
    train, test = split == "train", split == "test"
    fit = LinearRegression().fit(prep.side[train], prep.y[train])
    metrics = regression_metrics(prep.y[test], fit.predict(prep.side[test]))
    return {**{k: metrics[k] for k in KEYS}, "side_inputs": prep.side_columns}


def _cnn(metrics: dict) -> dict:
    return {**{k: metrics["test"][k] for k in KEYS}, "side_inputs": metrics["side_inputs"]}


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
            wall = round(time.perf_counter() - t0, 1)
            plain = train(data, cfg.model_copy(update={"side_inputs": []}), Path(tmp) / "syn_plain")
            result["synthetic"] = {
                "data": f"make_events({args.n}, seed={args.seed}), default SyntheticConfig",
                "split": "by event, 0.7/0.15/0.15",
                "variant": "P64",
                **_summary(run.metrics),
                "cnn_spectrogram_only": _cnn(plain.metrics),
                "side_input_linear_fit": _side_input_fit(run.path, data),
                "wall_s": wall,
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
            wall = round(time.perf_counter() - t0, 1)
            with_distance = cfg.model_copy(
                update={"side_inputs": ["log_peak_amplitude", "log_distance"]}
            )
            distance = train(dummy, with_distance, Path(tmp) / "dummy_distance")
            plain = train(
                dummy, cfg.model_copy(update={"side_inputs": []}), Path(tmp) / "dummy_plain"
            )
            result["seisbench_dummy"] = {
                "data": str(dummy),
                "split": "the dataset's own (60 train / 10 dev / 30 test)",
                "window": "no picks: the whole trace from its start, 0-60 s at 20 Hz, Spectra64",
                **_summary(run.metrics),
                "cnn_with_catalog_distance": _cnn(distance.metrics),
                "cnn_spectrogram_only": _cnn(plain.metrics),
                "side_input_linear_fit": _side_input_fit(run.path, dummy),
                "side_input_linear_fit_with_catalog_distance": _side_input_fit(
                    distance.path, dummy
                ),
                "wall_s": wall,
            }
            # 30 test traces: how much of a difference is the training seed alone?
            per_seed: dict[str, list[float]] = {"auto": [], "catalog_distance": [], "none": []}
            for seed in range(5):
                for name, side in (
                    ("auto", "auto"),
                    ("catalog_distance", ["log_peak_amplitude", "log_distance"]),
                    ("none", []),
                ):
                    seeded = cfg.model_copy(update={"seed": seed, "side_inputs": side})
                    out = Path(tmp) / f"dummy_seed{seed}_{name}"
                    per_seed[name].append(train(dummy, seeded, out).metrics["test"]["mae"])
            result["seisbench_dummy"]["cnn_test_mae_seeds_0_to_4"] = per_seed
    result["conditions"] = "2 shared CPU cores, other engineers' jobs running"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "classify_magnitude.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
