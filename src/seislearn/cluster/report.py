"""Outputs of a ``cluster`` run: assignments, metrics with baselines, figures, report.

Baselines are always computed on the same spectrograms and splits: raw KMeans
on the flattened spectrograms and AE + KMeans (the pretrained autoencoder's
embedding with the centres DEC started from).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from seislearn.data.identity import per_trace_table

if TYPE_CHECKING:
    from seislearn.cluster.config import ClusterConfig
    from seislearn.cluster.dec import DeepEmbeddedClustering
    from seislearn.cluster.features import SpectrogramSet
    from seislearn.report.html import Section
    from seislearn.runs import RunDir


def _flat(x: np.ndarray) -> np.ndarray:
    """Spectrograms ``(n, C, F, T)`` as rows ``(n, C * F * T)``."""
    return np.asarray(x).reshape(len(x), -1)


def _subsets(split: np.ndarray) -> dict[str, np.ndarray]:
    subsets = {"all": np.ones(len(split), dtype=bool)}
    if (split == "test").any():
        subsets["test"] = split == "test"
    return subsets


def write_outputs(
    run: RunDir,
    est: DeepEmbeddedClustering,
    features: SpectrogramSet,
    split: np.ndarray,
    truth: np.ndarray | None,
    cfg: ClusterConfig,
    seed: int,
    n_clusters: int,
    streaming: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Predict every trace, score DEC and the baselines, draw the figures, write the report.

    The spectrograms may be in memory or stored (streamed): DEC predicts batch by
    batch, raw KMeans is fitted and scored on a seeded sample of at most
    :data:`~seislearn.cluster.streamed.RAW_SAMPLE_ROWS` traces and assigns every
    trace chunk by chunk, the mean spectrograms are summed chunk by chunk.
    ``streaming`` (the in-memory or streamed choice) is recorded as
    ``data_streaming`` in ``metrics.json``.
    """
    from sklearn.metrics import pairwise_distances_argmin

    from seislearn.cluster import figures as figs
    from seislearn.cluster.choose_k import score_k_range, suggest_k
    from seislearn.cluster.evaluate import evaluate
    from seislearn.cluster.streamed import (
        RAW_SAMPLE_ROWS,
        model_input,
        read_rows,
        sample_positions,
    )
    from seislearn.clustering.kmeans import fit_kmeans
    from seislearn.data.window_store import iter_window_chunks

    X = features.spectrograms  # an array, or stored spectrograms read batch by batch
    meta = features.metadata
    inputs = model_input(X)
    q = est.predict_proba(inputs)
    labels = q.argmax(axis=1)
    q_assigned = q[np.arange(len(q)), labels]
    z = est.transform(inputs)
    z_pre = est.transform_pretrained(inputs)
    fit_mask = split != "test"
    # Raw KMeans on the flattened spectrograms of the fit split (a seeded sample of
    # RAW_SAMPLE_ROWS when there are more; KMeans, or MiniBatchKMeans when too many for
    # it), then every trace assigned chunk by chunk.
    fit_rows = sample_positions(np.flatnonzero(fit_mask), RAW_SAMPLE_ROWS, seed)
    raw = fit_kmeans(
        _flat(read_rows(X, fit_rows)), n_clusters, n_init=cfg.training.n_init, random_state=seed
    )
    raw_labels = np.concatenate([raw.predict(_flat(chunk)) for chunk in iter_window_chunks(X)])
    # AE + KMeans: the nearest initial centre in the pretrained embedding (as
    # est.predict_initial, without a second pass over the spectrograms).
    ae_labels = pairwise_distances_argmin(z_pre, est.init_centers_)
    table = per_trace_table(meta, {"cluster": labels, "q": q_assigned, "split": split})
    if truth is not None:
        table["label"] = truth
    run.write_csv("assignments.csv", table)

    metrics: dict[str, Any] = {
        "n_traces": len(meta),
        "skipped": features.skipped,
        "data_streaming": streaming or {"mode": "memory"},
    }
    for name, mask in _subsets(split).items():
        t = truth[mask] if truth is not None else None
        metrics[name] = {"dec": evaluate(z[mask], labels[mask], q_assigned[mask], t, n_clusters)}
        ones = np.ones(mask.sum())
        metrics[name]["ae_kmeans"] = evaluate(z_pre[mask], ae_labels[mask], ones, t, n_clusters)
        # silhouette / Davies-Bouldin in the flattened spectrograms: on a seeded sample
        # of at most RAW_SAMPLE_ROWS traces of the subset (all of them below)
        rows = sample_positions(np.arange(int(mask.sum())), RAW_SAMPLE_ROWS, seed)
        space = _flat(read_rows(X, np.flatnonzero(mask)[rows]))
        metrics[name]["raw_kmeans"] = evaluate(
            space, raw_labels[mask], ones, t, n_clusters, score_rows=rows
        )
    scores = score_k_range(z_pre[fit_mask], cfg.k_range, seed=seed)
    metrics["choose_k"] = {
        "scores": scores.to_dict(orient="records"),
        **suggest_k(scores),
        "embedding": "pretrained autoencoder (before DEC), train+dev",
    }
    metrics["training"] = {
        "pretrain_epochs_run": est.history_["pretrain_epochs_run"],
        "dec_updates": len(est.history_["dec"]),
        "dec_converged": est.history_["dec_converged"],
        "pretrain_agreement": est.history_["pretrain_agreement"],
        "pretrain_mse": est.history_.get("pretrain_mse"),
        "pretrain_chosen": est.history_["pretrain_chosen"],
    }
    run.write_json("metrics.json", metrics)
    run.write_json("history.json", est.history_)
    run.write_csv("choose_k.csv", scores)

    figures = [
        (
            figs.training_curves(run, est.history_),
            "Training: pretraining MSE, then DEC loss and labels changed",
        ),
        (
            figs.choose_k(run, scores),
            "Choosing k: silhouette (higher is better) and Davies-Bouldin (lower)",
        ),
        *figs.embedding_maps(run, z, labels, truth, cfg.embedding_plot, seed),
        (figs.mean_spectrograms(run, labels, features), "Mean spectrogram per cluster"),
        (
            figs.example_waveforms(run, features, labels, q_assigned),
            "Example waveforms per cluster (highest q)",
        ),
    ]
    occupancy = figs.occupancy(run, meta, labels)
    if occupancy is not None:
        figures.append((occupancy, "Cluster occupancy over time (trace_start_time)"))
    _write_report(run, metrics, figures, n_clusters, truth is not None)
    return metrics


