"""The azimuth workflow: back-azimuth and incidence of P from 3-component windows.

``train`` cuts P windows, picks the polarization window on the train split,
trains the VAE (reconstruction + beta KL + lambda circular triplet) and then
the angle head (circular + von Mises + contrastive losses) on the *same*
split, or everything end to end, and evaluates model and polarization
baseline side by side on the test split. ``evaluate`` and ``predict`` reuse a
trained run on new data.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from seislearn.azimuth.config import AzimuthConfig, resolve_batch_size
from seislearn.azimuth.data import AzimuthData, polarization_of, prepare, prepare_streamed
from seislearn.azimuth.evaluate import (  # noqa: F401  (re-exported: the workflow's API)
    calibrate_kappa,
    comparison_rows,
    evaluate_arrays,
    predict_arrays,
    predictions_table,
    summary_section,
    write_figures,
)
from seislearn.data.labels import TruthConfig
from seislearn.data.window_store import select_windows
from seislearn.evaluation.circular import angle_error_deg
from seislearn.runs import RunDir

log = logging.getLogger(__name__)

#: Fewer dev traces than this make the one-factor uncertainty calibration unreliable.
MIN_DEV_FOR_CALIBRATION = 30
MODEL_PREFIX = "azimuth_"


# -- baseline ---------------------------------------------------------------------
def choose_baseline_window(data: AzimuthData, config: AzimuthConfig) -> tuple[int, int]:
    """Polarization window (start, stop samples) with the smallest train-split MAE."""
    start = max(0, data.p_index + round(config.window.baseline_start_s * data.sampling_rate))
    train = (data.split == "train") & np.isfinite(data.back_azimuth_deg)
    best: tuple[float, tuple[int, int]] | None = None
    for length_s in config.window.baseline_lengths_s:
        stop = min(data.windows.shape[-1], data.p_index + round(length_s * data.sampling_rate))
        if stop - start < 3:
            continue
        if not train.any():
            return start, stop
        result = polarization_of(data.windows, train, start, stop)
        mae = float(
            np.mean(np.abs(angle_error_deg(result.back_azimuth_deg, data.back_azimuth_deg[train])))
        )
        if best is None or mae < best[0]:
            best = (mae, (start, stop))
    if best is None:
        raise ValueError("no polarization window fits inside the P window; lengthen after_s")
    return best[1]


# -- model ------------------------------------------------------------------------
def feature_window(
    data: AzimuthData, config: AzimuthConfig, baseline_window: tuple[int, int]
) -> tuple[int, int]:
    """Samples seen by the covariance features: the baseline's window, or a longer one to learn."""
    if config.model.covariance_bands_hz or config.model.covariance_filters == 0:
        return baseline_window
    stop = data.p_index + round(config.model.covariance_window_s * data.sampling_rate)
    return baseline_window[0], min(data.windows.shape[-1], stop)


def net_arguments(
    config: AzimuthConfig,
    n_samples: int,
    covariance_window: tuple[int, int],
    sampling_rate: float = 100.0,
) -> dict:
    """Constructor arguments of :class:`seislearn.azimuth.heads.AzimuthNet`."""
    m = config.model
    multiband = None
    if m.covariance_features and m.covariance_bands_hz:
        multiband = {
            "sampling_rate": sampling_rate,
            "bands_hz": [list(b) for b in m.covariance_bands_hz],
            "window_samples": [max(3, round(w * sampling_rate)) for w in m.covariance_windows_s],
            "start": int(covariance_window[0]),
        }
    return {
        "vae_args": {
            "in_channels": 3,
            "n_samples": n_samples,
            "latent_dim": m.latent_dim,
            "channels": list(m.channels),
            "kernel_size": m.kernel_size,
        },
        "head_args": {
            "hidden": list(m.head_hidden),
            "dropout": m.dropout,
            "incidence": m.predict_incidence,
        },
        "covariance_window": list(covariance_window) if m.covariance_features else None,
        "covariance_filters": m.covariance_filters if m.covariance_features else 0,
        "multiband": multiband,
        "polarity_window": (
            [int(covariance_window[0]), int(covariance_window[0]) + polarity]
            if (polarity := round(m.polarity_window_s * sampling_rate)) > 0
            else None
        ),
        "test_time_rotations": m.test_time_rotations,
    }


