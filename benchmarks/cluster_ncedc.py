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
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from cluster_bench import quiet, save

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


def windows(data: Path):
    """Spectrograms of earthquake and noise windows, labels, and the event of each."""
    from seislearn.io import read_dataset
    from seislearn.workflows.cluster_features import FeatureConfig, compute_spectrograms

    ds = read_dataset(data)
    eq = compute_spectrograms(ds, FeatureConfig(**FEATURES))
    noise = compute_spectrograms(ds, FeatureConfig(**{**FEATURES, "start_s": NOISE_START_S}))
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
    args = parser.parse_args()
    quiet()
    from sklearn.cluster import KMeans

    from seislearn.clustering import DeepEmbeddedClustering
    from seislearn.data.splits import assign_splits, check_no_event_leak
    from seislearn.evaluation.clustering import clustering_scores

    X, y, meta = windows(args.data)
    runs = []
    for seed in args.seeds:
        split = assign_splits(meta, method="event", seed=seed).to_numpy()
        check_no_event_leak(meta.assign(split=split))
        fit = np.ones(len(X), dtype=bool) if args.transductive else split != "test"
        dec = DeepEmbeddedClustering(n_clusters=2, seed=seed, **PARAMS)
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
    summary = {
        name: {
            subset: {
                "acc_mean": float(np.mean([r[name][subset]["acc"] for r in runs])),
                "acc_std": float(np.std([r[name][subset]["acc"] for r in runs])),
            }
            for subset in ("all", "test")
        }
        for name in ("dec", "ae_kmeans", "raw_kmeans")
    }
    save(
        "cluster_ncedc_transductive" if args.transductive else "cluster_ncedc",
        {
            "protocol": "fit on all windows" if args.transductive else "test split held out",
            "data": f"{args.data}: 154 earthquake + 154 noise windows, Z component",
            "features": FEATURES,
            "noise_start_s": NOISE_START_S,
            "params": PARAMS,
            "runs": runs,
            "summary": summary,
            "supervised_logistic_regression_grouped_cv_acc": float(ceiling.mean()),
        },
    )


if __name__ == "__main__":
    main()
