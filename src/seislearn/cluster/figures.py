"""Figures of the ``cluster`` workflow (matplotlib, Agg backend); each returns the PNG path."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from seislearn.data import schema
from seislearn.data.identity import display_names
from seislearn.report.plots import new_figure

if TYPE_CHECKING:
    from seislearn.cluster.features import SpectrogramSet
    from seislearn.runs import RunDir


def training_curves(run: RunDir, history: dict[str, Any]) -> Path:
    """Pretraining train/validation MSE per epoch; DEC loss and labels changed per update."""
    fig, (ax1, ax2) = new_figure(1, 2, figsize=(10, 3.4))
    pre = pd.DataFrame(history.get("pretrain", []))
    for key in ("train_loss", "val_loss"):
        if key in pre:
            ax1.plot(pre["epoch"] + 1, pre[key], label=key.replace("_", " "))
    ax1.set_yscale("log")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("MSE")
    ax1.set_title("autoencoder pretraining")
    if ax1.lines:
        ax1.legend()
    else:  # e.g. a --resume run whose pretraining had already finished
        ax1.text(
            0.5, 0.5, "no pretraining epochs in this session", ha="center", transform=ax1.transAxes
        )
    dec = pd.DataFrame(history.get("dec", []))
    if not dec.empty:
        ax2.plot(dec["step"], dec["loss"], "o-", color="C2", label="loss (KL + recon)")
        ax2.set_xlabel("batch")
        ax2.set_ylabel("loss")
        twin = ax2.twinx()
        twin.plot(dec["step"], dec["labels_changed_pct"], "s--", color="C3", label="labels changed")
        twin.set_ylabel("labels changed (%)")
        twin.set_yscale("symlog", linthresh=0.1)
    ax2.set_title("DEC (one point per target update)")
    fig.tight_layout()
    return run.save_figure(fig, "training_curves")


def choose_k(run: RunDir, scores: pd.DataFrame) -> Path:
    """Silhouette and Davies-Bouldin against k."""
    fig, ax = new_figure(figsize=(6, 3.4))
    if not scores.empty:
        ax.plot(scores["k"], scores["silhouette"], "o-", color="C0", label="silhouette")
        ax.set_ylabel("silhouette (higher better)", color="C0")
        twin = ax.twinx()
        twin.plot(scores["k"], scores["davies_bouldin"], "s--", color="C1")
        twin.set_ylabel("Davies-Bouldin (lower better)", color="C1")
    ax.set_xlabel("number of clusters k")
    fig.tight_layout()
    return run.save_figure(fig, "choose_k")


#: Traces drawn in the embedding maps (a seeded sample when there are more).
PLOT_POINTS = 10_000


def project_2d(embeddings: np.ndarray, method: str, seed: int) -> tuple[np.ndarray, str]:
    """2-D projection of embeddings by UMAP (or PCA, also the fallback for tiny sets).

    UMAP is :class:`~seislearn.clustering.SampledUMAP`: fitted on at most its
    sample size of rows (exactly ``umap.UMAP.fit_transform`` below), the others
    embedded by ``transform``, so that its cost stays bounded.
    """
    if method == "umap" and len(embeddings) > 15:
        from seislearn.clustering.umap_sample import SampledUMAP

        return SampledUMAP(random_state=seed, desc="UMAP of the embedding").fit_transform(
            embeddings
        ), "UMAP"
    from sklearn.decomposition import PCA

    return PCA(2, random_state=seed).fit_transform(embeddings), "PCA"


def embedding_maps(
    run: RunDir,
    embeddings: np.ndarray,
    labels: np.ndarray,
    truth: np.ndarray | None,
    method: str,
    seed: int,
) -> list[tuple[Path, str]]:
    """The embedding in 2-D coloured by cluster, and by label when labels are known.

    At most :data:`PLOT_POINTS` traces are drawn (a seeded sample; all of them below).
    """
    from seislearn.cluster.streamed import sample_positions

    shown = sample_positions(np.arange(len(embeddings)), PLOT_POINTS, seed)
    embeddings, labels = embeddings[shown], labels[shown]
    truth = None if truth is None else truth[shown]
    xy, name = project_2d(embeddings, method, seed)
    colourings = [("cluster", labels.astype(str))]
    if truth is not None:
        colourings.append(("label", truth))
    fig, axes = new_figure(1, len(colourings), figsize=(5.2 * len(colourings), 4.4))
    axes = np.atleast_1d(axes)
    for ax, (title, values) in zip(axes, colourings, strict=True):
        for j, value in enumerate(sorted(set(values))):
            sel = values == value
            ax.scatter(xy[sel, 0], xy[sel, 1], s=6, color=f"C{j % 10}", label=str(value))
        ax.set_title(f"{name} of the DEC embedding, coloured by {title}")
        ax.legend(markerscale=2, fontsize=7, loc="best")
    fig.tight_layout()
    png = run.save_figure(fig, "embedding_2d")
    _embedding_interactive(png, xy, name, labels, truth, shown)
    return [(png, f"{name} of the embeddings (DEC encoder)")]


def _embedding_interactive(
    png: Path,
    xy: np.ndarray,
    name: str,
    labels: np.ndarray,
    truth: np.ndarray | None,
    positions: np.ndarray,
) -> None:
    """The plotly twin of the embedding map: colour by label (if known), hover the cluster
    and the trace's row (``positions``) in assignments.csv."""
    from seislearn.report.interactive import save_interactive, scatter_figure

    clusters = [f"cluster {c}" for c in labels]
    if truth is None:
        groups, hover = clusters, [f"trace {i}" for i in positions]
    else:
        groups = [str(t) for t in truth]
        hover = [
            f"trace {i}, {c}, label {t}"
            for i, c, t in zip(positions, clusters, groups, strict=True)
        ]
    save_interactive(
        png,
        scatter_figure(
            xy[:, 0],
            xy[:, 1],
            title=f"{name} of the DEC embedding, coloured by "
            + ("label (hover: cluster)" if truth is not None else "cluster"),
            x_label=f"{name} 1",
            y_label=f"{name} 2",
            groups=groups,
            hover=hover,
        ),
    )


