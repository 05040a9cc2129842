"""DEC on synthetic events of three kinds: low and high stress-drop earthquakes, and noise.

Data (``seislearn.data.synthetic.make_events``, 600 traces, seed 1):
one third noise-only traces; the rest split between two source populations
whose Brune corner frequencies differ (log10 stress drop -1.0 and 1.5 MPa,
sd 0.15). The magnitude range is narrowed to 2.0-2.5 so the corner frequency
reflects the stress drop rather than the size (over the default range 1-3.5
magnitude alone moves it 18-fold and the populations overlap); SNR 5-20 dB.
Features: vertical component, 1 s before P to 3 s after (noise traces: 10 s
after the trace start), bandpass 1-45 Hz, Hann STFT of 64 samples, log power,
1-45 Hz, min-max per sample. Fit on train + dev (dev early-stops the
pretraining); scored on all traces and on the held-out test split.

    python benchmarks/cluster_synthetic.py [--seeds 0 1 2] [--n 600]
    python benchmarks/cluster_synthetic.py --defaults   # DeepEmbeddedClustering(n_clusters=3)
    python benchmarks/cluster_synthetic.py --name NAME  # results/NAME.json
"""

from __future__ import annotations

import argparse
import time

from cluster_bench import quiet, save, summarize_acc

FEATURES = {
    "start_s": -1.0,
    "length_s": 4.0,
    "nperseg": 64,
    "freqmax": 45.0,
    "fmax": 45.0,
    "missing_pick_start_s": 10.0,
}
SYNTHETIC = {
    "noise_fraction": 1 / 3,
    "magnitude_range": (2.0, 2.5),
    "snr_db_range": (5.0, 20.0),
    "populations": {"low_stress": (-1.0, 0.15), "high_stress": (1.5, 0.15)},
}
PARAMS = {"batch_size": 32, "pretrain_epochs": 100, "patience": 10, "update_interval": 10}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument(
        "--defaults",
        action="store_true",
        help="the estimator's defaults instead of PARAMS (writes cluster_synthetic_defaults.json)",
    )
    parser.add_argument("--name", default=None, help="results file name (default by protocol)")
    args = parser.parse_args()
    quiet()
    from sklearn.cluster import KMeans

    from seislearn.cluster.dec import DeepEmbeddedClustering
    from seislearn.cluster.features import FeatureConfig, compute_spectrograms
    from seislearn.data.synthetic import SyntheticConfig, make_events
    from seislearn.evaluation.clustering import clustering_scores

    ds = make_events(args.n, seed=1, config=SyntheticConfig(**SYNTHETIC))
    feats = compute_spectrograms(ds, FeatureConfig(**FEATURES))
    X = feats.spectrograms
    y = feats.metadata["source_type"].astype(str).to_numpy()
    split = feats.metadata["split"].astype(str).to_numpy()  # by event, from the generator
    fit = split != "test"
    params = {} if args.defaults else PARAMS
    runs = []
    for seed in args.seeds:
        t0 = time.perf_counter()
        dec = DeepEmbeddedClustering(n_clusters=3, random_state=seed, **params)
        dec.fit(X[fit], dev_mask=split[fit] == "dev")
        fit_s = round(time.perf_counter() - t0, 1)
        flat = X.reshape(len(X), -1)
        raw = KMeans(3, n_init=20, random_state=seed).fit(flat[fit])
        preds = {
            "dec": dec.predict(X),
            "ae_kmeans": dec.predict_initial(X),
            "raw_kmeans": raw.predict(flat),
        }
        row = {"seed": seed, "n_test": int((~fit).sum()), "fit_s": fit_s}
        for name, pred in preds.items():
            row[name] = {
                "all": clustering_scores(y, pred),
                "test": clustering_scores(y[~fit], pred[~fit]),
            }
        runs.append(row)
        print(
            f"seed {seed}: ACC all/test  DEC {row['dec']['all']['acc']:.3f}/{row['dec']['test']['acc']:.3f}"
            f"  CAE+KMeans {row['ae_kmeans']['all']['acc']:.3f}/{row['ae_kmeans']['test']['acc']:.3f}"
            f"  raw KMeans {row['raw_kmeans']['all']['acc']:.3f}/{row['raw_kmeans']['test']['acc']:.3f}",
            flush=True,
        )
    summary = summarize_acc(runs)
    save(
        args.name or ("cluster_synthetic" + ("_defaults" if args.defaults else "")),
        {
            "data": f"make_events({args.n}, seed=1): low_stress / high_stress / noise",
            "synthetic": {
                k: (list(v) if isinstance(v, tuple) else v) for k, v in SYNTHETIC.items()
            },
            "features": FEATURES,
            "params": params or "estimator defaults",
            "runs": runs,
            "summary": summary,
        },
    )


if __name__ == "__main__":
    main()
