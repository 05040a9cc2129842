"""Levers of DEC's starting point, measured side by side on the same pretrainings.

For each base seed ``s`` and candidate ``r`` (``0 .. --candidates - 1``) one
autoencoder is pretrained with the seed ``s + 100003 r`` (the seed the
estimator's ``n_pretrain`` gives its candidate ``r``, so a fit with
``n_pretrain=R`` chooses among exactly these), then every variant of the
initialisation and of the DEC phase runs from that same pretrained network
(the pretraining is done once and reused). For each candidate the label-free
criteria are recorded: best validation MSE of the pretraining, silhouette of
the initial partition in the latent space, and its mean adjusted Rand index
with the other candidates' partitions. Selection rules (first candidate =
``n_pretrain=1``; lowest MSE; highest silhouette; medoid partition) are then
scored from these runs; labels are used only to score.

Data sets:

* ``demo``: the ``seislearn demo`` cluster stage (450 synthetic events, seed 1,
  the stage's features and settings; ACC on the test split and on all traces).
* ``digits``: scikit-learn digits, ``(X/16).reshape(-1, 1, 8, 8)``, estimator
  defaults (ACC on all 1,797).
* ``ncedc``: the NCEDC earthquake / noise windows of ``cluster_ncedc.py``,
  5-fold by recording, out of fold (that script's ``--kfold 5`` protocol),
  estimator defaults, one candidate; every variant from the same pretraining of
  each fold. The rule ``silhouette_init`` chooses, per fold, between the
  variants by the silhouette of their initial partitions in the (same) latent
  space, label-free.

    python benchmarks/cluster_levers.py --data demo --seeds 0 1 2 --candidates 3
    python benchmarks/cluster_levers.py --data digits --seeds 0 1 2 --candidates 3 \
        --variants base gmm standardized
    python benchmarks/cluster_levers.py --data ncedc --seeds 0 1 2 3 4 \
        --variants base gmm standardized
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from operator import itemgetter
from typing import Any

import numpy as np

from cluster_bench import quiet, save

#: Variants: estimator parameters, and "standardize" (KMeans on the standardized
#: latent space, centres the means of its clusters in the latent space).
VARIANTS: dict[str, dict[str, Any]] = {
    "base": {},
    "gmm": {"init": "gmm"},
    "auto_init": {"init": "auto"},
    "standardized": {"standardize": True},
    "update_epoch": {"update_interval": None},
    "update_10": {"update_interval": 10},
    "latent_3": {"latent_dim": 3},
    "latent_10": {"latent_dim": 10},
    "pretrain_100": {"pretrain_epochs": 100},
    "pretrain_100_standardized": {"pretrain_epochs": 100, "standardize": True},
    "auto_channels": {"channels": None},
    "auto_channels_100": {"channels": None, "pretrain_epochs": 100},
    # Gaussian mixtures with fewer covariance parameters than "full" (the "gmm" variant).
    "gmm_diag": {"init": "gmm", "gmm_covariance": "diag"},
    "gmm_spherical": {"init": "gmm", "gmm_covariance": "spherical"},
    "gmm_tied": {"init": "gmm", "gmm_covariance": "tied"},
    # One EM run of a spherical mixture from the KMeans centres (KMeans refined).
    "kmeans_spherical": {"init": "gmm", "gmm_covariance": "spherical", "gmm_from_kmeans": True},
    # The DEC phase only (same pretraining and start).
    "tol_001": {"tol": 0.01},
    "tol_1": {"tol": 1.0},
    "tol_0": {"tol": 0.0},  # never converged: all dec_max_epochs run
    "dec_lr_1e3": {"dec_lr": 1e-3},
    "update_5": {"update_interval": 5},
    "no_recon": {"recon_weight": 0.0},
    "recon_1": {"recon_weight": 1.0},
    # The pretraining (a network of its own).
    "noise_01": {"pretrain_noise": 0.1},
    "noise_02": {"pretrain_noise": 0.2},
}
#: Parameters the hooks read (not the estimator's).
HOOK_KEYS = ("standardize", "gmm_covariance", "gmm_from_kmeans")
#: Parameters that change the pretraining (the others reuse the cached network).
PRETRAIN_KEYS = (
    "latent_dim",
    "channels",
    "pretrain_epochs",
    "patience",
    "batch_size",
    "pretrain_noise",
)

CACHE: dict[tuple, tuple] = {}

#: Label-free rules choosing one candidate of a seed (``first`` = ``n_pretrain=1``).
RULES = {
    "first": lambda cs: cs[0],
    "lowest_mse": lambda cs: min(cs, key=itemgetter("best_val_mse")),
    "highest_silhouette": lambda cs: max(cs, key=itemgetter("silhouette")),
    "medoid": lambda cs: max(cs, key=itemgetter("agreement")),
}


def demo_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Spectrograms, labels, split and estimator parameters of the demo's cluster stage."""
    from seislearn.cluster.config import make_estimator
    from seislearn.cluster.demo import N_EVENTS, SYNTHETIC, demo_config
    from seislearn.cluster.features import compute_spectrograms
    from seislearn.data.synthetic import SyntheticConfig, make_events

    cfg = demo_config(quick=False)
    ds = make_events(N_EVENTS, seed=1, config=SyntheticConfig(**SYNTHETIC))
    feats = compute_spectrograms(ds, cfg.features)
    est = make_estimator(3, cfg, 0, None, False)
    params = {
        k: v
        for k, v in est.get_params().items()
        if k not in ("n_clusters", "random_state", "seed", "checkpoint_dir", "resume", "verbose")
    }
    meta = feats.metadata
    return (
        feats.spectrograms,
        meta["source_type"].astype(str).to_numpy(),
        meta["split"].astype(str).to_numpy(),
        params,
    )


