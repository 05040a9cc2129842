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
import pandas as pd

from seislearn.data import schema
from seislearn.evaluation.circular import (
    angle_error_deg,
    angle_metrics,
    error_summary,
    interval_coverage,
    von_mises_circular_std_deg,
)
from seislearn.runs import RunDir
from seislearn.workflows.azimuth_config import AzimuthConfig
from seislearn.workflows.azimuth_data import AzimuthData, prepare

log = logging.getLogger(__name__)
MODEL_PREFIX = "azimuth_"


# -- baseline ---------------------------------------------------------------------
def choose_baseline_window(data: AzimuthData, config: AzimuthConfig) -> tuple[int, int]:
    """Polarization window (start, stop samples) with the smallest train-split MAE."""
    from seislearn.evaluation.polarization import polarization_analysis

    start = max(0, data.p_index + round(config.window.baseline_start_s * data.sampling_rate))
    train = (data.split == "train") & np.isfinite(data.back_azimuth_deg)
    best: tuple[float, tuple[int, int]] | None = None
    for length_s in config.window.baseline_lengths_s:
        stop = min(data.windows.shape[-1], data.p_index + round(length_s * data.sampling_rate))
        if stop - start < 3:
            continue
        if not train.any():
            return start, stop
        result = polarization_analysis(data.windows[train, :, start:stop])
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
    """Constructor arguments of :class:`seislearn.models.heads.AzimuthNet`."""
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
    }


