"""Demo section of the ``images`` workflow: synthetic patches, fit, held-out predict.

Writes its own synthetic patches (the demo's waveform data are not images),
fits the self-supervised pipeline, assigns patches generated with another seed,
and compares with a baseline: KMeans on the raw (downsampled) pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seislearn.report.html import Section
from seislearn.runs import RunDir


def pixel_kmeans_ari(images: list[np.ndarray], labels: list[str], k: int, seed: int) -> float:
    """Baseline: KMeans on robustly scaled 32 x 32 pixels, standardized; its ARI."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    from seislearn.io.images import stack_scaled

    x = stack_scaled(images, 32).reshape(len(images), -1)
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    clusters = KMeans(k, n_init=10, random_state=seed).fit_predict(x)
    return float(adjusted_rand_score(labels, clusters))


def demo_section(run: RunDir, data_dir: Path, seed: int, quick: bool) -> Section:
    """Run the images workflow briefly and return its report section."""
    from seislearn.data.synthetic_images import write_images
    from seislearn.images.api import ImagesConfig, fit_images, predict_images
    from seislearn.images.ssl import SSLConfig
    from seislearn.io.images import read_images

    root = run.path / "images"
    n_fit, n_new = (96, 32) if quick else (600, 200)
    write_images(root / "patches", n_fit, seed=seed + 100, fmt="mat", overwrite=True)
    write_images(root / "new_patches", n_new, seed=seed + 200, fmt="png", overwrite=True)
    ssl = SSLConfig(epochs=2, patience=2) if quick else SSLConfig(epochs=15)
    config = ImagesConfig(
        extractor="ssl",
        ssl=ssl,
        umap_components=0 if quick else 50,
        plot_projection="pca" if quick else "umap",
        progress=False,
        cache=False,
        top_anomalies=12,
        examples_per_cluster=8,
    )
    metrics = fit_images(root / "patches", root / "fit", config, seed=seed, overwrite=True)
    _, held_out = predict_images(
        root / "fit", root / "new_patches", out=root / "predict", overwrite=True, progress=False
    )
    patches = read_images(root / "patches")
    baseline = pixel_kmeans_ari(patches.images, patches.labels or [], 4, seed)
    section = Section("Images: clustering seismic patches")
    section.add_text(
        f"{n_fit} synthetic reflection patches (horizon, fault, chaotic, salt dome; .mat) "
        f"clustered without labels: self-supervised (SimCLR-style) encoder trained on them for "
        f"{metrics.get('ssl_training', {}).get('epochs_run', '?')} epochs, "
        + ("no UMAP (quick mode), " if quick else "UMAP to 50 dimensions, ")
        + "KMeans with k = 4, Hungarian cluster-to-label mapping. Then "
        f"{n_new} new patches (another seed, PNG) assigned with the saved pipeline."
        + (" Quick mode: tiny sizes, numbers are not meaningful." if quick else "")
    )
    section.add_table(
        "clustering quality (ARI; labels used only for scoring)",
        ["method", "patches", "ARI", "NMI", "ACC"],
        [
            ["KMeans on raw pixels (baseline)", n_fit, baseline, "", ""],
            ["SSL features + KMeans (fit)", n_fit, metrics["ARI"], metrics["NMI"], metrics["ACC"]],
            [
                "saved pipeline on new patches",
                n_new,
                held_out["ARI"],
                held_out["NMI"],
                held_out["ACC"],
            ],
        ],
    )
    figures = run.path / "images" / "fit" / "figures"
    for name, caption in (
        ("umap_true_labels", "2-D map of the features by true label"),
        ("umap_clusters", "2-D map of the features by cluster"),
        ("anomaly_gallery", "most anomalous patches (distance to their cluster centre)"),
    ):
        if (figures / f"{name}.png").is_file():
            section.add_figure(figures / f"{name}.png", caption)
    return section