def _fit_stage(
    module: Any,
    datamodule: Any,
    run: RunDir,
    stage: str,
    epochs: int,
    patience: int,
    resume: bool,
    trainer_config: Any = None,
    member: str = "",
) -> dict[str, float]:
    """Fit one stage with early stopping on dev; return timing figures; load the best weights.

    ``member``: the ensemble member this net is (``"member2"``; its checkpoints go into
    their own folder and its progress line names it), empty for a single net.
    """

    from seislearn.training.checkpoints import (
        best_checkpoint,
        fit,
        latest_epoch_checkpoint,
        load_checkpoint_weights,
        resume_checkpoint,
    )
    from seislearn.training.early_stopping import EarlyStopping
    from seislearn.training.trainer import build_trainer

    folder = run.checkpoints / member / stage if member else run.checkpoints / stage
    checkpoint = best_checkpoint(folder, "best", monitor="val_loss", save_top_k=1)
    timer = _EpochTimer()
    trainer = build_trainer(
        trainer_config,
        max_epochs=epochs,
        enable_checkpointing=True,
        callbacks=[
            EarlyStopping("val_loss", patience=patience),
            checkpoint,
            latest_epoch_checkpoint(folder),
            timer,
        ],
        deterministic=False,
        stage=f"azimuth {member + ' ' if member else ''}{stage.replace('_', '-')} training",
    )
    fit(
        trainer,
        module,
        datamodule=datamodule,
        ckpt_path=resume_checkpoint(folder, module) if resume else None,
    )
    if checkpoint.best_model_path:
        load_checkpoint_weights(checkpoint.best_model_path, module)
    return {
        "epochs": trainer.current_epoch,
        "seconds_per_epoch": float(np.mean(timer.durations)) if timer.durations else float("nan"),
        "best_val_loss": float(checkpoint.best_model_score or float("nan")),
    }


class _EpochTimer:
    """A Lightning callback recording the wall time of each training epoch, seconds."""

    def __new__(cls) -> Any:
        from lightning.pytorch.callbacks import Callback

        class EpochTimer(Callback):
            def __init__(self) -> None:
                self.durations: list[float] = []
                self._t0 = 0.0

            def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
                self._t0 = time.perf_counter()

            def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
                self.durations.append(time.perf_counter() - self._t0)

        return EpochTimer()


def train_model(
    data: AzimuthData,
    config: AzimuthConfig,
    run: RunDir,
    seed: int,
    baseline_window: tuple[int, int],
    resume: bool = False,
    init_state: dict[str, Any] | None = None,
    member: str = "",
) -> tuple[Any, dict[str, Any]]:
    """Train the net on ``data`` (its split column) and return ``(net, training figures)``.

    ``init_state`` (a state dict of the same architecture) starts from a trained
    model, e.g. one trained on synthetic events, to fine-tune it on real data.
    ``member``: the name of an ensemble member (its own checkpoint folder), or empty.
    """
    import lightning as L
    import torch

    from seislearn.azimuth.module import AzimuthModule
    from seislearn.training.datamodule import ArrayDataModule

    torch.set_num_threads(config.training.threads)
    L.seed_everything(seed, workers=True, verbose=False)
    t, lo = config.training, config.loss
    targets = np.column_stack([data.back_azimuth_deg, data.incidence_deg]).astype(np.float32)
    labelled = np.isfinite(data.back_azimuth_deg)
    split = np.where(labelled, data.split, "unlabelled")
    batch_size = resolve_batch_size(t.batch_size, int((split == "train").sum()))
    datamodule = ArrayDataModule(data.windows, targets, split, batch_size, seed=seed)
    net_args = net_arguments(
        config,
        data.windows.shape[-1],
        feature_window(data, config, baseline_window),
        data.sampling_rate,
    )
    common = {
        "net_args": net_args,
        "beta_kl": lo.beta_kl,
        "lambda_triplet": lo.lambda_triplet,
        "triplet_delta_deg": lo.triplet_delta_deg,
        "triplet_margin": lo.triplet_margin,
        "mining": lo.mining,
        "triplet_squared": lo.triplet_squared,
        "lambda_nll": lo.lambda_nll,
        "lambda_contrastive": lo.lambda_contrastive,
        "lambda_incidence": lo.lambda_incidence,
        "contrastive_similar_deg": lo.contrastive_similar_deg,
        "contrastive_min_difference_deg": lo.contrastive_min_difference_deg,
        "freeze_encoder": t.freeze_encoder,
        "learning_rate": t.learning_rate,
        "encoder_learning_rate": t.encoder_learning_rate,
        "augment_rotation": t.augment_rotation,
        "augment_polarity": t.augment_polarity,
    }
    figures: dict[str, Any] = {
        "n_train": int((split == "train").sum()),
        "n_dev": int((split == "dev").sum()),
        "batch_size": batch_size,
    }
    if t.mode == "end_to_end":
        module = AzimuthModule(stage="end_to_end", **common)
        _load_initial(module, init_state)
        with run.timed("train_end_to_end"):
            figures["end_to_end"] = _fit_stage(
                module,
                datamodule,
                run,
                "end_to_end",
                t.head_epochs,
                t.patience,
                resume,
                config.trainer,
                member,
            )
        return module.net, figures
    vae_module = AzimuthModule(stage="vae", **common)
    _load_initial(vae_module, init_state)
    with run.timed("train_vae"):
        figures["vae"] = _fit_stage(
            vae_module,
            datamodule,
            run,
            "vae",
            t.vae_epochs,
            t.patience,
            resume,
            config.trainer,
            member,
        )
    head_module = AzimuthModule(stage="head", **common)
    head_module.net.load_state_dict(vae_module.net.state_dict())
    head_patience = 2 if config.preset == "original" else t.patience
    with run.timed("train_head"):
        figures["head"] = _fit_stage(
            head_module,
            datamodule,
            run,
            "head",
            t.head_epochs,
            head_patience,
            resume,
            config.trainer,
            member,
        )
    return head_module.net, figures