def _fit_stage(
    module: Any,
    datamodule: Any,
    run: RunDir,
    stage: str,
    epochs: int,
    patience: int,
    resume: bool,
) -> dict[str, float]:
    """Fit one stage with early stopping on dev; return timing figures; load the best weights."""
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

    folder = run.checkpoints / stage
    checkpoint = ModelCheckpoint(
        dirpath=folder, filename="best", monitor="val_loss", save_top_k=1, save_last=True
    )
    timer = _EpochTimer()
    trainer = L.Trainer(
        accelerator="auto",
        devices=1,
        max_epochs=epochs,
        logger=False,
        enable_checkpointing=True,
        callbacks=[EarlyStopping("val_loss", patience=patience), checkpoint, timer],
        enable_progress_bar=False,
        enable_model_summary=False,
        deterministic=False,
    )
    last = folder / "last.ckpt"
    trainer.fit(
        module, datamodule=datamodule, ckpt_path=str(last) if resume and last.is_file() else None
    )
    if checkpoint.best_model_path:
        state = torch.load(checkpoint.best_model_path, map_location="cpu", weights_only=True)
        module.load_state_dict(state["state_dict"])
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
) -> tuple[Any, dict[str, Any]]:
    """Train the net on ``data`` (its split column) and return ``(net, training figures)``.

    ``init_state`` (a state dict of the same architecture) starts from a trained
    model, e.g. one trained on synthetic events, to fine-tune it on real data.
    """
    import lightning as L
    import torch

    from seislearn.training.azimuth_module import AzimuthModule
    from seislearn.training.datamodule import ArrayDataModule

    torch.set_num_threads(config.training.threads)
    L.seed_everything(seed, workers=True, verbose=False)
    t, lo = config.training, config.loss
    targets = np.column_stack([data.back_azimuth_deg, data.incidence_deg]).astype(np.float32)
    labelled = np.isfinite(data.back_azimuth_deg)
    split = np.where(labelled, data.split, "unlabelled")
    datamodule = ArrayDataModule(data.windows, targets, split, t.batch_size, seed=seed)
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
    }
    if t.mode == "end_to_end":
        module = AzimuthModule(stage="end_to_end", **common)
        _load_initial(module, init_state)
        with run.timed("train_end_to_end"):
            figures["end_to_end"] = _fit_stage(
                module, datamodule, run, "end_to_end", t.head_epochs, t.patience, resume
            )
        return module.net, figures
    vae_module = AzimuthModule(stage="vae", **common)
    _load_initial(vae_module, init_state)
    with run.timed("train_vae"):
        figures["vae"] = _fit_stage(
            vae_module, datamodule, run, "vae", t.vae_epochs, t.patience, resume
        )
    head_module = AzimuthModule(stage="head", **common)
    head_module.net.load_state_dict(vae_module.net.state_dict())
    head_patience = 2 if config.preset == "original" else t.patience
    with run.timed("train_head"):
        figures["head"] = _fit_stage(
            head_module, datamodule, run, "head", t.head_epochs, head_patience, resume
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


def calibrate_kappa(error_deg: np.ndarray, kappa: np.ndarray) -> float:
    """Scale of the predicted concentrations that maximizes the von Mises likelihood of dev errors.

    One factor for all predictions (like temperature scaling), fitted on the dev
    split only, so the stated intervals on test are neither too wide nor too narrow.
    """
    from scipy.special import i0e

    if len(error_deg) < 5:
        return 1.0
    cos_error = np.cos(np.radians(error_deg))
    scales = np.exp(np.linspace(np.log(0.05), np.log(20.0), 121))
    loglik = [np.sum(s * kappa * cos_error - (np.log(i0e(s * kappa)) + s * kappa)) for s in scales]
    return float(scales[int(np.argmax(loglik))])


def predict_arrays(
    net: Any, windows: np.ndarray, batch_size: int = 512, kappa_scale: float = 1.0
) -> dict[str, np.ndarray]:
    """Run the net: back-azimuth, kappa, incidence (degrees) and embeddings, as arrays.

    ``kappa_scale`` multiplies the concentrations (the dev-split calibration).
    """
    import torch

    from seislearn.losses import unit_to_angle_deg

    net.eval()
    parts: dict[str, list[np.ndarray]] = {
        "back_azimuth_deg": [],
        "kappa": [],
        "incidence_deg": [],
        "embedding": [],
    }
    with torch.no_grad():
        for start in range(0, len(windows), batch_size):
            x = torch.as_tensor(windows[start : start + batch_size], dtype=torch.float32)
            out = net(x)
            parts["back_azimuth_deg"].append(unit_to_angle_deg(out["back_azimuth"]).numpy())
            parts["kappa"].append(out["kappa"].numpy())
            inc = (
                (unit_to_angle_deg(out["incidence"]).numpy() + 180.0) % 360.0 - 180.0
                if "incidence" in out
                else np.full(len(x), np.nan)
            )
            parts["incidence_deg"].append(inc)
            parts["embedding"].append(out["embedding"].numpy())
    result = {k: np.concatenate(v) for k, v in parts.items()}
    result["kappa"] = result["kappa"] * kappa_scale
    return result


# -- evaluation -------------------------------------------------------------------
def evaluate_arrays(
    data: AzimuthData,
    net: Any,
    baseline_window: tuple[int, int],
    mask: np.ndarray | None = None,
    kappa_scale: float = 1.0,
) -> tuple[dict[str, Any], pd.DataFrame, dict[str, np.ndarray]]:
    """Metrics (model and baseline), the predictions table, and raw outputs on ``mask``."""
    from seislearn.evaluation.polarization import polarization_analysis

    mask = np.ones(len(data.windows), bool) if mask is None else mask
    windows = data.windows[mask]
    t0 = time.perf_counter()
    out = predict_arrays(net, windows, kappa_scale=kappa_scale)
    model_seconds = time.perf_counter() - t0
    start, stop = baseline_window
    t0 = time.perf_counter()
    base = polarization_analysis(windows[:, :, start:stop])
    baseline_seconds = time.perf_counter() - t0
    table = predictions_table(data.metadata[mask], out, base)
    baz, inc, snr = data.back_azimuth_deg[mask], data.incidence_deg[mask], data.snr_db[mask]
    labelled = np.isfinite(baz)
    metrics: dict[str, Any] = {"n_traces": int(mask.sum()), "snr_estimated": data.snr_estimated}
    if labelled.any():
        model_err = angle_error_deg(out["back_azimuth_deg"][labelled], baz[labelled])
        metrics["model"] = angle_metrics(
            out["back_azimuth_deg"][labelled], baz[labelled], snr[labelled]
        )
        metrics["baseline"] = angle_metrics(
            base.back_azimuth_deg[labelled], baz[labelled], snr[labelled]
        )
        metrics["model"]["interval_coverage"] = interval_coverage(model_err, out["kappa"][labelled])
        has_inc = labelled & np.isfinite(inc)
        if has_inc.any():
            metrics["model"]["incidence"] = error_summary(
                out["incidence_deg"][has_inc] - inc[has_inc]
            )
            metrics["baseline"]["incidence"] = error_summary(
                base.incidence_deg[has_inc] - inc[has_inc]
            )
    metrics["inference"] = {
        "model_traces_per_s": float(len(windows) / max(model_seconds, 1e-9)),
        "baseline_traces_per_s": float(len(windows) / max(baseline_seconds, 1e-9)),
    }
    raw = {
        **out,
        "baseline_back_azimuth_deg": base.back_azimuth_deg,
        "true_back_azimuth_deg": baz,
        "snr_db": snr,
    }
    return metrics, table, raw


def predictions_table(
    metadata: pd.DataFrame, out: dict[str, np.ndarray], base: Any
) -> pd.DataFrame:
    """The ``predictions.csv`` table; ``uncertainty`` is the circular standard deviation, degrees."""
    table = pd.DataFrame(
        {
            "trace_name": metadata[schema.TRACE_NAME].astype(str).to_numpy(),
            "back_azimuth_deg": out["back_azimuth_deg"],
            "incidence_deg": out["incidence_deg"],
            "uncertainty": von_mises_circular_std_deg(out["kappa"]),
            "kappa": out["kappa"],
            "baseline_back_azimuth_deg": base.back_azimuth_deg,
            "baseline_incidence_deg": base.incidence_deg,
            "rectilinearity": base.rectilinearity,
        }
    )
    for column in (schema.BACK_AZIMUTH, schema.SPLIT):
        if column in metadata.columns:
            table[column] = metadata[column].to_numpy()
    return table


def write_figures(
    run: RunDir, raw: dict[str, np.ndarray], snr_estimated: bool, title: str
) -> list[Path]:
    """Latent space, predicted vs true, error vs SNR; returns the PNG paths."""
    from seislearn.workflows.azimuth_figures import (
        plot_error_vs_snr,
        plot_latent_space,
        plot_predicted_vs_true,
    )

    labelled = np.isfinite(raw["true_back_azimuth_deg"])
    if not labelled.any():
        return []
    true = raw["true_back_azimuth_deg"][labelled]
    model, base = raw["back_azimuth_deg"][labelled], raw["baseline_back_azimuth_deg"][labelled]
    return [
        run.save_figure(plot_latent_space(raw["embedding"][labelled], true, title), "latent_space"),
        run.save_figure(plot_predicted_vs_true(true, model, base), "predicted_vs_true"),
        run.save_figure(
            plot_error_vs_snr(
                raw["snr_db"][labelled],
                angle_error_deg(model, true),
                angle_error_deg(base, true),
                snr_estimated,
            ),
            "error_vs_snr",
        ),
    ]


# -- entry points -----------------------------------------------------------------
def load_data(
    path: str | os.PathLike,
    config: AzimuthConfig,
    format: str = "auto",
    on_error: str = "raise",
    require_labels: bool = True,
) -> AzimuthData:
    """Read a dataset and prepare its P windows with the config's window settings."""
    from seislearn.io import read_dataset

    w = config.window
    dataset = read_dataset(path, format=format)
    return prepare(
        dataset,
        w.before_s,
        w.after_s,
        w.target_rate_hz,
        w.freqmin_hz,
        w.freqmax_hz,
        on_error=on_error,
        split_seed=config.split_seed,
        require_labels=require_labels,
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
) -> Path:
    """Train, evaluate on the test split, and write the run; returns the run path.

    ``init_from``: a previous azimuth run whose weights start the training (fine-tuning).
    """
    from seislearn.models.serialization import save_model
    from seislearn.report.html import write_report

    run = RunDir(out, overwrite=overwrite, resume=resume)
    run.write_config(config)
    with run.timed("prepare"):
        data = data if data is not None else load_data(data_path, config, format, on_error)
    baseline_window = choose_baseline_window(data, config)
    init_state = None
    if init_from is not None:
        init_state = _load_run(init_from)[0].state_dict()
    net, training = train_model(
        data, config, run, seed, baseline_window, resume=resume, init_state=init_state
    )
    dev = (data.split == "dev") & np.isfinite(data.back_azimuth_deg)
    dev_out = predict_arrays(net, data.windows[dev])
    kappa_scale = calibrate_kappa(
        angle_error_deg(dev_out["back_azimuth_deg"], data.back_azimuth_deg[dev]), dev_out["kappa"]
    )
    extra = {
        "window": config.window.model_dump(mode="json"),
        "p_index": data.p_index,
        "sampling_rate_hz": data.sampling_rate,
        "baseline_window": list(baseline_window),
        "latent_dim": config.model.latent_dim,
        "kappa_scale": kappa_scale,
    }
    save_model(
        net,
        run.model_dir,
        net_arguments(
            config,
            data.windows.shape[-1],
            feature_window(data, config, baseline_window),
            data.sampling_rate,
        ),
        extra=extra,
        name=MODEL_PREFIX,
    )
    test = data.split == "test"
    with run.timed("evaluate"):
        metrics, table, raw = evaluate_arrays(data, net, baseline_window, test, kappa_scale)
    metrics["training"] = training
    metrics["baseline_window_samples"] = list(baseline_window)
    metrics["kappa_scale_from_dev"] = kappa_scale
    metrics["skipped"] = data.skipped
    run.write_json("metrics.json", metrics)
    run.write_csv("predictions.csv", table)
    figures = write_figures(
        run, raw, data.snr_estimated, f"latent {config.model.latent_dim}, test split"
    )
    section = summary_section("Azimuth: test split", metrics, figures)
    write_report(run.path / "report.html", "seislearn azimuth", [section])
    run.write_manifest(
        "azimuth",
        seed=seed,
        data=data_path,
        extra={"n_traces": len(data.windows), "skipped": len(data.skipped)},
    )
    return run.path


def _load_run(model_run: str | os.PathLike) -> tuple[Any, dict, AzimuthConfig]:
    from seislearn.config import parse_config
    from seislearn.models.serialization import load_model

    run = RunDir.open(model_run)
    net, extra = load_model(run.model_dir, name=MODEL_PREFIX)
    config = parse_config(AzimuthConfig, {"window": extra["window"]}, str(run.model_dir))
    return net, extra, config


def evaluate(
    model_run: str | os.PathLike,
    data_path: str | os.PathLike,
    out: str | os.PathLike,
    overwrite: bool = False,
    format: str = "auto",
    on_error: str = "raise",
    split: str = "all",
) -> Path:
    """Evaluate a trained run on a labelled dataset; writes metrics, predictions, figures."""
    from seislearn.report.html import write_report

    net, extra, config = _load_run(model_run)
    run = RunDir(out, overwrite=overwrite)
    data = load_data(data_path, config, format, on_error)
    mask = np.ones(len(data.windows), bool) if split == "all" else data.split == split
    metrics, table, raw = evaluate_arrays(
        data, net, tuple(extra["baseline_window"]), mask, extra.get("kappa_scale", 1.0)
    )
    metrics["skipped"] = data.skipped
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
) -> Path:
    """Predict back-azimuth, incidence and uncertainty for every trace with a P pick."""
    from seislearn.evaluation.polarization import polarization_analysis

    net, extra, config = _load_run(model_run)
    run = RunDir(out, overwrite=overwrite)
    data = load_data(data_path, config, format, on_error, require_labels=False)
    start, stop = extra["baseline_window"]
    table = predictions_table(
        data.metadata,
        predict_arrays(net, data.windows, kappa_scale=extra.get("kappa_scale", 1.0)),
        polarization_analysis(data.windows[:, :, start:stop]),
    )
    run.write_csv("predictions.csv", table)
    run.write_manifest(
        "azimuth-predict", data=data_path, extra={"model": str(model_run), "skipped": data.skipped}
    )
    return run.path / "predictions.csv"