def digits_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).reshape(-1, 1, 8, 8).astype("float32")
    return X, y.astype(str), np.array(["train"] * len(X)), {}


def install_hooks() -> None:
    """Cache pretrainings by (seed, pretraining parameters); add ``standardize``."""
    import torch

    from seislearn.cluster.dec import DeepEmbeddedClustering

    original_pretrain = DeepEmbeddedClustering._pretrain
    original_init = DeepEmbeddedClustering._init_centres

    def pretrain(self, streamed, source, dev, seed, run):  # type: ignore[no-untyped-def]
        # The data too (the NCEDC folds share a seed): its size and sum.
        data_key = (len(source), float(source.double().sum()), int(dev.sum()))
        key = (seed, data_key, *(str(getattr(self, k)) for k in PRETRAIN_KEYS), str(self.channels_))
        if key not in CACHE:
            net, pre, _, _, gen = original_pretrain(self, streamed, source, dev, seed, run)
            CACHE[key] = (copy.deepcopy(net), pre, gen.get_state())
        net, pre, state = CACHE[key]
        net = copy.deepcopy(net)
        gen = torch.Generator()
        gen.set_state(state)
        z = self._batches(source, net.encode, net)
        self.last_embedding_ = z
        centres, labels = self._init_centres(z, seed)
        return net, pre, centres, labels, gen

    def init_centres(self, z, seed=None):  # type: ignore[no-untyped-def]
        covariance = getattr(self, "gmm_covariance", None)
        if covariance is not None and self.init == "gmm":
            from sklearn.mixture import GaussianMixture

            start = {}
            if getattr(self, "gmm_from_kmeans", None):
                self.init = "kmeans"
                start = {"means_init": original_init(self, z, seed)[0], "n_init": 1}
                self.init = "gmm"
            gmm = GaussianMixture(
                self.n_clusters,
                covariance_type=covariance,
                **{"n_init": self.n_init, **start},
                random_state=self.seed_ if seed is None else seed,
            )
            labels = gmm.fit_predict(z)
            return gmm.means_.astype(np.float32), labels
        if not getattr(self, "standardize", False):
            return original_init(self, z, seed)
        mu, sd = z.mean(0), z.std(0) + 1e-12
        _, labels = original_init(self, (z - mu) / sd, seed)
        centres = np.stack([z[labels == c].mean(0) for c in range(self.n_clusters)])
        return centres.astype(np.float32), labels

    DeepEmbeddedClustering._pretrain = pretrain
    DeepEmbeddedClustering._init_centres = init_centres


def make_estimator(n_clusters: int, seed: int, params: dict[str, Any]) -> Any:
    """A ``DeepEmbeddedClustering`` with ``params``; the hooks' own keys set as attributes."""
    from seislearn.cluster.dec import DeepEmbeddedClustering

    params = dict(params)
    hooks = {k: params.pop(k, None) for k in HOOK_KEYS}
    est = DeepEmbeddedClustering(n_clusters=n_clusters, random_state=seed)
    est.set_params(**params)
    for k, v in hooks.items():
        setattr(est, k, v)
    return est