def _load_initial(module: Any, state: dict[str, Any] | None) -> None:
    from seislearn.errors import ConfigError

    if state is None:
        return
    try:
        module.net.load_state_dict(state)
    except RuntimeError as exc:
        raise ConfigError(
            "--init-from model does not match this configuration (window length, latent size, "
            f"features): {str(exc).splitlines()[0]}"
        ) from None


def _initial_state(init_from: str | os.PathLike) -> dict[str, Any]:
    """The weights ``init_from`` starts a fine-tuning from; an ensemble run is refused."""
    from seislearn.azimuth.ensemble import AzimuthEnsemble
    from seislearn.errors import ConfigError

    net = _load_run(init_from)[0]
    if isinstance(net, AzimuthEnsemble):
        started = RunDir.open(init_from).path / "manifest.json"
        raise ConfigError(
            f"--init-from {init_from}: that run is an average of {len(net.members)} "
            "fine-tuned nets, which cannot start another fine-tuning; start from the run "
            f"it was fine-tuned from (init_from in {started})"
        )
    return net.state_dict()


def _window_reader() -> Any:
    """``read(path, config)``: the labelled P windows of the data set at ``path``, read once
    per path and window settings (the members of a fine-tuning share them)."""
    cache: dict[tuple[str, str], AzimuthData] = {}

    def read(path: Any, cfg: AzimuthConfig) -> AzimuthData:
        key = (str(path), cfg.window.model_dump_json())
        if key not in cache:
            cache[key] = prepare_input(read_input(path), cfg, path, "skip", True)
        return cache[key]

    return read


def _dev_kappa_scale(
    net: Any,
    data: AzimuthData,
    learned: dict[str, int],
    min_events: int,
    also_learned: list[str],
) -> float:
    """The concentration scale calibrated on the dev split, as the net predicts it."""
    from seislearn.azimuth.evaluate import rotation_mask

    dev = (data.split == "dev") & np.isfinite(data.back_azimuth_deg)
    dev_out = predict_arrays(
        net,
        select_windows(data.windows, dev),
        rotate=rotation_mask(data.metadata[dev], learned, min_events, also_learned),
    )
    _warn_few_calibration_traces(int(dev.sum()), "dev")
    return calibrate_kappa(
        angle_error_deg(dev_out["back_azimuth_deg"], data.back_azimuth_deg[dev]), dev_out["kappa"]
    )


def _warn_few_calibration_traces(n: int, which: str) -> None:
    if n < MIN_DEV_FOR_CALIBRATION:
        log.warning(
            "the uncertainty is calibrated on only %d %s traces: the stated intervals may be "
            "too narrow (check the coverage in metrics.json on data with labels)",
            n,
            which,
        )


