"""Configuration of the azimuth workflow (validated; unknown keys are errors)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, PositiveInt, model_validator

from seislearn.config import StrictModel, check_not_empty, check_order
from seislearn.data.labels import TruthConfig
from seislearn.data.memory import DataConfig
from seislearn.training.trainer import TrainerConfig


class WindowConfig(StrictModel):
    """Windows around P.

    Attributes
    ----------
    before_s, after_s : seconds before and after the P pick
    target_rate_hz : resample to this rate (None keeps the data's rate)
    freqmin_hz, freqmax_hz : bandpass corners, Hz
    baseline_start_s : start of the polarization window relative to P, seconds
    baseline_lengths_s : candidate polarization window lengths, seconds; the one
        with the smallest error on the train split is used (for the baseline and
        for the covariance features of the head)
    """

    before_s: float = Field(0.5, ge=0.0)
    after_s: float = Field(2.0, gt=0.0)
    target_rate_hz: float | None = Field(100.0, gt=0.0)
    freqmin_hz: float | None = Field(1.0, gt=0.0)
    freqmax_hz: float | None = Field(20.0, gt=0.0)
    baseline_start_s: float = -0.05
    baseline_lengths_s: list[float] = Field(default_factory=lambda: [0.25, 0.5, 0.75, 1.0])

    @model_validator(mode="after")
    def _possible(self) -> WindowConfig:
        check_order(self.freqmin_hz, self.freqmax_hz, "window.freqmin_hz", "window.freqmax_hz")
        if self.target_rate_hz is not None:
            check_order(self.freqmax_hz, self.target_rate_hz / 2, "window.freqmax_hz", "Nyquist")
        check_not_empty(self.baseline_lengths_s, "window.baseline_lengths_s")
        if any(v <= 0 for v in self.baseline_lengths_s):
            raise ValueError("window.baseline_lengths_s must be positive seconds")
        return self


class ModelConfig(StrictModel):
    """Network sizes."""

    latent_dim: int = Field(16, ge=1)
    channels: list[PositiveInt] = Field(default_factory=lambda: [16, 32, 64], min_length=1)
    kernel_size: int = Field(5, ge=1)
    head_hidden: list[PositiveInt] = Field(default_factory=lambda: [128, 64])
    dropout: float = Field(0.1, ge=0.0, lt=1.0)
    predict_incidence: bool = True
    covariance_features: bool = Field(
        True, description="append covariance features of the first motion to the embedding"
    )
    covariance_bands_hz: list[tuple[float, float]] = Field(
        default_factory=lambda: [(1.0, 20.0), (1.0, 3.0), (2.0, 6.0), (4.0, 12.0), (8.0, 20.0)],
        description="fixed bands of the covariance features, Hz (empty: see covariance_filters)",
    )
    covariance_windows_s: list[float] = Field(
        default_factory=lambda: [0.15, 0.3, 0.6, 1.0],
        description="windows after P of the multiband covariance features, seconds",
    )
    covariance_filters: int = Field(
        0, ge=0, description="learned bands when covariance_bands_hz is empty (0: baseline window)"
    )
    covariance_window_s: float = Field(
        1.0, gt=0.0, description="seconds after P seen by the learned covariance features"
    )
    polarity_window_s: float = Field(
        0.15,
        ge=0.0,
        description="length (s) of the stretch, from the polarization window's start "
        "(window.baseline_start_s, 0.05 s before P), in which the vertical's largest sample "
        "sets the sign of the encoder's input (0: off); removes the source-polarity "
        "ambiguity from the embedding",
    )

    test_time_rotations: int = Field(
        8,
        ge=1,
        le=72,
        description="predictions averaged over this many orientations of the horizontals, "
        "each turned back, for traces of a station the model has not learned "
        "(see own_station_min_events; 1: always as recorded); costs that many forward "
        "passes per such trace. 8 removed the orientation bias of a synthetic-only model "
        "on a real station it never saw (docs/azimuth.md)",
    )
    own_station_min_events: int = Field(
        100,
        ge=0,
        description="a station with labelled training traces of at least this many "
        "events is one whose sensor frame the model has learned: its traces are predicted "
        "as recorded (one orientation), since averaging orientations scrambles that frame "
        "(it doubled the error of the demo's model on its own station, 2.33 -> 4.71 deg); "
        "a training station with fewer events is learned when, on its own labelled train "
        "and dev traces (out of fold when several nets are fine-tuned: finetune_members), "
        "the average over orientations is not significantly better than as recorded "
        "(one-sided paired sign-flip test, p < 0.05, each trace counted once; the "
        "check is in metrics.json); traces of any other station get test_time_rotations "
        "(0: every station counts as learned)",
    )


class LossConfig(StrictModel):
    """Loss weights and definitions."""

    beta_kl: float = Field(1e-3, ge=0.0)
    lambda_triplet: float = Field(10.0, ge=0.0)
    triplet_delta_deg: float = Field(10.0, gt=0.0, lt=180.0)
    triplet_margin: float = Field(1.0, ge=0.0)
    mining: Literal["batch_hard", "semi_hard"] = Field(
        "semi_hard", description="batch-hard with squared distances collapses the latent space"
    )
    triplet_squared: bool = Field(False, description="squared Euclidean latent distances")
    lambda_nll: float = Field(0.05, ge=0.0)
    lambda_contrastive: float = Field(1.0, ge=0.0)
    lambda_incidence: float = Field(1.0, ge=0.0)
    contrastive_similar_deg: float = Field(2.0, ge=0.0)
    contrastive_min_difference_deg: float = Field(5.0, ge=0.0)


class TrainingConfig(StrictModel):
    """Optimization and stopping."""

    mode: Literal["two_stage", "end_to_end"] = Field(
        "end_to_end",
        description="end_to_end: VAE and head losses together (head_epochs, patience); "
        "two_stage: the VAE (vae_epochs), then the head on its encoder (head_epochs)",
    )
    freeze_encoder: bool = Field(False, description="head stage: freeze (True) or fine-tune")
    vae_epochs: int = Field(15, ge=1)
    head_epochs: int = Field(80, ge=1)
    patience: int = Field(10, ge=1)
    batch_size: Literal["auto"] | int = Field(
        "auto",
        description="windows per optimizer step, or auto (default): chosen from the number "
        "of train windows (resolve_batch_size: the largest power of two up to n_train / 4 "
        "within 16-256, so at least 4 steps an epoch; 256 from 1,024 train windows up)",
    )
    learning_rate: float = Field(1e-3, gt=0.0)
    encoder_learning_rate: float = Field(3e-4, gt=0.0)
    augment_rotation: bool = Field(
        False,
        description="rotate N/E and the label by a random angle: assumes an ideal station "
        "and so hides its misorientation and local structure from the model",
    )
    augment_polarity: bool = True
    threads: int = Field(1, ge=1, description="torch CPU threads")
    finetune_mix: Literal["auto"] | int = Field(
        "auto",
        description="fine-tuning (--init-from RUN) on fewer labelled train traces than "
        "finetune_mix_below: join this many synthetic train windows of RUN's own training "
        "data, drawn with the seed, to the real train traces repeated to a third as many "
        "(a quarter of the mixed set), and train with the recipe's settings where they are "
        "not set (FINETUNE_RECIPE: end to end, batch 16, 60 epochs, patience 10, Adam "
        "3e-4); auto: 2,000, the recipe measured in docs/azimuth.md; 0: off (the real "
        "traces alone). RUN's training data must be on disk (finetune_mix_data)",
    )
    finetune_members: Literal["auto"] | int = Field(
        "auto",
        description="fine-tuning (--init-from RUN): nets fine-tuned on folds of the "
        "labelled train and dev traces (whole events; each stops early on its own fold) "
        "and averaged; the out-of-fold predictions decide the station check and calibrate "
        "the uncertainty. auto: 5 below finetune_mix_below labelled train traces, else 1",
    )
    finetune_mix_below: int = Field(
        500,
        ge=0,
        description="mix (finetune_mix) only when the fine-tuning data has fewer labelled "
        "train traces than this",
    )
    finetune_mix_data: str | None = Field(
        None,
        description="where the synthetic training data of the --init-from run is (None: the "
        "data path that run recorded in its manifest.json)",
    )

    @model_validator(mode="after")
    def _mix_count(self) -> TrainingConfig:
        if self.batch_size != "auto" and self.batch_size < 2:
            raise ValueError("training.batch_size must be auto or at least 2")
        if self.finetune_mix != "auto" and self.finetune_mix < 0:
            raise ValueError("training.finetune_mix must be auto, 0 (off) or a positive count")
        if self.finetune_members != "auto" and self.finetune_members < 1:
            raise ValueError("training.finetune_members must be auto or a count of at least 1")
        return self


#: Smallest and largest batch ``training.batch_size=auto`` chooses (:func:`resolve_batch_size`).
AUTO_BATCH_RANGE = (16, 256)


def resolve_batch_size(batch_size: int | str, n_train: int) -> int:
    """The batch size a run trains with: ``batch_size`` itself, or one chosen for ``auto``.

    ``auto``: the largest power of two up to ``n_train / 4`` within
    :data:`AUTO_BATCH_RANGE` (16-256), so an epoch has at least 4 optimizer steps
    wherever the range allows, then one more while the last batch would hold a
    single window (batch normalisation cannot train on it). Measured
    (``benchmarks/README.md``): a fold of ``benchmarks/azimuth_real.py`` (67 train
    windows) with the old fixed 256 was one step an epoch, out-of-fold MAE 24.5 deg
    over 3 seeds; with 16, 20.1 (the script's tuned batch of 32 and epochs: 20.9).
    The tour's 709 train windows: 3.02 deg with 256, 2.94 with 128 (this rule), 3.95
    with 88 (``n_train / 8``, rejected).

    Parameters
    ----------
    batch_size : int or "auto"
        ``training.batch_size``.
    n_train : int
        Labelled windows in the train split.

    Returns
    -------
    int
        Windows per optimizer step.
    """
    if batch_size != "auto":
        return int(batch_size)
    lo, hi = AUTO_BATCH_RANGE
    power = 1 << max(0, (max(1, int(n_train) // 4)).bit_length() - 1)
    batch = min(hi, max(lo, power))
    while n_train > batch and n_train % batch == 1:
        batch += 1
    return batch


#: Windows of the starting run's synthetic data ``training.finetune_mix=auto`` mixes in.
FINETUNE_MIX_AUTO = 2000

#: The training settings of the mixed fine-tuning recipe (benchmarks/azimuth_sim2real.py,
#: docs/azimuth.md), applied to the keys the user did not set when mixing.
FINETUNE_RECIPE: dict[str, object] = {
    "mode": "end_to_end",
    "batch_size": 16,
    "head_epochs": 60,
    "patience": 10,
    "learning_rate": 3e-4,
}


class AzimuthConfig(StrictModel):
    """The whole azimuth configuration (``--config FILE``, ``--set section.key=value``)."""

    SMALL_OVERRIDES: ClassVar[tuple[str, ...]] = (
        "training.vae_epochs=1",
        "training.head_epochs=2",
        "training.patience=1",
    )

    preset: Literal["default", "original"] = "default"
    window: WindowConfig = Field(default_factory=WindowConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    loss: LossConfig = Field(default_factory=LossConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    trainer: TrainerConfig = Field(default_factory=TrainerConfig)
    labels: TruthConfig = Field(
        default_factory=TruthConfig,
        description="where the back-azimuth truth comes from (labels.back_azimuth_from: "
        "auto, label or coordinates) and the tolerance of a label against the coordinates",
    )
    split_seed: int = 0
    data: DataConfig = Field(
        default_factory=DataConfig,
        description="in memory or streamed from the archive (data.streaming: auto, memory, "
        "stream; also --streaming)",
    )


#: The reference configuration of the original study (METHODS.md), with its mistakes fixed:
#: latent 2, 128-sample (1.28 s at 100 Hz) windows, Conv 16-32-64 kernel 5, KL 0.001,
#: Adam 1e-4, VAE batch 512, patience 10 (VAE) and 2 (head), deep SiLU head with dropout 0.1.
ORIGINAL_PRESET: dict = {
    "window": {"before_s": 0.28, "after_s": 1.0},
    "model": {
        "latent_dim": 2,
        "channels": [16, 32, 64],
        "kernel_size": 5,
        "head_hidden": [2048, 1024, 512, 512, 128, 32],
        "dropout": 0.1,
        "covariance_features": False,
        "polarity_window_s": 0.0,
    },
    "loss": {
        "beta_kl": 1e-3,
        "triplet_margin": 1.0,
        "triplet_delta_deg": 10.0,
        "triplet_squared": True,
    },
    "training": {
        "mode": "two_stage",
        "learning_rate": 1e-4,
        "encoder_learning_rate": 1e-4,
        "batch_size": 512,
        "patience": 10,
        "freeze_encoder": True,
    },
}


def load_azimuth_config(
    path: str | None = None, overrides: list[str] | None = None, preset: str | None = None
) -> AzimuthConfig:
    """Load the config: preset values first, then the file, then ``--set`` overrides."""
    import yaml

    from seislearn.config import load_config, parse_config
    from seislearn.errors import ConfigError

    base = load_config(AzimuthConfig, path, overrides)
    chosen = preset or base.preset
    if chosen == "default":
        return base
    if chosen != "original":
        raise ConfigError(f"unknown preset {chosen!r}; choose 'default' or 'original'")
    merged = _merge(ORIGINAL_PRESET, base.model_dump(exclude_unset=True))
    merged["preset"] = "original"
    for item in overrides or []:
        key, _, raw = item.partition("=")
        target = merged
        parts = key.strip().split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = yaml.safe_load(raw)
    return parse_config(AzimuthConfig, merged, "preset original")


def _merge(base: dict, update: dict) -> dict:
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