def solution_scores(est: Any, X: np.ndarray) -> tuple[dict[str, float], Any]:
    """Label-free criteria of a fitted DEC solution on its training samples ``X``.

    Returns
    -------
    scores : dict
        ``kl``: DEC's objective at the end, KL(P || Q) per sample (nats), P the
        target distribution of Q; ``confidence``: mean largest soft assignment;
        ``dec_silhouette``: silhouette of the DEC labels in the DEC latent space;
        ``stability``: adjusted Rand index of the DEC labels with the initial
        partition (how little DEC moved); ``init_silhouette``: silhouette of the
        initial partition in the pretrained latent space.
    kmeans : KMeans (``n_init`` restarts) fitted on the DEC latent space of ``X``
        (the "final KMeans": ``kmeans.predict(est.transform(X_new))``)
    """
    import torch
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, silhouette_score

    from seislearn.cluster.dec_network import target_distribution

    q = est.predict_proba(X).astype(np.float64)
    p = target_distribution(torch.from_numpy(q)).numpy()
    kl = float(np.sum(p * (np.log(np.clip(p, 1e-12, None)) - np.log(np.clip(q, 1e-12, None)))))
    labels = q.argmax(1)
    z = est.transform(X)
    many = len(np.unique(labels)) > 1
    scores = {
        "kl": kl / len(X),
        "confidence": float(q.max(1).mean()),
        "dec_silhouette": float(silhouette_score(z, labels)) if many else -1.0,
        "stability": float(adjusted_rand_score(est.init_labels_, labels)),
        "init_silhouette": float(silhouette_score(est.last_embedding_, est.init_labels_)),
    }
    km = KMeans(est.n_clusters, n_init=est.n_init, random_state=est.seed_).fit(z)
    return scores, km


#: Label-free rules choosing, per seed (per fold on NCEDC), one of the ``--choose``
#: variants by a criterion of :func:`solution_scores` (True: the highest wins).
CHOICE_RULES = {
    "min_kl": ("kl", False),
    "max_kl": ("kl", True),
    "max_confidence": ("confidence", True),
    "max_dec_silhouette": ("dec_silhouette", True),
    "max_stability": ("stability", True),
    "max_init_silhouette": ("init_silhouette", True),
}


