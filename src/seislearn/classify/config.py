"""Configuration of the classify workflow (validated; unknown keys are errors)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, PositiveInt, model_validator

from seislearn.config import StrictModel, check_order
from seislearn.data.labels import TruthConfig
from seislearn.data.memory import DataConfig
from seislearn.training.trainer import TrainerConfig

#: Scalar side inputs the CNN can take besides the spectrogram (see ``ClassifyConfig``).
SideInput = Literal["log_peak_amplitude", "log_sp_time", "log_distance"]
SIDE_INPUTS: tuple[str, ...] = ("log_peak_amplitude", "log_sp_time", "log_distance")


class ModelConfig(StrictModel):
    """CNN architecture; ``None`` takes the default of the model kind.

    ``channels``: feature maps per conv block; ``kernel_size``: pixels (2D) or
    samples (1D); ``pool_size``: max-pooling factor between blocks.
    """

    channels: list[PositiveInt] | None = Field(None, min_length=1)
    kernel_size: int | None = Field(None, ge=1)
    pool_size: int | None = Field(None, ge=1)
    dropout: float = Field(0.1, ge=0.0, lt=1.0)


class TrainingConfig(StrictModel):
    """Optimizer and stopping: Adam, early stopping on the dev-split loss.

    ``batch_size``: traces per optimizer step, or ``auto`` (default): 32, or
    fewer on a small train split so that an epoch has at least 8 steps
    (``max(8, min(32, n_train // 8))``, see :func:`resolve_batch_size`). With
    60 train traces and batches of 32, an epoch is 2 steps and early stopping
    (``patience`` epochs) ends the run before the CNN learns anything.
    """

    epochs: int = Field(30, ge=1)
    batch_size: Literal["auto"] | PositiveInt = "auto"
    lr: float = Field(1e-3, gt=0)
    weight_decay: float = Field(1e-4, ge=0)
    patience: int = Field(5, ge=1)


def resolve_batch_size(batch_size: int | str, n_train: int) -> int:
    """The batch size a run uses: ``batch_size`` itself, or for ``auto`` one chosen from
    the number of train rows, ``max(8, min(32, n_train // 8))`` (at least 8 steps per
    epoch from 64 train rows up; 32 from 256 up)."""
    if batch_size != "auto":
        return int(batch_size)
    return max(8, min(32, int(n_train) // 8))


class ClassifyConfig(StrictModel):
    """Everything a classify run needs besides the data.

    Attributes
    ----------
    target : str
        Metadata column to predict (``label`` for image folders).
    task : {"auto", "classification", "regression"}
        ``auto``: regression for a numeric column with more than 10 distinct values.
    variant : str
        ``P64``, ``P32``, ``S64``, ``S32`` (spectrogram CNN) or ``PW``, ``SW``
        (1D CNN on the raw window).
    anchor : {"pick", "trace_start"}
        Windows around the phase pick, or from the trace start (data without picks).
    before_s, after_s : float, optional, seconds
        Override the variant's window (P: 5 s before, 20 s after; S: 5 and 15).
    target_rate, freqmin, freqmax : float, optional, Hz
        Resampling and bandpass applied before the window is cut.
    normalize : {"peak", "std", None}
        Per-trace amplitude normalization; ``None`` keeps the amplitude (which
        carries magnitude). Raw-waveform variants default to ``std``.
    split : {"event", "time", "existing"}
        By event (``source_id``, seeded), by time (earlier events train), or the
        dataset's own ``split`` column.
    split_fractions : train, dev, test fractions
    folds : int
        More than 1: also run k-fold cross-validation by event.
    balance : {"weights", "undersample", "none"}
        Class imbalance: inverse-frequency loss weights, or undersample train.
    side_inputs : "auto" or list of {"log_peak_amplitude", "log_sp_time", "log_distance"}
        Scalars concatenated to the pooled CNN features before the linear head,
        standardized with train statistics: ``log_peak_amplitude`` = log10 peak
        absolute amplitude of each component's window (data units, measured
        before any ``normalize``); ``log_sp_time`` = log10 of the S-P time from
        the picks (s); ``log_distance`` = log10 epicentral distance from the
        metadata (km; ``path_ep_distance_km`` or source and station
        coordinates). ``auto`` (default): none for classification (it stays
        purely spectral); for regression ``log_peak_amplitude``, plus
        ``log_sp_time`` when every trace has P and S picks and the window is
        anchored on picks. ``log_distance`` is never chosen automatically: it
        comes from the catalog location, which new data may not have.
    labels : TruthConfig
        Where the epicentral distance comes from wherever it is used (side input,
        baselines, figures, a distance target): ``labels.distance_from`` =
        ``auto`` (default; from source and station coordinates where they exist,
        ``path_ep_distance_km`` elsewhere, never a label the coordinates
        contradict), ``label`` or ``coordinates``; see :mod:`seislearn.data.labels`.
    """

    SMALL_OVERRIDES: ClassVar[tuple[str, ...]] = (
        "training.epochs=2",
        "training.patience=1",
    )

    target: str = "source_type"
    task: Literal["auto", "classification", "regression"] = "auto"
    variant: str = "P64"
    anchor: Literal["pick", "trace_start"] = "pick"
    before_s: float | None = Field(None, ge=0)
    after_s: float | None = Field(None, gt=0)
    target_rate: float | None = Field(None, gt=0)
    freqmin: float | None = Field(None, gt=0)
    freqmax: float | None = Field(None, gt=0)
    normalize: Literal["peak", "std"] | None = None
    split: Literal["event", "time", "existing"] = "event"
    split_fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)
    folds: int = Field(0, ge=0)
    balance: Literal["weights", "undersample", "none"] = "weights"
    side_inputs: Literal["auto"] | list[SideInput] = "auto"
    seed: int = 0
    model: ModelConfig = Field(default_factory=ModelConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    trainer: TrainerConfig = Field(default_factory=TrainerConfig)
    labels: TruthConfig = Field(default_factory=TruthConfig)
    data: DataConfig = Field(
        default_factory=DataConfig,
        description="in memory or streamed through the feature cache (data.streaming: auto, "
        "memory, stream; also --streaming)",
    )

    @model_validator(mode="after")
    def _possible(self) -> ClassifyConfig:
        check_order(self.freqmin, self.freqmax, "freqmin", "freqmax")
        if self.target_rate is not None:
            check_order(self.freqmax, self.target_rate / 2, "freqmax", "Nyquist of target_rate")
        if any(f < 0 for f in self.split_fractions) or self.split_fractions[0] <= 0:
            raise ValueError(
                f"split_fractions {list(self.split_fractions)} must be train > 0, dev >= 0, "
                "test >= 0"
            )
        if self.folds == 1:
            raise ValueError("folds must be 0 (no cross-validation) or at least 2")
        return self