def _train_members(
    data: AzimuthData,
    config: AzimuthConfig,
    run: RunDir,
    seed: int,
    resume: bool,
    init_from: str | os.PathLike,
    init_state: dict[str, Any],
    folds: list[tuple[np.ndarray, np.ndarray]],
    explicit_training: set[str],
) -> dict[str, Any]:
    """Fine-tune one member per fold (:mod:`seislearn.azimuth.ensemble`) and check them.

    Member ``k`` trains on the pooled labelled rows outside fold ``k`` (mixed with
    synthetic windows when ``training.finetune_mix`` applies, drawn with seed ``seed +
    k``) and stops early on fold ``k``. The stations with fewer than
    ``model.own_station_min_events`` events are checked, and the concentration
    calibrated, on the out-of-fold predictions: every pooled trace predicted by the
    member that never saw it.
    """
    from seislearn.azimuth.ensemble import AzimuthEnsemble, out_of_fold, with_split
    from seislearn.azimuth.evaluate import (
        compare_orientations,
        rotation_mask,
        station_ids,
        training_stations,
    )
    from seislearn.azimuth.finetune import finetune_mix

    read_windows = _window_reader()
    nets, training, mixes = [], [], []
    baseline_window: tuple[int, int] | None = None
    trained_config = config
    predictions: dict[bool, list[dict[str, np.ndarray]]] = {False: [], True: []}
    for k, (train_rows, dev_rows) in enumerate(folds):
        member_data = with_split(data, train_rows, dev_rows)
        with run.timed(f"finetune_mix_member{k}"):
            member_data, trained_config, mixed = finetune_mix(
                member_data, config, init_from, seed + k, explicit_training, read_windows
            )
        mixes.append(mixed)
        if baseline_window is None:  # one window for all: the members share their shape
            baseline_window = choose_baseline_window(member_data, trained_config)
        net, figures = train_model(
            member_data,
            trained_config,
            run,
            seed + k,
            baseline_window,
            resume=resume,
            init_state=init_state,
            member=f"member{k}",
        )
        figures["dev_traces"] = len(dev_rows)
        nets.append(net)
        training.append(figures)
        windows = select_windows(data.windows, np.isin(np.arange(len(data.windows)), dev_rows))
        for rotate in (False, True):
            predictions[rotate].append(
                predict_arrays(net, windows, rotate=np.full(len(dev_rows), rotate))
            )
    assert baseline_window is not None
    ensemble = AzimuthEnsemble(
        len(nets),
        net_arguments(
            trained_config,
            data.windows.shape[-1],
            feature_window(data, trained_config, baseline_window),
            data.sampling_rate,
        ),
    )
    for member, net in zip(ensemble.members, nets, strict=True):
        member.load_state_dict(net.state_dict())
    ensemble.eval()
    n = len(data.windows)
    pooled = np.sort(np.concatenate([dev for _, dev in folds]))
    oof = {
        rotate: {
            key: out_of_fold([p[key] for p in predictions[rotate]], folds, n)
            for key in ("back_azimuth_deg", "kappa")
        }
        for rotate in (False, True)
    }
    in_pool = np.zeros(n, bool)
    in_pool[pooled] = True
    learned = training_stations(data.metadata, in_pool)
    min_events = trained_config.model.own_station_min_events
    rotations = int(getattr(ensemble, "test_time_rotations", 1))
    few = sorted(s for s, c in learned.items() if c < min_events)
    checked = (
        {}
        if min_events <= 0 or rotations <= 1
        else compare_orientations(
            station_ids(data.metadata)[pooled],
            data.back_azimuth_deg[pooled],
            oof[False]["back_azimuth_deg"][pooled],
            oof[True]["back_azimuth_deg"][pooled],
            few,
        )
    )
    also_learned = sorted(s for s, c in checked.items() if c["learned"])
    rotate = rotation_mask(data.metadata.iloc[pooled], learned, min_events, also_learned)
    as_recorded = ~rotate | (rotations <= 1)
    chosen = {
        key: np.where(as_recorded, oof[False][key][pooled], oof[True][key][pooled])
        for key in ("back_azimuth_deg", "kappa")
    }
    _warn_few_calibration_traces(len(pooled), "out-of-fold")
    kappa = calibrate_kappa(
        angle_error_deg(chosen["back_azimuth_deg"], data.back_azimuth_deg[pooled]), chosen["kappa"]
    )
    errors = np.abs(angle_error_deg(chosen["back_azimuth_deg"], data.back_azimuth_deg[pooled]))
    members = {
        "members": len(nets),
        "folds": "whole events of the labelled train and dev traces; each member trains on "
        "the other folds and stops early on its own",
        "seeds": [seed + k for k in range(len(nets))],
        "dev_traces": [len(dev) for _, dev in folds],
        "out_of_fold_mae_deg": float(errors.mean()),
        "out_of_fold_traces": len(pooled),
    }
    mixed_record = None
    if any(m is not None for m in mixes):
        mixed_record = {**mixes[0], "members": mixes}
    return {
        "net": ensemble,
        "training": {"members": training},
        "mixed": mixed_record,
        "members": members,
        "config": trained_config,
        "baseline_window": baseline_window,
        "learned": learned,
        "checked": checked,
        "also_learned": also_learned,
        "kappa": kappa,
    }


# -- entry points -----------------------------------------------------------------
def choose_azimuth_streaming(dataset: Any, config: AzimuthConfig) -> Any:
    """In memory or streamed (:mod:`seislearn.data.memory`) for the P windows of ``dataset``.

    The estimate is ``n_traces x 3 x window samples x 4`` bytes, the window
    length from the config and the data's first sampling rate (or the target rate).
    """
    from seislearn.data import schema
    from seislearn.data.memory import choose_streaming_mode

    w = config.window
    meta = dataset.metadata
    rate = w.target_rate_hz
    if rate is None and schema.SAMPLING_RATE in meta.columns and len(meta):
        rate = float(meta[schema.SAMPLING_RATE].iloc[0])
    samples = round((w.before_s + w.after_s) * (rate or 100.0))
    return choose_streaming_mode(config.data, len(dataset), 3, samples, workflow="azimuth")


def load_data(
    path: str | os.PathLike,
    config: AzimuthConfig,
    format: str = "auto",
    on_error: str = "raise",
    require_labels: bool = True,
    picks: str | os.PathLike | None = None,
    inventory: str | os.PathLike | None = None,
) -> AzimuthData:
    """Read a dataset and prepare its P windows with the config's window settings.

    ``picks`` (CSV or QuakeML) and ``inventory`` (StationXML) go with MiniSEED/SAC
    files (format ``obspy``), see :func:`seislearn.io.obspy_files.read_obspy_files`;
    files that cannot be read are skipped and listed with ``on_error="skip"``.
    Bands the user did not set are chosen below the Nyquist frequency of the
    slowest trace (:func:`seislearn.azimuth.bands.fit_bands_to_rate`).
    """
    dataset = read_input(path, format, on_error, picks, inventory)
    config = fit_bands_to_data(config, dataset, path)
    return prepare_input(dataset, config, path, on_error, require_labels)