def summary_section(title: str, metrics: dict[str, Any], figures: list[Path]) -> Any:
    """A report section: model and baseline side by side, then the figures."""
    from seislearn.report.html import Section

    section = Section(title)
    rows = comparison_rows(metrics)
    if rows:
        section.add_table(
            "back-azimuth error (degrees; circular), model vs polarization baseline",
            ["subset", "metric", "model", "baseline"],
            rows,
        )
    coverage = metrics.get("model", {}).get("interval_coverage")
    if coverage:
        section.add_table(
            "calibration: fraction of traces inside the stated von Mises interval",
            ["nominal", "observed"],
            [[k, v] for k, v in coverage.items()],
        )
    for path, caption in zip(
        figures,
        (
            "Latent means coloured by back-azimuth (twilight map)",
            "Predicted vs true back-azimuth",
            "Error vs SNR, model and baseline",
        ),
        strict=False,
    ):
        section.add_figure(path, caption)
    return section


def comparison_rows(metrics: dict[str, Any]) -> list[list[Any]]:
    """Rows (subset, metric, model, baseline) for the overall, SNR >= 10 dB and incidence errors."""
    if "model" not in metrics:
        return []
    rows = []
    model, base = metrics["model"], metrics["baseline"]
    for subset in ("overall", "snr_at_least_10_db", "incidence"):
        if subset not in model:
            continue
        for key in ("n", "mae_deg", "median_abs_error_deg", "rmse_deg", "within_10_deg"):
            if key in model[subset]:
                rows.append([subset, key, model[subset][key], base[subset].get(key)])
    return rows
