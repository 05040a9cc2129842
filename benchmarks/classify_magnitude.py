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

3. ``--picked PATH``: ``seisbench_dummy`` with P and S picks from PhaseNetLight
   (local ETHZ weights, ``--pick-weights``; the copy is written to PATH when it does
   not exist, e.g. under /tmp). P64 windows anchored on the P pick (5 s before to
   20 s after), the dataset's own split, training seeds 0-4 (``--seeds``), every
   model scored on the same test traces: all 30, and the test traces that have
   an S pick after P. CNNs: ``auto`` side inputs (what ``auto`` resolves to is
   recorded), catalog distance, S-P time (trained on the traces with an S pick),
   amplitudes only on those same traces (the S-P time's only difference), the
   first and last two again with a 40 s window (5 s before P to 35 s after), and
   the whole-trace CNN of part 2 as a reference. For each run: least-squares fits
   on its side inputs (with and without the catalog distance), the
   amplitude-distance fit and the train mean, on that run's traces and train rows.
   The trace without a P pick is left out (``on_error=skip``). Only part 3 runs.

Results: ``benchmarks/results/classify_magnitude.json`` (parts 1-2),
``benchmarks/results/classify_magnitude_picked.json`` (part 3).
Usage: ``python benchmarks/classify_magnitude.py [--n 1500] [--epochs 40]``;
``python benchmarks/classify_magnitude.py --picked /tmp/dummy_picked``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from results_io import save_result

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


KEYS = ("n", "mae", "rmse", "r2", "bias")


def _shown(path: Path) -> str:
    """A path as the docs name it: the shared data as ``../shared/data/...``, no machine path."""
    from conftest import shared_data_dir

    path = Path(path)
    try:
        return str(Path("../shared/data") / path.resolve().relative_to(shared_data_dir().resolve()))
    except ValueError:
        return path.name


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

    from seislearn.classify.apply import load_classifier
    from seislearn.data.identity import lookup_names
    from seislearn.evaluation.classification import regression_metrics

    prep, _ = load_classifier(run).prepare(data)
    saved = pd.read_csv(run / "splits.csv")
    split = pd.Series(saved["split"].to_numpy(), index=lookup_names(saved))
    split = split.loc[prep.metadata["trace_name"]].to_numpy()
    train, test = split == "train", split == "test"
    fit = LinearRegression().fit(prep.side[train], prep.y[train])
    metrics = regression_metrics(prep.y[test], fit.predict(prep.side[test]))
    return {**{k: metrics[k] for k in KEYS}, "side_inputs": prep.side_columns}


def _cnn(metrics: dict) -> dict:
    return {**{k: metrics["test"][k] for k in KEYS}, "side_inputs": metrics["side_inputs"]}


def _picked_copy(path: Path, weights: Path, dummy: Path) -> list[str]:
    """Pick P and S on ``dummy`` with PhaseNetLight and write the copy to ``path``."""
    from seislearn.data.picking import add_picks, load_picker
    from seislearn.io import read_dataset
    from seislearn.io.seisbench import write_seisbench

    picked, skipped = add_picks(read_dataset(dummy), load_picker(weights))
    write_seisbench(picked, path)
    return skipped


def _pick_summary(metadata: pd.DataFrame) -> dict:
    """How many traces of each split have a P pick, and an S pick after it."""
    from seislearn.classify.baselines import hypocentral_distance_km
    from seislearn.data import schema

    p = metadata[schema.P_ARRIVAL].to_numpy(dtype=float)
    s = metadata[schema.S_ARRIVAL].to_numpy(dtype=float)
    sp = (s - p) / metadata[schema.SAMPLING_RATE].to_numpy(dtype=float)
    both = np.isfinite(sp) & (sp > 0)
    out: dict = {"n_traces": len(metadata)}
    for name in ("train", "dev", "test"):
        rows = (metadata[schema.SPLIT] == name).to_numpy()
        out[name] = {
            "traces": int(rows.sum()),
            "p_pick": int(np.isfinite(p[rows]).sum()),
            "p_and_s_pick": int(both[rows].sum()),
        }
    # Are the S picks sound? S-P time against the catalog hypocentral distance.
    hypo = hypocentral_distance_km(metadata)[both]
    out["sp_time_s"] = {
        "min": float(sp[both].min()),
        "median": float(np.median(sp[both])),
        "max": float(sp[both].max()),
        "pearson_r_log_sp_vs_log_catalog_hypocentral_distance": float(
            np.corrcoef(np.log10(sp[both]), np.log10(hypo))[0, 1]
        ),
        "median_km_per_s_of_sp": float(np.median(hypo / sp[both])),
    }
    return out


def _prepared(run: Path, data: Path) -> tuple:
    """The run's inputs on ``data`` (traces it cannot use left out), split and event keys."""
    from seislearn.classify.apply import load_classifier
    from seislearn.data import schema

    prep, _ = load_classifier(run).prepare(data, on_error="skip")
    split = prep.metadata[schema.SPLIT].astype(str).to_numpy()
    keys = prep.metadata[schema.SOURCE_ID].astype(str).to_numpy()
    return prep, split, keys


def _fit_predictions(
    features: np.ndarray, y: np.ndarray, split: np.ndarray, keys: np.ndarray
) -> dict[str, float]:
    """Test predictions (by event) of a least-squares fit on the train rows."""
    from sklearn.linear_model import LinearRegression

    train, test = split == "train", split == "test"
    fit = LinearRegression().fit(features[train], y[train])
    return dict(zip(keys[test], fit.predict(features[test]).astype(float), strict=True))


def _cnn_predictions(run: Path) -> dict[str, float]:
    """Test predictions (by event) from a run's ``predictions.csv``."""
    table = pd.read_csv(run / "predictions.csv")
    table = table[table["split"] == "test"]
    return dict(zip(table["source_id"].astype(str), table["predicted"].astype(float), strict=True))


def _score(predictions: dict[str, float], truth: dict[str, float], keys: list[str]) -> dict:
    """Metrics on the traces of ``keys`` (all must have a prediction)."""
    from seislearn.evaluation.classification import regression_metrics

    missing = [k for k in keys if k not in predictions]
    if missing:
        return {"n": len(keys) - len(missing), "missing": len(missing)}
    y = np.array([truth[k] for k in keys])
    metrics = regression_metrics(y, np.array([predictions[k] for k in keys]))
    return {k: metrics[k] for k in KEYS}


def picked_comparison(
    picked: Path, dummy: Path, weights: Path, training: dict, seeds: list[int], tmp: Path
) -> dict:
    """Part 3: magnitude on ``seisbench_dummy`` with PhaseNetLight picks (see the docstring)."""
    from seislearn.classify.api import train
    from seislearn.classify.baselines import epicentral_distance_km
    from seislearn.classify.config import ClassifyConfig
    from seislearn.data import schema
    from seislearn.io import read_dataset
    from seislearn.io.seisbench import write_seisbench

    t0 = time.perf_counter()
    pick_messages = None
    if not picked.exists():
        pick_messages = _picked_copy(picked, weights, dummy)
    pick_s = round(time.perf_counter() - t0, 1)
    dataset = read_dataset(picked)
    meta = dataset.metadata
    p = meta[schema.P_ARRIVAL].to_numpy(dtype=float)
    s = meta[schema.S_ARRIVAL].to_numpy(dtype=float)
    with_s = np.isfinite(p) & np.isfinite(s) & (s > p)
    # The traces with P and S picks, as their own dataset (same trace waveforms and split).
    subset = tmp / "picked_with_s"
    write_seisbench(dataset.select(np.flatnonzero(with_s)), subset)
    truth = dict(zip(meta[schema.SOURCE_ID].astype(str), meta["source_magnitude"], strict=True))
    test = (meta[schema.SPLIT] == "test").to_numpy()
    subsets = {
        "all_test": meta.loc[test, schema.SOURCE_ID].astype(str).tolist(),
        "test_with_s_pick": meta.loc[test & with_s, schema.SOURCE_ID].astype(str).tolist(),
    }

    base = ClassifyConfig(
        target="source_magnitude",
        task="regression",
        split="existing",
        variant="P64",
        training=training,
    )
    amp, dist, sp = "log_peak_amplitude", "log_distance", "log_sp_time"
    long_window = {"before_s": 5.0, "after_s": 35.0}
    # name: (data, config changes); P64 windows on the P pick unless changed.
    runs_cfg = {
        "auto": (picked, {}),
        "catalog_distance": (picked, {"side_inputs": [amp, dist]}),
        "sp_time": (picked, {"side_inputs": [amp, sp]}),
        "amplitude_traces_with_s": (subset, {"side_inputs": [amp]}),
        "auto_p_40s": (picked, long_window),
        "sp_time_p_40s": (picked, {"side_inputs": [amp, sp], **long_window}),
        "amplitude_traces_with_s_p_40s": (subset, {"side_inputs": [amp], **long_window}),
        "whole_trace_no_picks": (
            picked,
            {"anchor": "trace_start", "before_s": 0.0, "after_s": 60.0},
        ),
    }
    per_seed: dict[str, dict[str, list[float]]] = {
        name: {k: [] for k in subsets} for name in runs_cfg
    }
    seed0: dict[str, dict] = {k: {} for k in subsets}
    described: dict[str, dict] = {}
    train_s = []
    for seed in seeds:
        for name, (data, update) in runs_cfg.items():
            cfg = base.model_copy(update={**update, "seed": seed})
            out = tmp / f"picked_seed{seed}_{name}"
            t1 = time.perf_counter()
            result = train(data, cfg, out, on_error="skip")
            train_s.append(time.perf_counter() - t1)
            predictions = {"cnn": _cnn_predictions(out)}
            for subset_name, keys in subsets.items():
                per_seed[name][subset_name].append(
                    _score(predictions["cnn"], truth, keys).get("mae", float("nan"))
                )
            if seed != seeds[0]:
                continue
            # Fits and baselines (deterministic), on this run's traces, window and train rows.
            prep, split, keys = _prepared(out, data)
            distance = epicentral_distance_km(prep.metadata)
            log_dist = np.log10(np.maximum(distance, 1e-3))[:, None]
            log_peak = np.log10(np.maximum(prep.peak_amplitude, 1e-30))[:, None]
            predictions["train_mean"] = {k: float(prep.y[split == "train"].mean()) for k in keys}
            predictions["amplitude_distance_fit"] = _fit_predictions(
                np.hstack([log_peak, log_dist]), prep.y, split, keys
            )
            predictions["ls_side_inputs"] = _fit_predictions(prep.side, prep.y, split, keys)
            if "log10_distance_km" not in prep.side_columns:
                predictions["ls_side_inputs_and_catalog_distance"] = _fit_predictions(
                    np.hstack([prep.side, log_dist]), prep.y, split, keys
                )
            for subset_name, keys_subset in subsets.items():
                seed0[subset_name][name] = {
                    model: _score(pred, truth, keys_subset) for model, pred in predictions.items()
                }
            described[name] = {
                "window": (
                    f"{cfg.before_s if cfg.before_s is not None else 5.0:g} s before the P pick "
                    f"to {cfg.after_s if cfg.after_s is not None else 20.0:g} s after"
                    if cfg.anchor == "pick"
                    else f"trace start, {cfg.before_s:g}-{cfg.after_s:g} s (picks unused)"
                ),
                "data": "traces with P and S picks" if data == subset else "all picked traces",
                "side_inputs_asked": cfg.side_inputs,
                "side_inputs": result.metrics["side_inputs"],
                "n_train": result.metrics["n_train"],
                "input_shape": list(prep.inputs.shape[1:]),
            }

    summary = {
        name: {
            subset_name: {
                "mean": float(np.mean(v)),
                "min": float(np.min(v)),
                "max": float(np.max(v)),
            }
            for subset_name, v in by_subset.items()
            if np.all(np.isfinite(v))
        }
        for name, by_subset in per_seed.items()
    }
    return {
        "data": f"{_shown(dummy)} picked with PhaseNetLight ({_shown(weights)}), "
        f"copy at the --picked folder ({_shown(picked)})",
        "pick_messages": pick_messages,
        "picks": _pick_summary(meta),
        "split": "the dataset's own (60 train / 10 dev / 30 test)",
        "variant": "P64 (Spectra64 on 20 Hz data), window per run below",
        "auto_resolved_to": described["auto"]["side_inputs"],
        "runs": described,
        "seed": seeds[0],
        "test_metrics_first_seed": seed0,
        "cnn_test_mae_per_seed": {"seeds": seeds, **per_seed},
        "cnn_test_mae_over_seeds": summary,
        "pick_s": pick_s,
        "mean_train_run_s": round(float(np.mean(train_s)), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1500)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument(
        "--skip-dummy",
        action="store_true",
        help="the synthetic part only (writes classify_magnitude[_defaults]_synthetic.json)",
    )
    parser.add_argument(
        "--picked",
        type=Path,
        help="run part 3 only: seisbench_dummy with PhaseNetLight picks at this path "
        "(picked and written there first when it does not exist)",
    )
    parser.add_argument(
        "--pick-weights", type=Path, help="PhaseNetLight weights folder (default: shared ETHZ)"
    )
    parser.add_argument("--seeds", type=int, default=5, help="training seeds 0..N-1 (part 3)")
    parser.add_argument(
        "--defaults",
        action="store_true",
        help="train with the library's training defaults (what `classify train` gives) instead "
        "of the tuned --epochs, patience 8 and batch 16; writes classify_magnitude_defaults.json",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from conftest import shared_data_dir
    from seislearn.classify.api import train
    from seislearn.classify.config import ClassifyConfig
    from seislearn.data.synthetic import make_events
    from seislearn.io.seisbench import write_seisbench

    result: dict = {
        "benchmark": "classify_magnitude"
        + ("_defaults" if args.defaults else "")
        + ("_synthetic" if args.skip_dummy else ""),
        "command": "python " + " ".join(sys.argv),
        "threads": args.threads,
        "load_average_1min_at_start": round(os.getloadavg()[0], 1),
    }
    # Tuned by hand for these data; --defaults: the library's (ClassifyConfig().training).
    training = {} if args.defaults else {"epochs": args.epochs, "patience": 8}
    small_batch = {} if args.defaults else {"batch_size": 16}
    result["training"] = training | small_batch or "library defaults"
    if args.picked is not None:
        shared = shared_data_dir()
        weights = args.pick_weights or shared / "weights" / "phasenetlight_ethz"
        with tempfile.TemporaryDirectory() as tmp:
            result["benchmark"] = "classify_magnitude_picked" + ("_defaults" * args.defaults)
            result["seisbench_dummy_picked"] = picked_comparison(
                args.picked,
                shared / "seisbench_dummy",
                weights,
                training | small_batch,
                list(range(args.seeds)),
                Path(tmp),
            )
        result["conditions"] = "2 shared CPU cores, other engineers' jobs running"
        save_result(result["benchmark"], result, echo=True)
        return
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
        if dummy.is_dir() and not args.skip_dummy:
            t0 = time.perf_counter()
            cfg = ClassifyConfig(
                target="source_magnitude",
                task="regression",
                split="existing",
                anchor="trace_start",
                before_s=0.0,
                after_s=60.0,
                seed=args.seed,
                training={**training, **small_batch},
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
                "data": _shown(dummy),
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
    result["load_average_1min_at_end"] = round(os.getloadavg()[0], 1)
    save_result(result["benchmark"], result, echo=True)


if __name__ == "__main__":
    main()