def fit_bands_to_data(
    config: AzimuthConfig, dataset: Any, path: str | os.PathLike
) -> AzimuthConfig:
    """``config`` with the bands the user did not set chosen from ``dataset``'s sampling rates."""
    from seislearn.azimuth.bands import fit_bands_to_rate, lowest_rate_hz

    return fit_bands_to_rate(config, lowest_rate_hz(dataset.metadata), str(path))


def read_input(
    path: str | os.PathLike,
    format: str = "auto",
    on_error: str = "raise",
    picks: str | os.PathLike | None = None,
    inventory: str | os.PathLike | None = None,
) -> Any:
    """The dataset at ``path`` (waveforms read lazily where the format allows)."""
    from seislearn.errors import DataError
    from seislearn.io import detect_format, read_dataset

    fmt = detect_format(path) if format == "auto" else format
    reader_args: dict[str, Any] = {}
    if fmt == "obspy":
        reader_args = {"picks": picks, "inventory": inventory, "on_error": on_error}
    elif picks is not None or inventory is not None:
        raise DataError(
            f"--picks and --inventory go with MiniSEED/SAC files (--format obspy), not {fmt}",
            path=path,
        )
    dataset = read_dataset(path, format=fmt, **reader_args)
    if fmt == "obspy" and picks is None:
        from seislearn.data import schema

        p_picks = dataset.metadata.get(schema.P_ARRIVAL)
        if p_picks is None or p_picks.isna().all():
            raise DataError(
                "no P picks in the waveform files' headers; pass them with --picks "
                "(CSV with trace_id, phase, time; or QuakeML)",
                path=path,
            )
    return dataset


def prepare_input(
    dataset: Any,
    config: AzimuthConfig,
    path: str | os.PathLike,
    on_error: str = "raise",
    require_labels: bool = True,
) -> AzimuthData:
    """P windows of ``dataset`` (read from ``path``) with the config's window settings,
    in memory or streamed (see :func:`load_data`)."""
    w = config.window
    arguments = (w.before_s, w.after_s, w.target_rate_hz, w.freqmin_hz, w.freqmax_hz)
    options = {
        "on_error": on_error,
        "split_seed": config.split_seed,
        "require_labels": require_labels,
        "labels": config.labels,
    }
    choice = choose_azimuth_streaming(dataset, config)
    if choice.stream:
        from seislearn.runs import fingerprint_path

        data = prepare_streamed(
            dataset, fingerprint_path(path), *arguments, **options, data_config=config.data
        )
    else:
        data = prepare(dataset, *arguments, **options)
    data.streaming = choice.as_dict()
    data.skipped = list(getattr(dataset, "skipped", [])) + data.skipped
    return data


#: Window settings that fix the length of the network's input (the other window settings,
#: such as the bandpass, may change when fine-tuning).
_WINDOW_SHAPE_KEYS = ("before_s", "after_s", "target_rate_hz")


def check_init_from(init_from: str | os.PathLike, config: AzimuthConfig) -> None:
    """Raise :class:`ConfigError` naming every setting that keeps ``init_from``'s weights
    from fitting the network of ``config``: a ``model`` setting or a window length setting
    that differs from the run's ``config.yaml``. Checked before any data is read.

    Parameters
    ----------
    init_from : path-like
        The azimuth run fine-tuning starts from.
    config : AzimuthConfig
        The configuration of the new run.
    """
    import yaml

    from seislearn.errors import ConfigError

    path = Path(init_from) / "config.yaml"
    try:
        saved = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"--init-from {init_from}: cannot read {path}: {exc}") from None
    current = config.model_dump(mode="json")
    keys = [("model", key) for key in current["model"] if key not in _PREDICTION_MODEL_KEYS]
    keys += [("window", key) for key in _WINDOW_SHAPE_KEYS]
    differ = [
        f"{section}.{key} is {saved[section][key]!r} there, {current[section][key]!r} here"
        for section, key in keys
        if key in saved.get(section, {}) and saved[section][key] != current[section][key]
    ]
    if differ:
        raise ConfigError(
            f"--init-from {init_from}: its network differs from this configuration's: "
            + "; ".join(differ)
            + ". Fine-tuning needs the same network: set these as in that run "
            "(or train that run with these settings)"
        )


