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
    from seislearn.cluster.config import ClusterConfig

    return ClusterConfig.model_validate(
        {
            # The P wave alone (1 s before to 3 s after): its spectrum carries the
            # corner frequency, while the S-P time (distance) would dominate longer windows.
            "features": {
                "start_s": -1.0,
                "length_s": 4.0,
                "nperseg": 64,
                "freqmax": 45.0,
                "fmax": 45.0,
            },
            "model": {"channels": [8, 16, 32] if quick else [8, 16, 32, 64]},
            "training": {
                "pretrain_epochs": 3 if quick else 25,
                "patience": 5,
                "dec_max_epochs": 1 if quick else 20,
                "n_init": 3 if quick else 10,
                "update_interval": 5,
            },
            "k_range": [2, 3] if quick else [2, 3, 4, 5],
            "embedding_plot": "pca" if quick else "umap",
        }
    )


def demo_section(run: RunDir, data_dir: Path, seed: int, quick: bool) -> Section:
    """Cluster the demo data; artifacts go to ``run.path / "cluster"``."""
    import json

    from seislearn.cluster.api import train_cluster
    from seislearn.cluster.report import summary_section

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
        "Vertical-component log spectrograms of the P wave (1 s before to 3 s after P, "
        "1-45 Hz), two clusters, scored against the source population (low or high "
        "stress drop) that the clustering never saw. Over the demo's magnitude range "
        "(1-3.5) the corner frequency depends on magnitude as much as on stress drop, so "
        "the populations overlap; benchmarks/cluster_synthetic.py measures a cleaner case. "
        + ("Quick mode: a few epochs only, numbers are not meaningful. " if quick else "")
        + f"Full run: {out}."
    )
    return section
