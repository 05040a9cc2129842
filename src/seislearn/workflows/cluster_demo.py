"""The ``cluster`` section of ``seislearn demo``: DEC on the demo's synthetic events.

The demo data holds two source populations (low and high stress drop) of
synthetic earthquakes. The section clusters their vertical-component
spectrograms into two groups and scores the clusters against ``source_type``,
side by side with CAE + KMeans and raw KMeans on the same spectrograms.
"""

from __future__ import annotations

from pathlib import Path

from seislearn.report.html import Section
from seislearn.runs import RunDir


def demo_config(quick: bool):  # -> ClusterConfig
    """Small, fast settings: ~90 s on 2 cores, ~15 s with ``quick``."""
    from seislearn.workflows.cluster import ClusterConfig

    return ClusterConfig.model_validate(
        {
            "features": {"start_s": -2.0, "length_s": 10.0, "nperseg": 64, "fmax": 40.0},
            "model": {"channels": [8, 16, 32] if quick else [8, 16, 32, 64]},
            "training": {
                "pretrain_epochs": 3 if quick else 40,
                "patience": 5,
                "dec_max_epochs": 1 if quick else 20,
                "n_init": 3 if quick else 10,
                "update_interval": 5,
            },
            "k_range": [2, 3] if quick else list(range(2, 7)),
            "embedding_plot": "pca" if quick else "umap",
        }
    )


def demo_section(run: RunDir, data_dir: Path, seed: int, quick: bool) -> Section:
    """Cluster the demo data; artifacts go to ``run.path / "cluster"``."""
    import json

    from seislearn.workflows.cluster import train_cluster
    from seislearn.workflows.cluster_report import summary_section

    out = train_cluster(
        data_dir,
        run.path / "cluster",
        n_clusters=2,
        config=demo_config(quick),
        label_column="source_type",
        seed=seed,
        overwrite=True,
    )
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    figures = out / "figures"
    section = summary_section(
        "Cluster: CAE + DEC on synthetic spectrograms",
        metrics,
        [
            (
                figures / "embedding_2d.png",
                "Embeddings in 2-D, by cluster and by source population",
            ),
            (figures / "mean_spectrograms.png", "Mean spectrogram per cluster"),
        ],
    )
    section.add_text(
        "Vertical-component log spectrograms (2 s before P to 8 s after, 1-40 Hz), "
        "two clusters, scored against the source population (low or high stress drop) "
        "that the clustering never saw. "
        + ("Quick mode: a few epochs only, numbers are not meaningful. " if quick else "")
        + f"Full run: {out}."
    )
    return section