def choose(scores: dict[str, dict[str, float]], rule: str) -> str:
    """The variant ``rule`` picks from ``scores`` (variant -> criteria); first on ties."""
    key, highest = CHOICE_RULES[rule]
    names = list(scores)
    values = [scores[v][key] * (1 if highest else -1) for v in names]
    return names[int(np.argmax(values))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("demo", "digits", "ncedc"), default="demo")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--candidates", type=int, default=3)
    parser.add_argument("--variants", nargs="+", default=["base", "gmm", "standardized"])
    parser.add_argument(
        "--choose",
        nargs="+",
        default=["base", "gmm"],
        help="variants the label-free CHOICE_RULES choose between (per seed / fold)",
    )
    parser.add_argument("--name", default=None)
    args = parser.parse_args()
    quiet()
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, silhouette_score

    from seislearn.evaluation.clustering import clustering_scores

    install_hooks()
    if args.data == "ncedc":
        ncedc(args)
        return
    X, y, split, base = demo_data() if args.data == "demo" else digits_data()
    k = len(np.unique(y))
    fit = split != "test"
    dev = split[fit] == "dev" if args.data == "demo" else None
    test = ~fit if (~fit).any() else fit
    flat = X.reshape(len(X), -1)
    raw = KMeans(k, n_init=base.get("n_init", 20), random_state=0).fit(flat[fit]).predict(flat)
    rows = []
    for variant in args.variants:
        for seed in args.seeds:
            for r in range(args.candidates):
                est = make_estimator(k, seed + 100_003 * r, {**base, **VARIANTS[variant]})
                t0 = time.perf_counter()
                est.fit(X[fit], dev_mask=dev)
                fit_s = time.perf_counter() - t0
                z = est.last_embedding_
                scores, km = solution_scores(est, X[fit])
                pred = {
                    "dec": est.predict(X),
                    "ae_kmeans": est.predict_initial(X),
                    "dec_kmeans": km.predict(est.transform(X)),
                }
                row = {
                    "variant": variant,
                    "seed": seed,
                    "candidate": r,
                    "fit_s": round(fit_s, 1),
                    "best_val_mse": float(
                        min(
                            (h["val_loss"] for h in est.history_["pretrain"] if "val_loss" in h),
                            default=float("nan"),
                        )
                    ),
                    "silhouette": float(silhouette_score(z, est.init_labels_)),
                    "init_labels": est.init_labels_.tolist(),
                    "dec_updates": len(est.history_["dec"]),
                    "scores": scores,
                }
                for m, p in pred.items():
                    row[m] = {
                        "test": clustering_scores(y[test], p[test])["acc"],
                        "all": clustering_scores(y, p)["acc"],
                    }
                rows.append(row)
                with open(f"/tmp/{args.name or args.data}_rows.jsonl", "a") as f:
                    f.write(json.dumps(row) + "\n")
                print(
                    f"{variant} seed {seed} cand {r}: DEC {row['dec']['test']:.3f} "
                    f"AE+KM {row['ae_kmeans']['test']:.3f} "
                    f"DEC+KM {row['dec_kmeans']['test']:.3f} mse {row['best_val_mse']:.5f} "
                    f"sil {row['silhouette']:.3f} ({fit_s:.0f} s)",
                    flush=True,
                )
    raw_scores = {"test": clustering_scores(y[test], raw[test])["acc"]}
    raw_scores["all"] = clustering_scores(y, raw)["acc"]
    summary: dict[str, Any] = {}
    for variant in args.variants:
        by_seed = [
            [r for r in rows if r["variant"] == variant and r["seed"] == s] for s in args.seeds
        ]
        for cands in by_seed:
            for cand in cands:
                others = [o for o in cands if o is not cand]
                cand["agreement"] = (
                    float(
                        np.mean(
                            [
                                adjusted_rand_score(cand["init_labels"], o["init_labels"])
                                for o in others
                            ]
                        )
                    )
                    if others
                    else 1.0
                )
        summary[variant] = {}
        for rule, pick in RULES.items():
            chosen = [pick(cs) for cs in by_seed]
            summary[variant][rule] = {
                m: {
                    sub: {
                        "mean": float(np.mean([c[m][sub] for c in chosen])),
                        "per_seed": [round(c[m][sub], 3) for c in chosen],
                    }
                    for sub in ("test", "all")
                }
                for m in ("dec", "ae_kmeans", "dec_kmeans")
            }
        summary[variant]["all_candidates"] = {
            m: float(np.mean([r[m]["test"] for cs in by_seed for r in cs]))
            for m in ("dec", "ae_kmeans", "dec_kmeans")
        }
    # Label-free choice between the --choose variants, per seed (first candidate).
    pool = [v for v in args.choose if v in args.variants]
    choices: dict[str, Any] = {}
    if len(pool) > 1:
        first = {
            (r["variant"], r["seed"]): r
            for r in rows
            if r["candidate"] == 0 and r["variant"] in pool
        }
        for rule in CHOICE_RULES:
            picked = [choose({v: first[v, s]["scores"] for v in pool}, rule) for s in args.seeds]
            chosen = [first[v, s] for v, s in zip(picked, args.seeds, strict=True)]
            choices[rule] = {
                "picked": picked,
                **{
                    m: {
                        "mean": float(np.mean([c[m]["test"] for c in chosen])),
                        "per_seed": [round(c[m]["test"], 3) for c in chosen],
                    }
                    for m in ("dec", "dec_kmeans")
                },
            }
            print(
                f"choice {rule:20s} DEC {choices[rule]['dec']['mean']:.3f} "
                f"{choices[rule]['dec']['per_seed']} picked {picked}"
            )
    for variant, rules in summary.items():
        for rule, s in rules.items():
            if rule == "all_candidates":
                print(f"{variant:14s} {rule:20s} DEC {s['dec']:.3f} AE+KM {s['ae_kmeans']:.3f}")
                continue
            print(
                f"{variant:14s} {rule:20s} DEC test {s['dec']['test']['mean']:.3f} "
                f"{s['dec']['test']['per_seed']} all {s['dec']['all']['mean']:.3f}  "
                f"AE+KM test {s['ae_kmeans']['test']['mean']:.3f}  "
                f"DEC+KM test {s['dec_kmeans']['test']['mean']:.3f} "
                f"{s['dec_kmeans']['test']['per_seed']}"
            )
    print("raw KMeans", raw_scores)
    for r in rows:
        del r["init_labels"]
    save(
        args.name or f"cluster_levers_{args.data}",
        {
            "data": args.data,
            "base_params": {k: list(v) if isinstance(v, tuple) else v for k, v in base.items()},
            "variants": {v: VARIANTS[v] for v in args.variants},
            "seeds": args.seeds,
            "candidates": args.candidates,
            "raw_kmeans": raw_scores,
            "summary": summary,
            "choose": pool,
            "choices": choices,
            "runs": rows,
        },
    )


