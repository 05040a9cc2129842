"""Configuration of the ``cluster`` workflow and the estimator it builds."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, PositiveInt

from seislearn.cluster.features import FeatureConfig
from seislearn.config import StrictModel
from seislearn.data.memory import DataConfig
from seislearn.training.trainer import TrainerConfig


class ModelConfig(StrictModel):
    """Autoencoder architecture (defaults: those of :class:`DeepEmbeddedClustering`)."""

    channels: list[PositiveInt] | None = Field(
        None,
        min_length=1,
        description="encoder channels, one stride-2 layer each; None = chosen from the "
        "spectrogram's shape (seislearn.cluster.dec.auto_channels)",
    )
    latent_dim: int = Field(6, ge=1)
    nu: float = Field(1.0, gt=0, description="Student-t degrees of freedom")


class TrainingConfig(StrictModel):
    """Pretraining and DEC settings (see :class:`DeepEmbeddedClustering`)."""

    init: Literal["kmeans", "gmm", "kmeans_spherical", "auto"] = Field(
        "kmeans_spherical",
        description="auto = KMeans or GMM by BIC (seislearn.cluster.dec.choose_init); "
        "kmeans_spherical = KMeans refined by a spherical mixture "
        "(seislearn.cluster.dec.kmeans_spherical)",
    )
    n_init: int = Field(20, ge=1)
    batch_size: int | None = Field(
        None,
        ge=1,
        description="None = chosen from the number of training spectrograms "
        "(seislearn.cluster.dec.auto_batch_size)",
    )
    pretrain_epochs: int = Field(200, ge=1)
    pretrain_lr: float = Field(1e-3, gt=0)
    pretrain_noise: float = Field(0.0, ge=0)
    patience: int = Field(15, ge=1, description="epochs without progress before pretraining stops")
    min_improvement: float = Field(
        0.005,
        ge=0,
        lt=1,
        description="relative decrease of the dev MSE that counts as progress in pretraining",
    )
    n_pretrain: int = Field(
        1,
        ge=1,
        description="autoencoders pretrained; DEC continues from the one "
        "pretrain_selection picks (label-free)",
    )
    pretrain_selection: Literal["agreement", "reconstruction"] = Field(
        "agreement",
        description="agreement: the medoid initial partition; reconstruction: the lowest dev MSE",
    )
    dec_max_epochs: int = Field(100, ge=1)
    dec_lr: float = Field(1e-4, gt=0)
    update_interval: int | None = Field(
        None, ge=1, description="batches between target updates; None = once per epoch"
    )
    tol: float = Field(0.1, ge=0, description="percent of labels changed to stop")
    recon_weight: float = Field(0.1, ge=0, description="IDEC reconstruction weight")


class ClusterConfig(StrictModel):
    """Configuration of ``seislearn cluster train``."""

    SMALL_OVERRIDES: ClassVar[tuple[str, ...]] = (
        "training.pretrain_epochs=2",
        "training.dec_max_epochs=2",
        "training.n_init=2",
        "k_range=[2, 3, 4]",
        "embedding_plot=pca",
    )

    features: FeatureConfig = Field(default_factory=FeatureConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    trainer: TrainerConfig = Field(default_factory=TrainerConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    k_range: list[int] = Field(
        default_factory=lambda: list(range(2, 11)), description="k values scored to choose k"
    )
    embedding_plot: Literal["umap", "pca"] = "umap"
    split_method: Literal["event", "time", "random"] = Field(
        "event", description="how to split when the data has no split column"
    )


def make_estimator(
    n_clusters: int, config: ClusterConfig, seed: int, checkpoint_dir: Path | None, resume: bool
) -> Any:
    """A :class:`DeepEmbeddedClustering` configured from ``config``."""
    from seislearn.cluster.dec import DeepEmbeddedClustering

    t = config.training
    return DeepEmbeddedClustering(
        n_clusters=n_clusters,
        channels=None if config.model.channels is None else tuple(config.model.channels),
        latent_dim=config.model.latent_dim,
        nu=config.model.nu,
        init=t.init,
        n_init=t.n_init,
        batch_size=t.batch_size,
        pretrain_epochs=t.pretrain_epochs,
        pretrain_lr=t.pretrain_lr,
        pretrain_noise=t.pretrain_noise,
        n_pretrain=t.n_pretrain,
        pretrain_selection=t.pretrain_selection,
        patience=t.patience,
        min_improvement=t.min_improvement,
        dec_max_epochs=t.dec_max_epochs,
        dec_lr=t.dec_lr,
        update_interval=t.update_interval,
        tol=t.tol,
        recon_weight=t.recon_weight,
        random_state=seed,
        checkpoint_dir=checkpoint_dir,
        resume=resume,
    )
