"""Demo section of the ``images`` workflow: synthetic patches, fit, held-out predict.

Writes its own synthetic patches (the demo's waveform data are not images),
fits the self-supervised pipeline, assigns patches generated with another seed,
and compares with a baseline: KMeans on the raw (downsampled) pixels.
"""

from __future__ import annotations

from pathlib import Path

from seislearn.report.html import Headline, Section
from seislearn.runs import RunDir

#: Patches fitted and held-out patches assigned afterwards (quick mode: 96 and 32).
N_FIT, N_NEW = 400, 100
#: Epochs of the self-supervised encoder.
SSL_EPOCHS = 12


def demo_section(run: RunDir, data_dir: Path, seed: int, quick: bool) -> Section:
    """Run the images workflow briefly and return its report section."""
    from seislearn.data.synthetic_images import write_images
    from seislearn.images.api import ImagesConfig, fit_images, predict_images
    from seislearn.images.ssl import SSLConfig

    root = run.path / "images"
    n_fit, n_new = (96, 32) if quick else (N_FIT, N_NEW)
    write_images(root / "patches", n_fit, seed=seed + 100, fmt="mat", overwrite=True)
    write_images(root / "new_patches", n_new, seed=seed + 200, fmt="png", overwrite=True)
    ssl = SSLConfig(epochs=2, patience=2) if quick else SSLConfig(epochs=SSL_EPOCHS)
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
    baseline = metrics["baseline_pixel_kmeans_ARI"]
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
    section.add_headline(
        Headline(
            "images",
            "adjusted Rand index of the clusters, fit patches",
            "SSL features + KMeans",
            metrics["ARI"],
            "KMeans on raw pixels",
            baseline,
            higher_is_better=True,
            note="quick mode: two epochs, not meaningful" if quick else "",
        )
    )
    figures = run.path / "images" / "fit" / "figures"
    for name, caption in (
        (
            "umap_true_labels",
            "2-D UMAP map of the features, coloured by the true patch type (never used for "
            "fitting): four compact islands mean the features separate the types. Hover for "
            "the patch file and its cluster.",
        ),
        (
            "umap_clusters",
            "The same map coloured by KMeans cluster: compare with the previous figure; an "
            "island split between two colours is a type the clustering cut in two.",
        ),
        (
            "anomaly_gallery",
            "The most anomalous patches (farthest from their cluster centre), highest score "
            "first: look for patches that fit no type well.",
        ),
    ):
        if (figures / f"{name}.png").is_file():
            section.add_figure(figures / f"{name}.png", caption)
    return section