def comparison_rows(metrics: dict[str, Any], subset: str = "all") -> list[list[Any]]:
    """Rows (method, ACC, NMI, ARI, silhouette, Davies-Bouldin) of DEC and the baselines."""
    from seislearn.report.labels import Percent

    rows = []
    for method, label in (
        ("dec", "CAE + DEC"),
        ("ae_kmeans", "CAE + KMeans"),
        ("raw_kmeans", "raw KMeans"),
    ):
        m = metrics.get(subset, {}).get(method)
        if m is None:
            continue
        rows.append(
            [
                label,
                Percent(m["acc"]) if isinstance(m.get("acc"), float) else "-",
                m.get("nmi", "-"),
                m.get("ari", "-"),
                m["silhouette"],
                m["davies_bouldin"],
            ]
        )
    return rows


def summary_section(title: str, metrics: dict[str, Any], figures: list[tuple[Any, str]]) -> Section:
    """A report section: DEC side by side with the baselines, then the figures."""
    from seislearn.report.html import Headline, Section

    sec = Section(title)
    subset = "test" if "test" in metrics else "all"
    scores = metrics.get(subset, {})
    if scores.get("dec", {}).get("acc") is not None and "raw_kmeans" in scores:
        sec.add_headline(
            Headline(
                "cluster",
                f"accuracy of the clusters mapped to labels, {subset} traces",
                "CAE + DEC",
                scores["dec"]["acc"],
                "raw KMeans",
                scores["raw_kmeans"]["acc"],
                higher_is_better=True,
                percent=True,
            )
        )
    header = ["method", "accuracy (mapped)", "NMI", "ARI", "silhouette", "Davies-Bouldin"]
    for subset in ("all", "test"):
        if subset in metrics:
            n = metrics[subset]["dec"]["n"]
            sec.add_table(
                f"{subset} traces (n = {n}); silhouette/DB in each method's own space",
                header,
                comparison_rows(metrics, subset),
            )
    ck = metrics.get("choose_k", {})
    if ck.get("suggested") is not None:
        sec.add_text(
            f"Choosing k on the pretrained embedding: silhouette prefers k = {ck['silhouette']}, "
            f"Davies-Bouldin k = {ck['davies_bouldin']}; suggested k = {ck['suggested']}."
        )
    sizes = metrics["all"]["dec"]["cluster_sizes"]
    sec.add_table(
        "cluster sizes (DEC, all traces)", ["cluster", "traces"], [[k, v] for k, v in sizes.items()]
    )
    for path, caption in figures:
        sec.add_figure(path, caption)
    return sec


def _write_report(
    run: RunDir,
    metrics: dict[str, Any],
    figures: list[tuple[Any, str]],
    n_clusters: int,
    labelled: bool,
) -> None:
    from seislearn.report.html import write_report

    sec = summary_section(f"Deep Embedded Clustering, k = {n_clusters}", metrics, figures)
    if not labelled:
        sec.add_text("No label column was given: ACC, NMI and ARI are not computed.")
    if metrics["skipped"]:
        sec.add_text(
            f"{len(metrics['skipped'])} traces skipped: " + "; ".join(metrics["skipped"][:20])
        )
    write_report(
        run.path / "report.html",
        "seislearn cluster",
        [sec],
        subtitle="Every number and figure below was computed in this run.",
    )
