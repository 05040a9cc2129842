"""Fit one CNN on prepared inputs, save it, and score it on dev and test."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from seislearn.classify.config import ClassifyConfig, resolve_batch_size
from seislearn.classify.data import Prepared
from seislearn.classify.features import InputScaler, SideScaler
from seislearn.data import schema
from seislearn.data.identity import per_trace_table
from seislearn.data.window_store import select_windows
from seislearn.errors import DataError
from seislearn.runs import RunDir

log = logging.getLogger(__name__)

MODEL_DEFAULTS = {
    "spectrogram": {"channels": [16, 32, 64], "kernel_size": 3, "pool_size": 2},
    "waveform": {"channels": [16, 32, 32, 64, 64], "kernel_size": 7, "pool_size": 4},
}


def model_init_args(cfg: ClassifyConfig, prep: Prepared) -> dict[str, Any]:
    """Constructor arguments of the CNN (JSON-friendly, saved beside the weights)."""
    defaults = MODEL_DEFAULTS[prep.kind]
    args = {
        "in_channels": int(prep.inputs.shape[1]),
        "n_outputs": len(prep.class_names) if prep.task == "classification" else 1,
        "dropout": cfg.model.dropout,
    }
    if prep.side is not None and prep.side.shape[1]:
        args["n_side"] = int(prep.side.shape[1])
    for key in ("channels", "kernel_size", "pool_size"):
        value = getattr(cfg.model, key)
        args[key] = defaults[key] if value is None else value
    return args


def undersample(y: np.ndarray, split: np.ndarray, seed: int) -> np.ndarray:
    """Split labels with train undersampled to the rarest class (dropped rows become ``unused``)."""
    split = split.copy()
    train = np.flatnonzero(split == "train")
    counts = np.bincount(y[train])
    n_min = counts[counts > 0].min()
    rng = np.random.default_rng(seed)
    for c in np.flatnonzero(counts > n_min):
        members = train[y[train] == c]
        split[rng.choice(members, size=len(members) - n_min, replace=False)] = "unused"
    return split


def predict_array(
    module: Any, x: np.ndarray, side: np.ndarray | None = None, batch_size: int = 256
) -> np.ndarray:
    """Class probabilities ``(n, K)`` or regression values ``(n,)`` of scaled inputs.

    ``side``: scaled side inputs ``(n, k)`` for a model that takes them. Runs on
    the devices of the trainer options (:mod:`seislearn.training.predict`).
    """
    from seislearn.data.window_store import windows_dataset
    from seislearn.training.predict import predict_dataset

    if len(x) == 0:
        return np.zeros((0,))
    extra = [] if side is None else [np.asarray(side, dtype=np.float32)]
    dataset = windows_dataset(x, *extra)  # stored inputs: read (and scaled) batch by batch
    out = predict_dataset(module, classify_step, dataset, batch_size=batch_size)
    return out["prediction"]


def classify_step(module: Any, batch: tuple) -> dict[str, Any]:
    """One batch through the CNN: softmax probabilities, or the regression value."""
    import torch

    pred = module(batch[0], batch[1] if len(batch) > 1 else None).float()
    if module.task == "classification":
        pred = torch.softmax(pred, dim=-1)
    return {"prediction": pred}


def fit_model(
    prep: Prepared,
    split: np.ndarray,
    cfg: ClassifyConfig,
    run: RunDir,
    resume: bool = False,
    progress: bool = False,
) -> tuple[Any, InputScaler, SideScaler | None]:
    """Train the CNN with early stopping on dev; return the best module and the fitted scalers.

    The input scaler is fitted on the train rows only, in the DataModule's
    ``setup``; the side-input scaler (when the model takes side inputs) on the
    train rows too. A regression head with side inputs starts at the linear fit
    of the train target on them (:func:`start_from_linear_fit`).
    """
    import lightning as L

    from seislearn.classify.model import build_model
    from seislearn.classify.module import ClassifyModule
    from seislearn.evaluation.classification import class_weights
    from seislearn.training.checkpoints import (
        best_checkpoint,
        fit,
        latest_epoch_checkpoint,
        load_checkpoint_weights,
        resume_checkpoint,
    )
    from seislearn.training.early_stopping import EarlyStopping
    from seislearn.training.trainer import build_trainer

    for name in ("train", "dev"):
        if not (split == name).any():
            raise DataError(f"the {name} split is empty; use more data or other split_fractions")
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    y = prep.y
    train = split == "train"
    weights = None
    target_mean, target_std = 0.0, 1.0
    if prep.task == "classification":
        if cfg.balance == "weights":
            weights = class_weights(y[train], len(prep.class_names)).tolist()
    else:
        target_mean, target_std = float(y[train].mean()), float(y[train].std())
    scaler = InputScaler()
    side_scaler, side = None, None
    if prep.side is not None:
        side_scaler = SideScaler().fit(prep.side[train])
        side = side_scaler.transform(prep.side)
    data = _datamodule(
        prep.inputs,
        y,
        split,
        batch_size=resolve_batch_size(cfg.training.batch_size, int(train.sum())),
        fit_scaler=lambda x: scaler.fit(x).transform,
        seed=cfg.seed,
        side=side,
    )
    network = build_model(prep.kind, **model_init_args(cfg, prep))
    if side is not None and prep.task == "regression":
        start_from_linear_fit(network, side[train], (y[train] - target_mean) / target_std)
    module = ClassifyModule(
        network,
        prep.task,
        class_weights=weights,
        target_mean=target_mean,
        target_std=target_std,
        lr=cfg.training.lr,
        weight_decay=cfg.training.weight_decay,
    )
    best = best_checkpoint(run.checkpoints, "best", monitor="val_loss")
    trainer = build_trainer(
        cfg.trainer,
        max_epochs=cfg.training.epochs,
        enable_checkpointing=True,
        enable_progress_bar=progress,
        stage="classify training",
        callbacks=[
            EarlyStopping(monitor="val_loss", patience=cfg.training.patience),
            best,
            latest_epoch_checkpoint(run.checkpoints),
        ],
        num_sanity_val_steps=0,
    )
    ckpt = resume_checkpoint(run.checkpoints, module) if resume else None
    fit(trainer, module, datamodule=data, ckpt_path=ckpt)
    history = list(module.history)
    if best.best_model_path:
        load_checkpoint_weights(best.best_model_path, module)
    module.history = history
    if scaler.mean_ is None:  # resumed after training had finished: setup fitted nothing new
        scaler.fit(select_windows(prep.inputs, train))
    return module, scaler, side_scaler


def start_from_linear_fit(network: Any, side: np.ndarray, target: np.ndarray) -> None:
    """Initialize the head of a regression CNN at the least-squares fit on its side inputs.

    The weights of the side inputs and the bias become the linear fit of the
    (standardized) train target on the (scaled) train side inputs, a classic
    amplitude-distance formula with learned constants; the weights of the CNN
    features start at zero. Training then starts from the classic estimate and
    lets the CNN learn what the spectrogram adds (e.g. the corner frequency).

    Parameters
    ----------
    network : SpectrogramCNN or WaveformCNN1D with ``n_side`` side inputs and one output
    side : ndarray, (n_train, n_side), scaled side inputs of the train rows
    target : ndarray, (n_train,), standardized train targets
    """
    import torch

    layer = network.side_linear
    design = np.column_stack([side, np.ones(len(side))]).astype(np.float64)
    # A tiny ridge keeps the solve stable when components are collinear (e.g. Z, N, E peaks).
    gram = design.T @ design + 1e-3 * len(side) * np.diag([1.0] * side.shape[1] + [0.0])
    coef = np.linalg.solve(gram, design.T @ np.asarray(target, dtype=np.float64))
    n_features = layer.in_features - side.shape[1]
    with torch.no_grad():
        layer.weight.zero_()
        layer.weight[0, n_features:] = torch.as_tensor(coef[:-1], dtype=layer.weight.dtype)
        layer.bias.fill_(float(coef[-1]))


def _datamodule(
    inputs: np.ndarray,
    targets: np.ndarray,
    split: np.ndarray,
    batch_size: int,
    fit_scaler: Any,
    seed: int,
    side: np.ndarray | None,
) -> Any:
    """An ``ArrayDataModule`` whose batches are ``(x, side, y)`` when there are side inputs.

    ``side`` is already scaled (with statistics of the train rows only).
    """
    from seislearn.training.datamodule import ArrayDataModule

    return ArrayDataModule(
        inputs, targets, split, batch_size=batch_size, fit_scaler=fit_scaler, seed=seed, side=side
    )


def score(
    module: Any,
    prep: Prepared,
    x_scaled: np.ndarray,
    rows: np.ndarray,
    side_scaled: np.ndarray | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Metrics and a predictions table for the rows ``rows`` (boolean mask)."""
    from seislearn.evaluation.classification import classification_metrics, regression_metrics

    pred = predict_array(
        module,
        select_windows(x_scaled, rows),
        None if side_scaled is None else side_scaled[rows],
    )
    meta = prep.metadata.loc[rows].reset_index(drop=True)
    table = per_trace_table(meta, keep=(schema.SOURCE_ID, schema.SPLIT))
    if prep.task == "classification":
        names = np.asarray(prep.class_names)
        table["true"] = names[prep.y[rows]]
        table["predicted"] = names[pred.argmax(axis=1)] if len(pred) else []
        for k, name in enumerate(prep.class_names):
            table[f"probability_{name}"] = pred[:, k] if len(pred) else []
        metrics = classification_metrics(prep.y[rows], pred, prep.class_names)
    else:
        table["true"] = prep.y[rows]
        table["predicted"] = pred
        table["residual"] = pred - prep.y[rows]
        metrics = regression_metrics(prep.y[rows], pred)
    return metrics, table