def train(
    data_path: str | os.PathLike,
    out: str | os.PathLike,
    config: AzimuthConfig,
    seed: int = 0,
    overwrite: bool = False,
    resume: bool = False,
    format: str = "auto",
    on_error: str = "raise",
    data: AzimuthData | None = None,
    init_from: str | os.PathLike | None = None,
    picks: str | os.PathLike | None = None,
    inventory: str | os.PathLike | None = None,
) -> Path:
    """Train, evaluate on the test split, and write the run; returns the run path.

    ``init_from``: a previous azimuth run whose weights start the training (fine-tuning).
    ``picks``, ``inventory``: for MiniSEED/SAC files, see :func:`load_data`.
    """
    from seislearn.models.serialization import save_model
    from seislearn.report.html import write_report

    explicit_training = set(config.training.model_fields_set)
    if init_from is not None:
        config = inherit_settings(config, init_from)
        check_init_from(init_from, config)
    # Loaded (and an ensemble refused) before the run folder is made or any data read.
    init_state = None if init_from is None else _initial_state(init_from)
    run = RunDir(out, overwrite=overwrite, resume=resume)
    dataset = None
    if data is None:
        dataset = read_input(data_path, format, on_error, picks, inventory)
        # Bands the user did not set, chosen from the data's rate (recorded in config.yaml).
        config = fit_bands_to_data(config, dataset, data_path)
    run.begin(config, data=data_path, arguments={"seed": seed})
    with run.timed("prepare"):
        if data is None:
            data = prepare_input(dataset, config, data_path, on_error, True)
    folds: list[tuple[np.ndarray, np.ndarray]] = []
    members: dict[str, Any] | None = None
    if init_from is not None:
        from seislearn.azimuth.ensemble import member_folds, members_wanted

        labelled = np.isfinite(data.back_azimuth_deg)
        wanted = members_wanted(config, int(((data.split == "train") & labelled).sum()))
        if wanted > 1:
            pool = np.isin(data.split, ["train", "dev"]) & labelled
            folds = member_folds(data.metadata, pool, wanted, seed)
            if not folds:
                log.warning(
                    "training.finetune_members=%s: the labelled train and dev traces hold "
                    "fewer than 2 events, so one net is fine-tuned",
                    config.training.finetune_members,
                )
    if folds:
        # Few labelled traces: cross-fitted members, each stopped on its own fold, their
        # out-of-fold predictions checking the stations and calibrating the uncertainty.
        fit = _train_members(
            data, config, run, seed, resume, init_from, init_state, folds, explicit_training
        )
        net, training, mixed, members = fit["net"], fit["training"], fit["mixed"], fit["members"]
        config, baseline_window, learned = fit["config"], fit["baseline_window"], fit["learned"]
        checked, also_learned, kappa_scale = fit["checked"], fit["also_learned"], fit["kappa"]
        min_events = config.model.own_station_min_events
        run.write_config(config)
    else:
        mixed = None
        if init_from is not None:
            from seislearn.azimuth.finetune import finetune_mix

            # Few labelled real traces: the mixed recipe (synthetic windows of the starting
            # run's data, its settings where the user set none); recorded in metrics.json.
            with run.timed("finetune_mix"):
                data, config, mixed = finetune_mix(
                    data, config, init_from, seed, explicit_training, _window_reader()
                )
            if mixed is not None:
                run.write_config(config)
        baseline_window = choose_baseline_window(data, config)
        net, training = train_model(
            data, config, run, seed, baseline_window, resume=resume, init_state=init_state
        )
        from seislearn.azimuth.evaluate import check_few_event_stations, training_stations

        # The stations whose sensor frame the model learned: at least min_events distinct
        # training events, or fewer and the average over orientations not significantly
        # better on their own labelled (train and dev) traces, each trace counted once.
        labelled = np.isfinite(data.back_azimuth_deg)
        learned = training_stations(data.metadata, (data.split == "train") & labelled)
        min_events = config.model.own_station_min_events
        checked = check_few_event_stations(
            net, data, np.isin(data.split, ["train", "dev"]) & labelled, learned, min_events
        )
        also_learned = sorted(s for s, c in checked.items() if c["learned"])
        kappa_scale = _dev_kappa_scale(net, data, learned, min_events, also_learned)
    incidence_trained = bool(np.isfinite(data.incidence_deg[data.split == "train"]).any())
    correction = fit_baseline_correction(data, baseline_window)
    extra = {
        "window": config.window.model_dump(mode="json"),
        "p_index": data.p_index,
        "sampling_rate_hz": data.sampling_rate,
        "baseline_window": list(baseline_window),
        "latent_dim": config.model.latent_dim,
        "kappa_scale": kappa_scale,
        "incidence_trained": incidence_trained,
        "station_correction_deg": None if correction is None else [float(c) for c in correction],
        "training_stations": learned,
        "own_station_min_events": min_events,
        "stations_checked": checked,
        "stations_learned_by_check": also_learned,
    }
    net_args = net_arguments(
        config,
        data.windows.shape[-1],
        feature_window(data, config, baseline_window),
        data.sampling_rate,
    )
    if members is not None:
        net_args = {"members": members["members"], "member_args": net_args}
        extra["finetune_members"] = members
    save_model(net, run.model_dir, net_args, extra=extra, name=MODEL_PREFIX)
    test = data.split == "test"
    with run.timed("evaluate"):
        metrics, table, raw = evaluate_arrays(
            data,
            net,
            baseline_window,
            test,
            kappa_scale,
            incidence_trained,
            correction,
            learned,
            min_events,
            also_learned,
        )
    metrics["training"] = training
    metrics["test_time_rotations"]["stations_checked"] = checked
    if data.truth is not None:  # the truth of every split (training included), beside the test's
        metrics.setdefault("truth", {})["back_azimuth_all_splits"] = data.truth.summary()
    metrics["baseline_window_samples"] = list(baseline_window)
    metrics["kappa_scale_from_dev"] = kappa_scale
    if members is not None:
        metrics["finetune_members"] = members
    metrics["skipped"] = data.skipped
    metrics["data_streaming"] = data.streaming
    if init_from is not None:
        metrics["finetune_mix"] = mixed or {"mixed": False}
    run.write_json("metrics.json", metrics)
    run.write_csv("predictions.csv", table)
    figures = write_figures(
        run, raw, data.snr_estimated, f"latent {config.model.latent_dim}, test split"
    )
    section = summary_section("Azimuth: test split", metrics, figures)
    counts = {s: int((data.split == s).sum()) for s in ("train", "dev", "test")}
    section.paragraphs.insert(
        0,
        f"Data: {data_path}, {len(data.windows):,} traces with a P pick; per split (by "
        "event): " + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + ". Scores below "
        "are on the test split; the station correction is fitted on train.",
    )
    if mixed is not None:
        section.paragraphs.insert(
            1,
            f"Fine-tuned from {init_from} with the mixed recipe: the train split holds "
            f"{mixed['synthetic_windows']:,} synthetic windows of {mixed['synthetic_data']} "
            f"and the {mixed['real_train_traces']} real train traces "
            f"{mixed['real_train_copies']} times each; dev and test are real only.",
        )
    if members is not None:
        section.paragraphs.insert(
            1,
            f"An average of {members['members']} fine-tuned nets: the "
            f"{members['out_of_fold_traces']} labelled train and dev traces in "
            f"{members['members']} folds by event, each net trained on the others and "
            "stopped early on its own fold. Their out-of-fold error is "
            f"{members['out_of_fold_mae_deg']:.1f} deg; it decided the station check and "
            "calibrated the uncertainty.",
        )
    write_report(run.path / "report.html", "seislearn azimuth", [section])
    run.write_manifest(
        "azimuth",
        seed=seed,
        data=data_path,
        extra={
            "n_traces": len(data.windows),
            "skipped": len(data.skipped),
            **({} if init_from is None else {"init_from": str(init_from)}),
            **({} if mixed is None else {"finetune_mix": mixed}),
            **({} if members is None else {"finetune_members": members["members"]}),
        },
    )
    return run.path


