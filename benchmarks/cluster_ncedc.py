"""Earthquake vs pre-event noise windows from the NCEDC PhaseNet demo data (2 clusters).

For each of the 154 recordings (100 Hz, P at 30 s) two vertical-component
windows of 20 s are cut: the earthquake window from 5 s before P, and a noise
window from 25 s before P (it ends 5 s before P; the 30 s before P are
pre-event noise). Z only: 39 recordings have zeroed horizontals. Spectrograms:
1-20 Hz bandpass, Hann STFT of 128 samples, log power, minus each frequency's
median over the window (the station background), max-abs scaled per sample. Both windows of a
recording share one split (split by event), the test split is held out of the
fit and only predicted. Labels (earthquake/noise) are only used to score.

    python benchmarks/cluster_ncedc.py [--seeds 0 1 2] [--data ../shared/data/ncedc_phasenet]
    python benchmarks/cluster_ncedc.py --transductive      # fit on all windows
    python benchmarks/cluster_ncedc.py --candidates        # settings search, cross-selected
    python benchmarks/cluster_ncedc.py --set freqmax=25 fmax=25 dec.latent_dim=8 --name NAME
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from cluster_bench import quiet, save, summarize_acc

FEATURES = {
    "start_s": -5.0,
    "length_s": 20.0,
    "background": "median",
    "scale": "maxabs",
}
NOISE_START_S = -25.0
PARAMS = {
    "init": "gmm",
    "latent_dim": 5,
    "batch_size": 32,
    "pretrain_epochs": 200,
    "patience": 15,
    "update_interval": 10,
}


# Settings compared by --candidates (feature overrides, DEC overrides), each chosen
# for a physical reason: 1-25 Hz keeps the high corner frequencies of small local
# events; a 2.56 s STFT segment smooths short transients; P 3 s into the window;
# a larger latent space; a denoising autoencoder (input noise 0.1).
CANDIDATES = {
    "base": ({}, {}),
    "band_1_25hz": ({"freqmax": 25.0, "fmax": 25.0}, {}),
    "nperseg_256": ({"nperseg": 256}, {}),
    "start_-3s": ({"start_s": -3.0}, {}),
    "latent_8": ({}, {"latent_dim": 8}),
    "denoising": ({}, {"pretrain_noise": 0.1}),
}


def _acc2(y: np.ndarray, pred: np.ndarray) -> float:
    """Hungarian ACC for 2 clusters on a subset."""
    agree = float(np.mean((y == "earthquake") == (pred == 1)))
    return max(agree, 1.0 - agree)


def select_candidates(args: argparse.Namespace) -> None:
    """Cross-selection: fit every candidate on all windows (labels unused), pick
    the best DEC ACC on one half of the recordings, report it on the other half."""
    from sklearn.cluster import KMeans

    from seislearn.clustering import DeepEmbeddedClustering
    from seislearn.data.splits import assign_splits

    scores: dict[str, dict] = {}
    for name, (feat, dec_params) in CANDIDATES.items():
        X, y, meta = windows(args.data, {**FEATURES, **feat}, args.noise_start)
        traces = meta["trace_name"].astype(str).to_numpy()
        unique = np.unique(traces)
        half_a = set(np.random.default_rng(123).permutation(unique)[: len(unique) // 2])
        in_a = np.array([t in half_a for t in traces])
        subsets = {"all": np.ones(len(y), dtype=bool), "A": in_a, "B": ~in_a}
        acc: dict[str, dict[str, list[float]]] = {
            m: {k: [] for k in subsets} for m in ("dec", "ae_kmeans", "raw_kmeans")
        }
        for seed in args.seeds:
            split = assign_splits(meta, method="event", seed=seed).to_numpy()
            dec = DeepEmbeddedClustering(n_clusters=2, seed=seed, **{**PARAMS, **dec_params})
            dec.fit(X, dev_mask=split == "dev")
            flat = X.reshape(len(X), -1)
            preds = {
                "dec": dec.predict(X),
                "ae_kmeans": dec.predict_initial(X),
                "raw_kmeans": KMeans(2, n_init=20, random_state=seed).fit_predict(flat),
            }
            for m, pred in preds.items():
                for k, mask in subsets.items():
                    acc[m][k].append(_acc2(y[mask], pred[mask]))
        scores[name] = {m: {k: float(np.mean(v)) for k, v in d.items()} for m, d in acc.items()}
        print(name, {m: round(d["all"], 3) for m, d in scores[name].items()}, flush=True)
    selection = {}
    for sel, ev in (("A", "B"), ("B", "A")):
        best = max(scores, key=lambda n: scores[n]["dec"][sel])
        selection[f"select_on_{sel}"] = {
            "chosen": best,
            f"acc_on_{ev}": {m: scores[best][m][ev] for m in scores[best]},
        }
        print(f"selected on half {sel}: {best}; ACC on half {ev}:", selection[f"select_on_{sel}"])
    save(
        "cluster_ncedc_candidates",
        {
            "protocol": "fit on all windows (labels unused); ACC mean over seeds; candidate "
            "chosen by DEC ACC on half A of the recordings, reported on half B, and vice versa",
            "candidates": {n: {"features": f, "dec": d} for n, (f, d) in CANDIDATES.items()},
            "base_features": FEATURES,
            "base_params": PARAMS,
            "noise_start_s": args.noise_start,
            "seeds": args.seeds,
            "scores": scores,
            "selection": selection,
        },
    )


def windows(data: Path, features: dict | None = None, noise_start_s: float | None = None):
    """Spectrograms of earthquake and noise windows, labels, and the event of each."""
    features = FEATURES if features is None else features
    noise_start_s = NOISE_START_S if noise_start_s is None else noise_start_s
    from seislearn.io import read_dataset
    from seislearn.workflows.cluster_features import FeatureConfig, compute_spectrograms

    ds = read_dataset(data)
    eq = compute_spectrograms(ds, FeatureConfig(**features))
    noise = compute_spectrograms(ds, FeatureConfig(**{**features, "start_s": noise_start_s}))
    X = np.concatenate([eq.spectrograms, noise.spectrograms])
    y = np.array(["earthquake"] * len(eq.spectrograms) + ["noise"] * len(noise.spectrograms))
    meta = eq.metadata
    import pandas as pd

    both = pd.concat([meta, noise.metadata], ignore_index=True)
    return X, y, both


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "ncedc_phasenet"
    parser.add_argument("--data", type=Path, default=default)
    parser.add_argument(
        "--transductive",
        action="store_true",
        help="fit on all windows (labels are never used; the DEC papers' protocol) "
        "instead of holding out the test split",
    )
    parser.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="override a FeatureConfig field (e.g. length_s=25) or, prefixed dec., a DEC "
        "parameter (e.g. dec.latent_dim=8)",
    )
    parser.add_argument("--noise-start", type=float, default=NOISE_START_S)
    parser.add_argument(
        "--candidates",
        action="store_true",
        help="compare the CANDIDATES settings by cross-selection over two halves of the "
        "recordings (writes cluster_ncedc_candidates.json)",
    )
    parser.add_argument("--name", default=None, help="results file name (default by protocol)")
    args = parser.parse_args()
    features, params = dict(FEATURES), dict(PARAMS)
    for item in args.set:
        key, value = item.split("=", 1)
        target = params if key.startswith("dec.") else features
        key = key.removeprefix("dec.")
        try:
            target[key] = json.loads(value)
        except json.JSONDecodeError:
            target[key] = value
    quiet()
    if args.candidates:
        select_candidates(args)
        return
    from sklearn.cluster import KMeans

    from seislearn.clustering import DeepEmbeddedClustering
    from seislearn.data.splits import assign_splits, check_no_event_leak
    from seislearn.evaluation.clustering import clustering_scores

    X, y, meta = windows(args.data, features, args.noise_start)
    print(f"features {features} noise_start_s {args.noise_start} params {params}", flush=True)
    runs = []
    for seed in args.seeds:
        split = assign_splits(meta, method="event", seed=seed).to_numpy()
        check_no_event_leak(meta.assign(split=split))
        fit = np.ones(len(X), dtype=bool) if args.transductive else split != "test"
        dec = DeepEmbeddedClustering(n_clusters=2, seed=seed, **params)
        dec.fit(X[fit], dev_mask=split[fit] == "dev")
        flat = X.reshape(len(X), -1)
        raw = KMeans(2, n_init=20, random_state=seed).fit(flat[fit])
        preds = {
            "dec": dec.predict(X),
            "ae_kmeans": dec.predict_initial(X),
            "raw_kmeans": raw.predict(flat),
        }
        row = {"seed": seed, "n_test": int((split == "test").sum())}
        for name, pred in preds.items():
            test = split == "test"  # in --transductive mode it was seen (without labels)
            row[name] = {
                "all": clustering_scores(y, pred),
                "test": clustering_scores(y[test], pred[test]),
            }
        runs.append(row)
        print(
            f"seed {seed}: ACC all/test  DEC {row['dec']['all']['acc']:.3f}/{row['dec']['test']['acc']:.3f}"
            f"  CAE+KMeans {row['ae_kmeans']['all']['acc']:.3f}/{row['ae_kmeans']['test']['acc']:.3f}"
            f"  raw KMeans {row['raw_kmeans']['all']['acc']:.3f}/{row['raw_kmeans']['test']['acc']:.3f}",
            flush=True,
        )
    # Context, not a competitor: how separable are these features with labels?
    # Logistic regression, 5-fold CV grouped by recording (both windows together).
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_score

    groups = meta["trace_name"].astype(str).to_numpy()
    ceiling = cross_val_score(
        LogisticRegression(C=0.1, max_iter=2000),
        X.reshape(len(X), -1),
        y,
        cv=GroupKFold(5),
        groups=groups,
    )
    print(f"supervised ceiling (logistic regression, grouped 5-fold CV): {ceiling.mean():.3f}")
    summary = summarize_acc(runs)
    save(
        args.name or ("cluster_ncedc_transductive" if args.transductive else "cluster_ncedc"),
        {
            "protocol": "fit on all windows" if args.transductive else "test split held out",
            "data": f"{args.data}: 154 earthquake + 154 noise windows, Z component",
            "features": features,
            "noise_start_s": args.noise_start,
            "params": params,
            "runs": runs,
            "summary": summary,
            "supervised_logistic_regression_grouped_cv_acc": float(ceiling.mean()),
        },
    )


if __name__ == "__main__":
    main()