def ncedc(args: argparse.Namespace) -> None:
    """Out-of-fold ACC of each variant on the NCEDC windows (``cluster_ncedc.py --kfold 5``)."""
    from pathlib import Path

    from cluster_ncedc import windows
    from seislearn.data.splits import assign_splits, kfold_by_event

    data = Path(__file__).resolve().parents[2] / "shared" / "data" / "ncedc_phasenet"
    X, y, meta, excluded = windows(data)
    is_eq = y == "earthquake"
    methods = ("dec", "ae_kmeans", "dec_kmeans")
    pool = [v for v in args.choose if v in args.variants]
    rules = {"silhouette_init": "max_init_silhouette", **{r: r for r in CHOICE_RULES}}

    def named(train_pred: np.ndarray, train_eq: np.ndarray, pred: np.ndarray) -> np.ndarray:
        eq_clusters = [c for c in np.unique(train_pred) if train_eq[train_pred == c].mean() > 0.5]
        return np.isin(pred, eq_clusters)

    runs = []
    for seed in args.seeds:
        split = assign_splits(meta, method="event", seed=seed).to_numpy()
        out = {v: {m: np.zeros(len(X), dtype=bool) for m in methods} for v in args.variants}
        picked = {r: {m: np.zeros(len(X), dtype=bool) for m in methods} for r in rules}
        folds = []
        for train, test in kfold_by_event(meta, 5, seed):
            scores = {}
            chosen_init = None
            for variant in args.variants:
                est = make_estimator(2, seed, VARIANTS[variant])
                est.fit(X[train], dev_mask=split[train] == "dev")
                scores[variant], km = solution_scores(est, X[train])
                if hasattr(est, "init_chosen_"):
                    chosen_init = {"init": est.init_chosen_, "bic": est.init_bic_}
                fns = {
                    "dec": est.predict,
                    "ae_kmeans": est.predict_initial,
                    "dec_kmeans": lambda x, est=est, km=km: km.predict(est.transform(x)),
                }
                for m, fn in fns.items():
                    out[variant][m][test] = named(fn(X[train]), is_eq[train], fn(X[test]))
            fold: dict[str, Any] = {"scores": scores, "auto_init": chosen_init}
            for name, rule in rules.items():
                # silhouette_init chooses among all variants (as before), the others in pool.
                among = args.variants if name == "silhouette_init" else pool
                if len(among) < 2:
                    continue
                best = choose({v: scores[v] for v in among}, rule)
                fold[f"choice_{name}"] = best
                for m in methods:
                    picked[name][m][test] = out[best][m][test]
            folds.append(fold)
        row: dict[str, Any] = {"seed": seed, "folds": folds}
        for variant in args.variants:
            row[variant] = {m: float(np.mean(p == is_eq)) for m, p in out[variant].items()}
        for name in rules:
            if f"choice_{name}" in folds[0]:
                row[f"choice_{name}"] = {
                    m: float(np.mean(p == is_eq)) for m, p in picked[name].items()
                }
        runs.append(row)
        print(
            f"seed {seed}: "
            + "  ".join(
                f"{v} DEC {row[v]['dec']:.3f} AE+KM {row[v]['ae_kmeans']:.3f} "
                f"DEC+KM {row[v]['dec_kmeans']:.3f}"
                for v in args.variants
            ),
            flush=True,
        )
    keys = [k for k in runs[0] if k not in ("seed", "folds")]
    summary = {
        v: {
            m: {
                "mean": float(np.mean([r[v][m] for r in runs])),
                "per_seed": [round(r[v][m], 3) for r in runs],
            }
            for m in methods
        }
        for v in keys
    }
    for v, s in summary.items():
        print(
            f"{v:28s} DEC {s['dec']['mean']:.3f} {s['dec']['per_seed']}  "
            f"AE+KM {s['ae_kmeans']['mean']:.3f}  DEC+KM {s['dec_kmeans']['mean']:.3f}"
        )
    save(
        args.name or "cluster_levers_ncedc",
        {
            "data": "NCEDC windows of cluster_ncedc.py (FEATURES), 5-fold by recording, "
            "out of fold, estimator defaults",
            "n_windows": len(X),
            "n_excluded": len(excluded),
            "variants": {v: VARIANTS[v] for v in args.variants},
            "choose": pool,
            "seeds": args.seeds,
            "runs": runs,
            "summary": summary,
        },
    )


if __name__ == "__main__":
    main()
