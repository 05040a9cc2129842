"""Earthquake vs pre-event noise windows from the NCEDC PhaseNet demo data (2 clusters).

For each of the 154 recordings (100 Hz, P at 30 s) two vertical-component
windows of 20 s are cut: the earthquake window from 5 s before P, and a noise
window from 25 s before P (it ends 5 s before P; the 30 s before P are
pre-event noise). Z only: 39 recordings have zeroed horizontals. Spectrograms:
1-20 Hz bandpass, Hann STFT of 128 samples, log power, minus each frequency's
median over the window (the station background), max-abs scaled per sample. Both windows of a
recording share one split (split by event), the test split is held out of the
fit and only predicted. Labels (earthquake/noise) are only used to score.

Quality screen (label-free, the library's ``max_constant_s``): a window whose raw
vertical samples hold one value for more than 1 s (zero padding or a filled gap) is
left out and listed in the results; 14 noise windows start inside the recordings'
leading padding. ACC is reported on the windows kept, and also with every excluded
window counted as an error (over all 308). Label audit (label-free, independent of
the clustering): an STA/LTA detector (``sta_lta_audit``) relabels as earthquake the
noise windows in which it triggers; ACC on these audited labels is reported too.

    python benchmarks/cluster_ncedc.py [--seeds 0 1 2] [--data ../shared/data/ncedc_phasenet]
    python benchmarks/cluster_ncedc.py --transductive      # fit on all windows
    python benchmarks/cluster_ncedc.py --candidates        # settings search, cross-selected
    python benchmarks/cluster_ncedc.py --kfold 5 --seeds 0 1 2 3 4   # every window out of fold
    python benchmarks/cluster_ncedc.py --kfold 5 --seeds 0 1 2 3 4 --defaults  # DEC defaults
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
    "max_constant_s": 1.0,
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
# a larger latent space; a denoising autoencoder (input noise 0.1); the background
# as the 20 % quantile over time instead of the median (an event longer than half
# the window raises the median, not the quiet frames' level); five pretrainings with
# DEC continuing from the medoid partition (less dependence on one pretraining).
CANDIDATES = {
    "base": ({}, {}),
    "band_1_25hz": ({"freqmax": 25.0, "fmax": 25.0}, {}),
    "nperseg_256": ({"nperseg": 256}, {}),
    "start_-3s": ({"start_s": -3.0}, {}),
    "latent_8": ({}, {"latent_dim": 8}),
    "denoising": ({}, {"pretrain_noise": 0.1}),
    "background_q20": ({"background": "quantile", "background_quantile": 0.2}, {}),
    "n_pretrain_5": ({}, {"n_pretrain": 5}),
}


def _acc2(y: np.ndarray, pred: np.ndarray) -> float:
    """Hungarian ACC for 2 clusters on a subset."""
    agree = float(np.mean((y == "earthquake") == (pred == 1)))
    return max(agree, 1.0 - agree)


def select_candidates(args: argparse.Namespace) -> None:
    """Cross-selection: fit every candidate on all windows (labels unused), pick
    the best DEC ACC on one half of the recordings, report it on the other half."""
    from sklearn.cluster import KMeans

    from seislearn.cluster.dec import DeepEmbeddedClustering
    from seislearn.data.splits import assign_splits

    scores: dict[str, dict] = {}
    for name, (feat, dec_params) in CANDIDATES.items():
        X, y, meta, _ = windows(args.data, {**FEATURES, **feat}, args.noise_start)
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
            dec = DeepEmbeddedClustering(
                n_clusters=2, random_state=seed, **{**PARAMS, **dec_params}
            )
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


def kfold_heldout(args: argparse.Namespace, features: dict, params: dict) -> None:
    """Every kept window predicted by a model that never saw it, labels used only to name clusters.

    For each seed, the recordings are split into ``args.kfold`` folds (both windows of
    a recording in one fold). For each fold, DEC, CAE + KMeans and raw KMeans are fitted
    on the other folds (DEC's pretraining stops early on their "dev" windows); each
    cluster is named after the majority label of its *training* windows, and the
    held-out fold is predicted and named so. ACC is then counted over all kept windows,
    out of fold: no held-out label is used for anything but the score.
    """
    from sklearn.cluster import KMeans

    from seislearn.cluster.dec import DeepEmbeddedClustering
    from seislearn.data.splits import assign_splits, kfold_by_event

    X, y, meta, excluded = windows(args.data, features, args.noise_start)
    is_eq = y == "earthquake"
    flat = X.reshape(len(X), -1)
    n_total = len(X) + len(excluded)

    def named(train_pred: np.ndarray, train_eq: np.ndarray, pred: np.ndarray) -> np.ndarray:
        """Earthquake (True) for clusters whose training windows are mostly earthquakes."""
        eq_clusters = [c for c in np.unique(train_pred) if train_eq[train_pred == c].mean() > 0.5]
        return np.isin(pred, eq_clusters)

    runs = []
    for seed in args.seeds:
        split = assign_splits(meta, method="event", seed=seed).to_numpy()
        out = {m: np.zeros(len(X), dtype=bool) for m in ("dec", "ae_kmeans", "raw_kmeans")}
        for train, test in kfold_by_event(meta, args.kfold, seed):
            dec = DeepEmbeddedClustering(n_clusters=2, random_state=seed, **params)
            dec.fit(X[train], dev_mask=split[train] == "dev")
            raw = KMeans(2, n_init=20, random_state=seed).fit(flat[train])
            fitted = {
                "dec": (dec.predict(X[train]), dec.predict(X[test])),
                "ae_kmeans": (dec.predict_initial(X[train]), dec.predict_initial(X[test])),
                "raw_kmeans": (raw.predict(flat[train]), raw.predict(flat[test])),
            }
            for m, (train_pred, test_pred) in fitted.items():
                out[m][test] = named(train_pred, is_eq[train], test_pred)
        row = {"seed": seed}
        for m, pred in out.items():
            acc = float(np.mean(pred == is_eq))
            row[m] = {"acc": acc, "acc_excluded_as_errors": acc * len(X) / n_total}
        runs.append(row)
        print(
            f"seed {seed}: out-of-fold ACC " + " ".join(f"{m} {row[m]['acc']:.3f}" for m in out),
            flush=True,
        )
    summary = {
        m: {
            "acc_mean": float(np.mean([r[m]["acc"] for r in runs])),
            "acc_std": float(np.std([r[m]["acc"] for r in runs])),
            "acc_excluded_as_errors_mean": float(
                np.mean([r[m]["acc_excluded_as_errors"] for r in runs])
            ),
        }
        for m in ("dec", "ae_kmeans", "raw_kmeans")
    }
    print("summary", summary, flush=True)
    save(
        args.name or "cluster_ncedc_kfold",
        {
            "protocol": f"{args.kfold}-fold by recording; fit on the other folds; clusters named "
            "by the majority label of their training windows; ACC over all kept windows, "
            "each predicted out of fold",
            "n_windows": len(X),
            "excluded_by_quality_screen": excluded,
            "features": features,
            "params": params,
            "seeds": args.seeds,
            "runs": runs,
            "summary": summary,
        },
    )


def windows(data: Path, features: dict | None = None, noise_start_s: float | None = None):
    """Spectrograms of earthquake and noise windows, labels, the event of each, and the
    windows the quality screen (``max_constant_s``) left out, one message each."""
    features = FEATURES if features is None else features
    noise_start_s = NOISE_START_S if noise_start_s is None else noise_start_s
    import pandas as pd

    from seislearn.cluster.features import FeatureConfig, compute_spectrograms
    from seislearn.io import read_dataset

    ds = read_dataset(data)
    eq = compute_spectrograms(ds, FeatureConfig(**features), on_error="skip")
    noise_cfg = FeatureConfig(**{**features, "start_s": noise_start_s})
    noise = compute_spectrograms(ds, noise_cfg, on_error="skip")
    X = np.concatenate([eq.spectrograms, noise.spectrograms])
    y = np.array(["earthquake"] * len(eq.spectrograms) + ["noise"] * len(noise.spectrograms))
    both = pd.concat([eq.metadata, noise.metadata], ignore_index=True)
    excluded = [f"earthquake window: {m}" for m in eq.skipped]
    excluded += [f"noise window: {m}" for m in noise.skipped]
    return X, y, both, excluded


def sta_lta_audit(data: Path, meta, y: np.ndarray, noise_start_s: float) -> dict:
    """Label-free audit of the noise windows by an independent detector.

    ObsPy ``classic_sta_lta`` (STA 1 s, LTA 10 s) on the whole vertical trace,
    zero-phase 1-20 Hz Butterworth (order 4), ``trigger_onset`` on 3.5 / off 1.0:
    settings fixed beforehand (common local-network values), not tuned here. A noise
    window with a trigger onset inside it (from 10 s into the trace, where the LTA is
    filled, to 0.5 s before its end) holds a transient the P pick does not explain:
    its audited label is "earthquake". Earthquake windows keep their label; the
    detector's triggers on them are reported as a check of its sensitivity.
    """
    from obspy.signal.trigger import classic_sta_lta, trigger_onset
    from scipy.signal import butter, sosfiltfilt

    from seislearn.data import schema
    from seislearn.io import read_dataset

    ds = read_dataset(data)
    names = ds.metadata[schema.TRACE_NAME].astype(str).tolist()
    length = FEATURES["length_s"]
    onsets: dict[str, tuple[np.ndarray, float]] = {}
    for i, name in enumerate(names):
        sr = ds.sampling_rate(i)
        z = ds.get_waveform(i)[0].astype(float)
        sos = butter(4, [1.0, 20.0], btype="band", fs=sr, output="sos")
        cf = classic_sta_lta(sosfiltfilt(sos, z - z.mean()), round(1.0 * sr), round(10.0 * sr))
        trig = trigger_onset(cf, 3.5, 1.0)
        pick = float(ds.metadata[schema.P_ARRIVAL].iloc[i])
        t = (np.asarray(trig)[:, 0] - pick) / sr if len(trig) else np.array([])
        onsets[name] = (t, 10.0 - pick / sr)  # onsets and when the LTA is full, s from P
    audited = y.copy()
    flipped, eq_detected = [], 0
    for k, (name, label) in enumerate(zip(meta[schema.TRACE_NAME].astype(str), y, strict=True)):
        t, lta_filled = onsets[name]
        if label == "noise":
            lo = max(noise_start_s, lta_filled)
            if np.any((t >= lo) & (t < noise_start_s + length - 0.5)):
                audited[k] = "earthquake"
                flipped.append(name)
        else:
            start = FEATURES["start_s"]
            eq_detected += bool(np.any((t >= start) & (t < start + length)))
    return {
        "labels": audited,
        "noise_windows_relabelled_earthquake": flipped,
        "earthquake_windows_with_a_trigger": eq_detected,
        "earthquake_windows": int((y == "earthquake").sum()),
        "detector": "classic_sta_lta STA 1 s LTA 10 s, 1-20 Hz, trigger on 3.5 off 1.0, Z",
    }


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
    parser.add_argument(
        "--kfold",
        type=int,
        default=0,
        help="K > 1: predict every window out of fold, K folds by recording "
        "(writes cluster_ncedc_kfold.json)",
    )
    parser.add_argument(
        "--defaults",
        action="store_true",
        help="DeepEmbeddedClustering's defaults instead of PARAMS (the features stay this "
        "benchmark's); the results file name gets _defaults",
    )
    parser.add_argument("--name", default=None, help="results file name (default by protocol)")
    args = parser.parse_args()
    features, params = dict(FEATURES), ({} if args.defaults else dict(PARAMS))
    if args.defaults and args.name is None:
        base = "cluster_ncedc_kfold" if args.kfold > 1 else "cluster_ncedc"
        args.name = base + "_defaults"
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
    if args.kfold > 1:
        kfold_heldout(args, features, params)
        return
    from sklearn.cluster import KMeans

    from seislearn.cluster.dec import DeepEmbeddedClustering
    from seislearn.data.splits import assign_splits, check_no_event_leak
    from seislearn.evaluation.clustering import clustering_scores

    X, y, meta, excluded = windows(args.data, features, args.noise_start)
    print(f"features {features} noise_start_s {args.noise_start} params {params}", flush=True)
    print(f"quality screen: {len(X)} windows kept, {len(excluded)} excluded", flush=True)
    for message in excluded:
        print("  excluded", message, flush=True)
    audit = sta_lta_audit(args.data, meta, y, args.noise_start)
    y_audit = audit["labels"]
    print(
        f"audit: {len(audit['noise_windows_relabelled_earthquake'])} noise windows with an "
        f"STA/LTA trigger relabelled earthquake; the detector triggers on "
        f"{audit['earthquake_windows_with_a_trigger']} of {audit['earthquake_windows']} "
        "earthquake windows",
        flush=True,
    )
    n_total = len(X) + len(excluded)
    traces = meta["trace_name"].astype(str).to_numpy()
    runs = []
    for seed in args.seeds:
        split = assign_splits(meta, method="event", seed=seed).to_numpy()
        check_no_event_leak(meta.assign(split=split))
        fit = np.ones(len(X), dtype=bool) if args.transductive else split != "test"
        dec = DeepEmbeddedClustering(n_clusters=2, random_state=seed, **params)
        dec.fit(X[fit], dev_mask=split[fit] == "dev")
        flat = X.reshape(len(X), -1)
        raw = KMeans(2, n_init=20, random_state=seed).fit(flat[fit])
        preds = {
            "dec": dec.predict(X),
            "ae_kmeans": dec.predict_initial(X),
            "raw_kmeans": raw.predict(flat),
        }
        test = split == "test"  # in --transductive mode it was seen (without labels)
        row = {"seed": seed, "n_test": int(test.sum())}
        for name, pred in preds.items():
            row[name] = {
                "all": clustering_scores(y, pred),
                "test": clustering_scores(y[test], pred[test]),
                "all_audited": clustering_scores(y_audit, pred),
                "test_audited": clustering_scores(y_audit[test], pred[test]),
            }
            # Worst case: every window the screen left out counted as misclustered.
            correct = row[name]["all"]["acc"] * len(X)
            row[name]["all_excluded_as_errors"] = {"acc": correct / n_total}
        # Which windows DEC gets wrong (after the Hungarian mapping), for the error analysis.
        dec_eq = preds["dec"] == np.bincount(preds["dec"][y == "earthquake"], minlength=2).argmax()
        wrong = dec_eq != (y == "earthquake")
        row["dec_misclustered"] = [
            f"{label} window {trace}" for trace, label in zip(traces[wrong], y[wrong], strict=True)
        ]
        runs.append(row)
        print(
            f"seed {seed}: ACC all/test/all audited/test audited/all with excluded as errors\n"
            + "\n".join(
                f"  {name:10s} "
                + " ".join(
                    f"{row[name][k]['acc']:.3f}"
                    for k in (
                        "all",
                        "test",
                        "all_audited",
                        "test_audited",
                        "all_excluded_as_errors",
                    )
                )
                for name in preds
            ),
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
    summary = summarize_acc(
        runs, ("all", "test", "all_audited", "test_audited", "all_excluded_as_errors")
    )
    save(
        args.name or ("cluster_ncedc_transductive" if args.transductive else "cluster_ncedc"),
        {
            "protocol": "fit on all windows" if args.transductive else "test split held out",
            "data": f"{args.data}: 154 earthquake + 154 noise windows, Z component; "
            f"{len(X)} kept by the quality screen "
            f"({int((y == 'earthquake').sum())} earthquake, {int((y == 'noise').sum())} noise)",
            "excluded_by_quality_screen": excluded,
            "label_audit": {k: v for k, v in audit.items() if k != "labels"},
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