def mean_spectrograms(run: RunDir, labels: np.ndarray, features: SpectrogramSet) -> Path:
    """Mean (scaled) spectrogram of each cluster, first component (summed chunk by chunk,
    so stored spectrograms are never all in memory)."""
    from seislearn.cluster.streamed import per_cluster_means

    means = per_cluster_means(features.spectrograms, labels)
    clusters = np.unique(labels)
    fig, axes = new_figure(1, len(clusters), figsize=(3.0 * len(clusters), 2.8), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, c in zip(axes, clusters, strict=True):
        mean = means[int(c)]
        ax.pcolormesh(features.times, features.frequencies, mean, shading="auto", cmap="magma")
        ax.set_title(f"cluster {c} (n = {int((labels == c).sum())})")
        ax.set_xlabel("time in window (s)")
    axes[0].set_ylabel("frequency (Hz)")
    fig.tight_layout()
    return run.save_figure(fig, "mean_spectrograms")


def example_waveforms(
    run: RunDir,
    features: SpectrogramSet,
    labels: np.ndarray,
    q_assigned: np.ndarray,
    per_cluster: int = 3,
) -> Path:
    """The windows (first component) with the highest-q members of each cluster."""
    clusters = np.unique(labels)
    fig, axes = new_figure(
        per_cluster,
        len(clusters),
        figsize=(3.2 * len(clusters), 1.3 * per_cluster + 0.6),
        squeeze=False,
    )
    t = np.arange(features.windows.shape[-1]) / features.sampling_rate
    names = display_names(features.metadata)
    for j, c in enumerate(clusters):
        members = np.flatnonzero(labels == c)
        members = members[np.argsort(-q_assigned[members])][:per_cluster]
        for i in range(per_cluster):
            ax = axes[i, j]
            if i < len(members):
                w = features.windows[members[i], 0]
                ax.plot(t, w / (np.abs(w).max() or 1.0), lw=0.5, color=f"C{j % 10}")
                ax.set_title(names[members[i]], fontsize=7)
            ax.set_yticks([])
        axes[0, j].set_title(f"cluster {c}\n{axes[0, j].get_title()}", fontsize=8)
        axes[-1, j].set_xlabel("time in window (s)")
    for i in range(per_cluster):
        axes[i, 0].set_ylabel("amplitude\n(peak = 1)", fontsize=7)
    fig.tight_layout()
    return run.save_figure(fig, "example_waveforms")


def occupancy(run: RunDir, meta: pd.DataFrame, labels: np.ndarray, bins: int = 20) -> Path | None:
    """Traces per cluster in time bins of ``trace_start_time`` (None without that column)."""
    if schema.START_TIME not in meta.columns:
        return None
    times = pd.to_datetime(meta[schema.START_TIME], errors="coerce", utc=True)
    ok = times.notna().to_numpy()
    if ok.sum() < 2:
        return None
    frame = pd.DataFrame({"time": times[ok].to_numpy(), "cluster": labels[ok]})
    edges = pd.date_range(frame["time"].min(), frame["time"].max(), periods=bins + 1)
    frame["bin"] = pd.cut(frame["time"], edges, include_lowest=True)
    counts = frame.groupby(["bin", "cluster"], observed=False).size().unstack(fill_value=0)
    fig, ax = new_figure(figsize=(9, 3.2))
    centres = [iv.left + (iv.right - iv.left) / 2 for iv in counts.index]
    width = (edges[1] - edges[0]) * 0.9
    bottom = np.zeros(len(counts))
    for j, c in enumerate(counts.columns):
        ax.bar(
            centres,
            counts[c].to_numpy(),
            width=width,
            bottom=bottom,
            color=f"C{j % 10}",
            label=f"cluster {c}",
        )
        bottom += counts[c].to_numpy()
    ax.set_ylabel("traces")
    ax.set_xlabel("trace start time")
    ax.legend(fontsize=7)
    fig.autofmt_xdate()
    fig.tight_layout()
    return run.save_figure(fig, "occupancy")
