"""Fit one CNN on prepared inputs, save it, and score it on dev and test."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from seislearn.data import schema
from seislearn.errors import DataError
from seislearn.runs import RunDir
from seislearn.workflows.classify_config import ClassifyConfig
from seislearn.workflows.classify_data import Prepared
from seislearn.workflows.classify_features import InputScaler

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


def predict_array(module: Any, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities ``(n, K)`` or regression values ``(n,)`` of scaled inputs."""
    import torch

    module.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            batch = torch.as_tensor(x[start : start + batch_size])
            pred = module(batch)
            if module.task == "classification":
                pred = torch.softmax(pred, dim=-1)
            out.append(pred.cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0,))


def fit_model(
    prep: Prepared,
    split: np.ndarray,
    cfg: ClassifyConfig,
    run: RunDir,
    resume: bool = False,
    progress: bool = False,
) -> tuple[Any, InputScaler]:
    """Train the CNN with early stopping on dev; return the best module and the fitted scaler.

    The scaler is fitted on the train rows only, in the DataModule's ``setup``.
    """
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

    from seislearn.evaluation.classification import class_weights
    from seislearn.models.cnn import build_model
    from seislearn.training.checkpoints import latest_epoch_checkpoint
    from seislearn.training.classify_module import ClassifyModule
    from seislearn.training.datamodule import ArrayDataModule

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
    data = ArrayDataModule(
        prep.inputs,
        y,
        split,
        batch_size=cfg.training.batch_size,
        fit_scaler=lambda x: scaler.fit(x).transform,
        seed=cfg.seed,
    )
    network = build_model(prep.kind, **model_init_args(cfg, prep))
    module = ClassifyModule(
        network,
        prep.task,
        class_weights=weights,
        target_mean=target_mean,
        target_std=target_std,
        lr=cfg.training.lr,
        weight_decay=cfg.training.weight_decay,
    )
    best = ModelCheckpoint(dirpath=run.checkpoints, filename="best", monitor="val_loss")
    trainer = L.Trainer(
        max_epochs=cfg.training.epochs,
        accelerator="auto",
        devices=1,
        logger=False,
        enable_checkpointing=True,
        enable_progress_bar=progress,
        enable_model_summary=False,
        callbacks=[
            EarlyStopping(monitor="val_loss", patience=cfg.training.patience),
            best,
            latest_epoch_checkpoint(run.checkpoints),
        ],
        num_sanity_val_steps=0,
    )
    ckpt = run.last_checkpoint() if resume else None
    trainer.fit(module, datamodule=data, ckpt_path=str(ckpt) if ckpt else None)
    history = list(module.history)
    if best.best_model_path:
        state = torch.load(best.best_model_path, map_location="cpu", weights_only=True)
        module.load_state_dict(state["state_dict"])
    module.history = history
    if scaler.mean_ is None:  # resumed after training had finished: setup fitted nothing new
        scaler.fit(prep.inputs[train])
    return module, scaler


def score(
    module: Any, prep: Prepared, x_scaled: np.ndarray, rows: np.ndarray
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Metrics and a predictions table for the rows ``rows`` (boolean mask)."""
    from seislearn.evaluation.classification import classification_metrics, regression_metrics

    pred = predict_array(module, x_scaled[rows])
    meta = prep.metadata.loc[rows].reset_index(drop=True)
    keep = [c for c in (schema.TRACE_NAME, schema.SOURCE_ID, schema.SPLIT) if c in meta.columns]
    table = meta[keep].copy()
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