#: Model settings of prediction only, not of the net's shape: a fine-tuning may change them.
_PREDICTION_MODEL_KEYS = ("test_time_rotations", "own_station_min_events")

#: Window settings that set the shape of the net's input (the rest may change when fine-tuning).
_SHAPE_WINDOW_KEYS = ("before_s", "after_s", "target_rate_hz", "baseline_start_s")


def inherit_settings(config: AzimuthConfig, init_from: str | os.PathLike) -> AzimuthConfig:
    """``config`` with the window and model settings of the run it fine-tunes.

    A run started with ``--init-from RUN`` needs RUN's architecture: every ``window``
    and ``model`` key the user did not set explicitly is taken from RUN's
    ``config.yaml`` (so ``azimuth train --init-from az_run`` works whatever settings
    az_run was trained with). A key set explicitly to another value than RUN's that
    changes the net's shape (any ``model`` key but ``test_time_rotations`` and
    ``own_station_min_events``, the window length or rate) is a
    :class:`~seislearn.errors.ConfigError` naming the keys; the band (``freqmin_hz``,
    ``freqmax_hz``) and polarization window lengths may differ.
    """
    import yaml

    from seislearn.config import parse_config
    from seislearn.errors import ConfigError

    saved_path = RunDir.open(init_from).path / "config.yaml"
    if not saved_path.is_file():
        return config
    saved = yaml.safe_load(saved_path.read_text(encoding="utf-8")) or {}
    merged = config.model_dump(mode="json")
    conflicts = []
    for section in ("window", "model"):
        current = getattr(config, section)
        explicit = current.model_fields_set
        for key, value in (saved.get(section) or {}).items():
            if key not in explicit:
                merged[section][key] = value
            elif merged[section][key] != value and (
                (section == "model" and key not in _PREDICTION_MODEL_KEYS)
                or key in _SHAPE_WINDOW_KEYS
            ):
                conflicts.append(f"{section}.{key}={merged[section][key]!r} (the run: {value!r})")
    if conflicts:
        raise ConfigError(
            f"--init-from {init_from}: this configuration does not match the run's architecture: "
            + "; ".join(conflicts)
            + ". Drop these --set values (they are taken from the run) or retrain the run with them"
        )
    return parse_config(AzimuthConfig, merged, f"--init-from {init_from}")


