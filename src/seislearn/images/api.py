"""The ``images`` workflow: cluster seismic image patches and flag the odd ones.

``fit_images``: read patches -> features (torchvision backbone or the
self-supervised encoder trained here) -> UMAP -> KMeans -> cluster-to-label
mapping (when the folder has class subfolders) -> anomaly scores -> run folder
(``predictions.csv``, ``metrics.json``, ``classification_metrics.csv``,
figures, ``report.html``, ``model/``). ``predict_images`` applies a fitted run
to new patches.

The patches are held in memory, or streamed from their files when they would
not fit (``data.streaming`` / ``--streaming``: :mod:`seislearn.images.streamed`);
both give the same features, clusters and metrics.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from seislearn.config import StrictModel
from seislearn.data.memory import DataConfig
from seislearn.errors import DataError
from seislearn.images.ssl import SSLConfig
from seislearn.runs import RunDir
from seislearn.training.trainer import TrainerConfig, use_config

if TYPE_CHECKING:
    from seislearn.data.memory import StreamingChoice
    from seislearn.images.streamed import PatchListing
    from seislearn.io.images import ImageSet

log = logging.getLogger(__name__)

#: Feature size assumed for a torchvision backbone in the ``auto`` memory estimate
#: (ResNet-50's 2,048; smaller backbones make the estimate err on the safe side).
TORCHVISION_FEATURE_DIM = 2048


class ImagesConfig(StrictModel):
    """Configuration of ``seislearn images fit`` (keys for ``--set``)."""

    SMALL_OVERRIDES: ClassVar[tuple[str, ...]] = (
        "ssl.epochs=2",
        "ssl.patience=1",
        "k_max=4",
        "n_init=2",
        "plot_projection=pca",
        "umap_components=0",
    )

    extractor: str = "ssl"
    weights: str = "imagenet"
    input_size: int = 224
    batch_size: int = 64
    mat_key: str | None = None
    umap_components: int = 50
    plot_projection: Literal["umap", "pca"] = "umap"
    umap_neighbors: int = 15
    umap_min_dist: float = 0.0
    n_clusters: int | None = None
    k_min: int = 2
    k_max: int = 10
    mapping: Literal["hungarian", "majority"] = "hungarian"
    anomaly: Literal["centroid", "isolation_forest", "lof"] = "centroid"
    n_init: int = 10
    umap_sample: int | None = 10_000
    kmeans: Literal["auto", "kmeans", "minibatch"] = "auto"
    top_anomalies: int = 18
    examples_per_cluster: int = 8
    cache: bool = True
    cache_dir: str | None = None
    progress: bool = True
    ssl: SSLConfig = SSLConfig()
    trainer: TrainerConfig = Field(default_factory=TrainerConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    num_workers: int | None = Field(
        None, ge=0, description="DataLoader workers of a streamed run (None: 2, at most the CPUs)"
    )


def _cache_dir(config: ImagesConfig) -> Path | None:
    from seislearn.images.features import default_cache_dir

    if not config.cache:
        return None
    return Path(config.cache_dir) if config.cache_dir else default_cache_dir()


def build_extractor(
    config: ImagesConfig,
    images: list[np.ndarray] | PatchListing,
    run: RunDir,
    seed: int,
    resume: bool,
    num_workers: int = 0,
) -> tuple[object, dict]:
    """The feature extractor of ``config``; trains the SSL encoder when asked for.

    ``images``: the patches in memory, or the listing of a streamed run (the
    encoder is then trained from a DataLoader over the files, ``num_workers`` workers).
    """
    from seislearn.images.features import Extractor, torchvision_extractor
    from seislearn.images.ssl import train_ssl_encoder
    from seislearn.images.streamed import PatchFiles, PatchListing
    from seislearn.io.images import stack_scaled

    if config.extractor != "ssl":
        return torchvision_extractor(config.extractor, config.weights, config.input_size), {}
    ssl = config.ssl
    if isinstance(images, PatchListing):
        scaled: Any = PatchFiles(images.paths, config.mat_key, ssl.input_size, as_tuple=True)
    else:
        scaled = stack_scaled(images, ssl.input_size)
    with run.timed("ssl_training"), use_config(config.trainer):
        encoder, history = train_ssl_encoder(
            scaled,
            ssl,
            run.checkpoints,
            seed=seed,
            resume=resume,
            progress=config.progress,
            num_workers=num_workers,
        )
    init_args = {
        "widths": list(ssl.widths),
        "feature_dim": ssl.feature_dim,
        "projection_dim": ssl.projection_dim,
        "attribute": ssl.attribute,
        "amplitude": ssl.amplitude,
    }
    spec = {
        "kind": "ssl",
        "name": "ssl",
        "weights": "trained in this run",
        "input_size": ssl.input_size,
        "init_args": init_args,
    }
    return Extractor(spec, encoder), history


def _read_patches(
    data: str | os.PathLike,
    data_config: DataConfig,
    key: str | None,
    on_error: Literal["raise", "skip"],
    input_size: int,
    feature_dim: int,
    num_workers: int | None,
) -> tuple[ImageSet | PatchListing, Any, StreamingChoice, int]:
    """The patches of ``data``: read into memory, or listed and checked for streaming.

    Returns
    -------
    patches : ImageSet (in memory) or PatchListing (streamed)
    images : the raw patches by position (a list, or a lazy reader when streamed)
    choice : StreamingChoice, recorded in ``metrics.json`` as ``data_streaming``
    workers : int, DataLoader workers of the streamed passes (0 in memory)
    """
    from seislearn.images.streamed import (
        LazyImages,
        choose_images_streaming,
        scan_patches,
        stream_workers,
    )
    from seislearn.io.images import read_images

    choice = choose_images_streaming(data, data_config, key, input_size, feature_dim)
    if not choice.stream:
        patches = read_images(data, key=key, on_error=on_error)
        return patches, patches.images, choice, 0
    workers = stream_workers(num_workers)
    listing = scan_patches(data, key, on_error, workers)
    return listing, LazyImages(listing.paths, key), choice, workers


def _features(
    extractor: Any,
    patches: ImageSet | PatchListing,
    key: str | None,
    batch_size: int,
    cache_dir: Path | None,
    data_config: DataConfig,
    workers: int,
    progress: bool,
) -> tuple[np.ndarray, bool]:
    """Features of the patches in memory or streamed chunk by chunk (the same cache key)."""
    from seislearn.images.features import features_cached
    from seislearn.images.streamed import PatchListing, streamed_features

    if isinstance(patches, PatchListing):
        return streamed_features(
            extractor,
            patches,
            key,
            batch_size,
            cache_dir,
            data_config.chunk_traces,
            workers,
            progress,
        )
    return features_cached(extractor, patches.images, batch_size, cache_dir, progress)


def _predictions_frame(
    files: list[str], labels: list[str] | None, result: dict[str, np.ndarray]
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "file": files,
            "true_label": labels if labels is not None else [""] * len(files),
            "cluster": result["cluster"].astype(int),
            "predicted_label": result["predicted_label"],
            "anomaly_score": np.round(result["anomaly_score"].astype(float), 5),
        }
    )


def _evaluate(run_path: Path, frame: pd.DataFrame, labelled: bool) -> dict:
    from seislearn.evaluation.clustering import clustering_scores, per_class_counts
    from seislearn.runs import write_json_atomic

    metrics: dict = {"n_patches": len(frame), "n_clusters": int(frame["cluster"].nunique())}
    if labelled:
        y = frame["true_label"].to_numpy(str)
        metrics.update({k.upper(): v for k, v in clustering_scores(y, frame["cluster"]).items()})
        mapped = frame["predicted_label"].to_numpy(str)
        metrics["mapped_accuracy"] = float(np.mean(y == mapped))
        never = sorted(set(y) - set(mapped))
        metrics["classes_never_predicted"] = never
        counts = pd.DataFrame(per_class_counts(y, mapped))
        from seislearn.runs import atomic_path

        with atomic_path(run_path / "classification_metrics.csv") as tmp:
            counts.to_csv(tmp, index=False)
    write_json_atomic(run_path / "metrics.json", metrics)
    return metrics


def _figures(
    run: RunDir,
    images: Sequence[np.ndarray],
    frame: pd.DataFrame,
    xy: np.ndarray | None,
    config: ImagesConfig,
    prefix: str = "",
    xy_rows: np.ndarray | None = None,
) -> list[tuple[Path, str]]:
    from seislearn.images.plots import plot_gallery, plot_umap_2d
    from seislearn.report.interactive import save_interactive, scatter_figure

    figures: list[tuple[Path, str]] = []
    if xy is not None:
        # The map shows the rows it was made of (the UMAP sample at scale).
        shown = frame if xy_rows is None else frame.iloc[np.asarray(xy_rows)]
        hover = [
            f"{Path(f).name}: cluster {c}" + (f", label {t}" if t else "")
            for f, c, t in zip(shown["file"], shown["cluster"], shown["true_label"], strict=True)
        ]
        colourings = [("cluster", "umap_clusters", "UMAP 2-D by KMeans cluster")]
        if (frame["true_label"] != "").all():
            colourings.insert(0, ("true label", "umap_true_labels", "UMAP 2-D by true label"))
        for what, name, caption in colourings:
            values = shown["true_label" if what == "true label" else "cluster"].to_numpy()
            png = run.save_figure(plot_umap_2d(xy, values, "UMAP 2-D", what), name)
            save_interactive(
                png,
                scatter_figure(
                    xy[:, 0],
                    xy[:, 1],
                    title=f"UMAP 2-D, coloured by {what} (hover: patch)",
                    x_label="UMAP 1",
                    y_label="UMAP 2",
                    groups=[str(v) for v in values],
                    hover=hover,
                ),
            )
            figures.append((png, caption))
    order = np.argsort(-frame["anomaly_score"].to_numpy())[: config.top_anomalies]
    captions = [
        f"{Path(frame['file'].iat[i]).name[:22]}\nc{frame['cluster'].iat[i]} "
        f"score {frame['anomaly_score'].iat[i]:.2f}"
        for i in order
    ]
    fig = plot_gallery([images[i] for i in order], captions, "Most anomalous patches")
    figures.append(
        (run.save_figure(fig, f"{prefix}anomaly_gallery"), "Top anomalies (highest score first)")
    )
    rng = np.random.default_rng(0)
    for cluster in sorted(frame["cluster"].unique()):
        members = np.flatnonzero(frame["cluster"].to_numpy() == cluster)
        pick = rng.choice(members, min(config.examples_per_cluster, members.size), replace=False)
        label = frame["predicted_label"].iat[members[0]]
        title = f"cluster {cluster}" + (f" -> {label}" if label else "") + f" ({members.size})"
        captions = [Path(frame["file"].iat[i]).name[:22] for i in pick]
        fig = plot_gallery([images[i] for i in pick], captions, title, columns=8)
        figures.append((run.save_figure(fig, f"{prefix}cluster_{cluster}"), title))
    return figures


def project_2d(features: np.ndarray, method: str, seed: int) -> np.ndarray:
    """A separate 2-D map of the (standardized) features, for plots only."""
    if method == "pca" or len(features) < 5:
        from sklearn.decomposition import PCA

        return PCA(2, random_state=seed).fit_transform(features)
    import warnings

    import umap

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*n_jobs.*", category=UserWarning)
        return umap.UMAP(n_components=2, random_state=seed).fit_transform(features)


def fit_images(
    data: str | os.PathLike,
    out: str | os.PathLike,
    config: ImagesConfig | None = None,
    seed: int = 0,
    overwrite: bool = False,
    resume: bool = False,
    on_error: Literal["raise", "skip"] = "raise",
) -> dict:
    """Fit the image-clustering pipeline on the patches in ``data``; write the run ``out``.

    Returns
    -------
    dict, the metrics (also in ``out/metrics.json``)
    """
    import time

    from seislearn.images.features import save_extractor, torchvision_extractor
    from seislearn.images.pipeline import ImageClusterPipeline

    config = config or ImagesConfig()
    t0 = time.perf_counter()
    ssl_extractor = config.extractor == "ssl"
    # Bad files, missing weights or no network fail here, before a run folder exists.
    patches, images, streaming, workers = _read_patches(
        data,
        config.data,
        config.mat_key,
        on_error,
        config.ssl.input_size if ssl_extractor else config.input_size,
        config.ssl.feature_dim if ssl_extractor else TORCHVISION_FEATURE_DIM,
        config.num_workers,
    )
    read_s = round(time.perf_counter() - t0, 3)
    pretrained = None
    if not ssl_extractor:
        pretrained = torchvision_extractor(config.extractor, config.weights, config.input_size)
    run = RunDir(out, overwrite=overwrite, resume=resume)
    run.timings["read"] = read_s
    run.begin(config, data=data, arguments={"seed": seed})
    labels = np.asarray(patches.labels) if patches.labels is not None else None
    if pretrained is not None:
        extractor, history = pretrained, {}
    else:
        source = patches if streaming.stream else patches.images  # type: ignore[union-attr]
        extractor, history = build_extractor(config, source, run, seed, resume, workers)
    with run.timed("features"):
        features, hit = _features(
            extractor,
            patches,
            config.mat_key,
            config.batch_size,
            _cache_dir(config),
            config.data,
            workers,
            config.progress,
        )
    pipeline = ImageClusterPipeline(
        n_components=config.umap_components,
        n_neighbors=config.umap_neighbors,
        min_dist=config.umap_min_dist,
        n_clusters=config.n_clusters,
        k_range=(config.k_min, config.k_max),
        mapping=config.mapping,
        anomaly=config.anomaly,
        n_init=config.n_init,
        umap_sample_size=config.umap_sample,
        kmeans=config.kmeans,
        random_state=seed,
        verbose=None if config.progress else False,
    )
    with run.timed("cluster"):
        pipeline.fit(features, labels)
    mapped = np.array([pipeline.mapping_.get(int(c), "") for c in pipeline.labels_], dtype=object)
    result = {
        "cluster": pipeline.labels_,
        "predicted_label": mapped,
        "anomaly_score": pipeline.anomaly_scores_,
    }
    frame = _predictions_frame(patches.files, patches.labels, result)
    run.write_csv("predictions.csv", frame)
    metrics = _evaluate(run.path, frame, labels is not None)
    if labels is not None:
        from seislearn.images.baselines import pixel_kmeans_ari

        with run.timed("baseline"):
            metrics["baseline_pixel_kmeans_ARI"] = pixel_kmeans_ari(
                images, list(labels), metrics["n_clusters"], seed
            )
    metrics.update({"features_from_cache": hit, "feature_dim": int(features.shape[1])})
    metrics["kmeans"] = pipeline.kmeans_method_
    metrics["umap_fitted_on"] = len(pipeline.umap_sample_index_)
    metrics["skipped_files"] = patches.skipped
    metrics["data_streaming"] = streaming.as_dict()
    if pipeline.silhouette_:
        metrics["silhouette_by_k"] = pipeline.silhouette_
    if history:
        metrics["ssl_training"] = history
    run.write_json("metrics.json", metrics)
    with run.timed("save_model"):
        save_extractor(extractor, run.model_dir)
        pipeline.save(run.model_dir)
    with run.timed("figures"):
        xy = project_2d(pipeline.train_features_, config.plot_projection, seed)
        figures = _figures(run, images, frame, xy, config, xy_rows=pipeline.umap_sample_index_)
    _write_report(run, "seislearn images fit", metrics, figures, patches.skipped)
    run.write_manifest(
        "images",
        seed=seed,
        data=data,
        extra={
            "extractor": extractor.spec["name"],
            "n_patches": len(patches),
            "data_streaming": streaming.as_dict(),
        },
    )
    return metrics


def _write_report(
    run: RunDir, title: str, metrics: dict, figures: list[tuple[Path, str]], skipped: list[str]
) -> Path:
    from seislearn.report.html import Headline, Section, write_report

    section = Section("Image clustering")
    section.add_text(
        f"{metrics.get('n_patches', 0):,} patches, {metrics.get('n_clusters', 0)} clusters; "
        "labels, where the patches have them, are used only for scoring."
    )
    if "ARI" in metrics and "baseline_pixel_kmeans_ARI" in metrics:
        section.add_headline(
            Headline(
                "images",
                "adjusted Rand index of the clusters",
                "CNN features + KMeans",
                metrics["ARI"],
                "KMeans on raw pixels",
                metrics["baseline_pixel_kmeans_ARI"],
                higher_is_better=True,
            )
        )
    section.add_metrics("metrics", {k: v for k, v in metrics.items() if k != "skipped_files"})
    if skipped:
        section.add_table("skipped files", ["reason"], [[s] for s in skipped])
    for path, caption in figures:
        section.add_figure(path, caption)
    return write_report(run.path / "report.html", title, [section])


def predict_images(
    model: str | os.PathLike,
    data: str | os.PathLike,
    out: str | os.PathLike | None = None,
    overwrite: bool = False,
    on_error: Literal["raise", "skip"] = "raise",
    mat_key: str | None = None,
    batch_size: int = 64,
    progress: bool = True,
    data_config: DataConfig | None = None,
) -> tuple[Path, dict]:
    """Assign the patches in ``data`` with the pipeline fitted in run ``model``.

    Parameters
    ----------
    model : path-like, a run written by :func:`fit_images`
    data : path-like, folder of patches (class subfolders give metrics)
    out : path-like, optional; default ``MODEL/predict_<data folder name>``
    data_config : DataConfig, optional
        In memory or streamed (default: the fitted run's ``data`` section; the
        ``--streaming`` option wins).

    Returns
    -------
    out : Path, the folder written
    metrics : dict
    """
    from seislearn.images.features import load_extractor
    from seislearn.images.pipeline import ImageClusterPipeline

    source = RunDir.open(model)
    saved = ImagesConfig.model_validate(_read_yaml(source.path / "config.yaml"))
    data_config = data_config or saved.data
    target = Path(out) if out is not None else source.path / f"predict_{Path(data).name}"
    extractor = load_extractor(source.model_dir)
    key = mat_key or saved.mat_key
    feature_dim = int(extractor.spec.get("init_args", {}).get("feature_dim", 0))
    patches, images, streaming, workers = _read_patches(
        data,
        data_config,
        key,
        on_error,
        extractor.input_size,
        feature_dim or TORCHVISION_FEATURE_DIM,
        saved.num_workers,
    )
    run = RunDir(target, overwrite=overwrite)
    with run.timed("load_pipeline"):
        pipeline = ImageClusterPipeline.load(source.model_dir, verbose=None if progress else False)
    with run.timed("features"):
        features, _ = _features(
            extractor,
            patches,
            key,
            batch_size,
            _cache_dir(saved),
            data_config,
            workers,
            progress,
        )
    with run.timed("assign"):
        result = pipeline.predict(features)
    frame = _predictions_frame(patches.files, patches.labels, result)
    run.write_csv("predictions.csv", frame)
    metrics = _evaluate(run.path, frame, patches.labels is not None)
    metrics["model"] = str(source.path)
    metrics["skipped_files"] = patches.skipped
    metrics["data_streaming"] = streaming.as_dict()
    run.write_json("metrics.json", metrics)
    figures = _figures(run, images, frame, None, saved)
    _write_report(run, "seislearn images predict", metrics, figures, patches.skipped)
    run.write_manifest(
        "images-predict",
        seed=pipeline.seed_,
        data=data,
        extra={"model": str(model), "data_streaming": streaming.as_dict()},
    )
    return run.path, metrics


def _read_yaml(path: Path) -> dict:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise DataError("the run has no config.yaml", path=path) from None