def fit_baseline_correction(
    data: AzimuthData, baseline_window: tuple[int, int]
) -> np.ndarray | None:
    """The station correction of the polarization baseline, fitted on the train split only.

    See :func:`seislearn.evaluation.polarization.fit_station_correction`; ``None``
    when the train split has too few labelled traces.
    """
    from seislearn.evaluation.polarization import fit_station_correction

    train = (data.split == "train") & np.isfinite(data.back_azimuth_deg)
    if not train.any():
        return None
    start, stop = baseline_window
    estimated = polarization_of(data.windows, train, start, stop).back_azimuth_deg
    return fit_station_correction(estimated, data.back_azimuth_deg[train])


def _load_run(
    model_run: str | os.PathLike, labels: TruthConfig | None = None
) -> tuple[Any, dict, AzimuthConfig]:
    from seislearn.azimuth.ensemble import AzimuthEnsemble
    from seislearn.azimuth.heads import AzimuthNet
    from seislearn.config import parse_config
    from seislearn.models.serialization import load_model

    run = RunDir.open(model_run)
    net, extra = load_model(run.model_dir, (AzimuthNet, AzimuthEnsemble), name=MODEL_PREFIX)
    config = parse_config(AzimuthConfig, {"window": extra["window"]}, str(run.model_dir))
    if labels is not None:
        config = config.model_copy(update={"labels": labels})
    return net, extra, config


def _saved_settings(extra: dict, mask: np.ndarray | None = None) -> tuple:
    """:func:`evaluate_arrays` arguments after ``(data, net)`` from a saved model's extras.

    A run made before the training stations were recorded has none: its own
    ``test_time_rotations`` then applies to every trace, as when it was trained.
    """
    return (
        tuple(extra["baseline_window"]),
        mask,
        extra.get("kappa_scale", 1.0),
        extra.get("incidence_trained", True),
        extra.get("station_correction_deg"),
        extra.get("training_stations"),
        extra.get("own_station_min_events", 100),
        extra.get("stations_learned_by_check", ()),
    )


def evaluate(
    model_run: str | os.PathLike,
    data_path: str | os.PathLike,
    out: str | os.PathLike,
    overwrite: bool = False,
    format: str = "auto",
    on_error: str = "raise",
    split: str = "all",
    picks: str | os.PathLike | None = None,
    inventory: str | os.PathLike | None = None,
    labels: TruthConfig | None = None,
) -> Path:
    """Evaluate a trained run on a labelled dataset; writes metrics, predictions, figures.

    ``picks``, ``inventory``: for MiniSEED/SAC files, see :func:`load_data`.
    ``labels``: the back-azimuth truth policy (default ``auto``, see :mod:`seislearn.data.labels`).
    """
    from seislearn.report.html import write_report

    net, extra, config = _load_run(model_run, labels)
    run = RunDir(out, overwrite=overwrite)
    data = load_data(data_path, config, format, on_error, True, picks, inventory)
    mask = np.ones(len(data.windows), bool) if split == "all" else data.split == split
    metrics, table, raw = evaluate_arrays(data, net, *_saved_settings(extra, mask))
    if extra.get("stations_checked"):  # the training's check decided the rotations here
        metrics["test_time_rotations"]["stations_checked"] = extra["stations_checked"]
    metrics["skipped"] = data.skipped
    metrics["data_streaming"] = data.streaming
    run.write_json("metrics.json", metrics)
    run.write_csv("predictions.csv", table)
    figures = write_figures(run, raw, data.snr_estimated, f"latent {extra.get('latent_dim')}")
    write_report(
        run.path / "report.html",
        "seislearn azimuth evaluate",
        [summary_section(f"Azimuth: {data_path} ({split})", metrics, figures)],
    )
    run.write_manifest("azimuth-evaluate", data=data_path, extra={"model": str(model_run)})
    return run.path


def predict(
    model_run: str | os.PathLike,
    data_path: str | os.PathLike,
    out: str | os.PathLike,
    overwrite: bool = False,
    format: str = "auto",
    on_error: str = "raise",
    picks: str | os.PathLike | None = None,
    inventory: str | os.PathLike | None = None,
    labels: TruthConfig | None = None,
) -> Path:
    """Predict back-azimuth, incidence and uncertainty for every trace with a P pick.

    ``picks``, ``inventory``: for MiniSEED/SAC files, see :func:`load_data`.
    ``labels``: the truth policy of the ``true_back_azimuth_deg`` column (default ``auto``).
    """
    net, extra, config = _load_run(model_run, labels)
    run = RunDir(out, overwrite=overwrite)
    data = load_data(data_path, config, format, on_error, False, picks, inventory)
    _, table, _ = evaluate_arrays(data, net, *_saved_settings(extra))
    run.write_csv("predictions.csv", table)
    run.write_manifest(
        "azimuth-predict", data=data_path, extra={"model": str(model_run), "skipped": data.skipped}
    )
    return run.path / "predictions.csv"
