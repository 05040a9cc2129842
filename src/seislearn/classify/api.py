"""The classify workflow: spectrogram (or waveform) CNNs for event classes and magnitudes.

``train`` reads a dataset, cuts P- or S-fixed windows, computes log10
spectrograms, splits by event (or time), fits the input scaler on train only,
trains a CNN with early stopping on dev, and writes a run directory with the
model, metrics on dev and test, predictions, figures and ``report.html``.
``train_variants`` does this for several variants (P64, P32, S64, S32) on one
split and compares them. Evaluation and prediction with a saved run live in
:mod:`seislearn.classify.apply`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from seislearn.classify import figures as figs
from seislearn.classify.config import ClassifyConfig, resolve_batch_size
from seislearn.classify.data import Prepared, describe, load_inputs
from seislearn.classify.fit import fit_model, model_init_args, score, undersample
from seislearn.data import schema
from seislearn.data.identity import per_trace_table
from seislearn.data.window_store import select_windows
from seislearn.report.html import Section, write_report
from seislearn.runs import RunDir

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """Where a run was written and its test metrics."""

    path: Path
    metrics: dict[str, Any]
    skipped: list[str] = field(default_factory=list)


def assign_split(prep: Prepared, cfg: ClassifyConfig) -> np.ndarray:
    """The split of every prepared row: the dataset's own, by event, or by time."""
    from seislearn.data.splits import assign_splits, check_no_event_leak
    from seislearn.errors import DataError

    meta = prep.metadata
    if cfg.split == "existing" or (schema.SOURCE_ID not in meta.columns and cfg.split == "event"):
        if schema.SPLIT not in meta.columns or not meta[schema.SPLIT].isin(schema.SPLITS).all():
            if cfg.split == "existing":
                raise DataError("split=existing but the data has no complete train/dev/test column")
            # Image folders without split folders: no event information exists.
            log.warning("no source_id: splitting by file (random), which may overstate accuracy")
            return assign_splits(meta, "random", cfg.split_fractions, cfg.seed).to_numpy()
        if schema.SOURCE_ID in meta.columns:
            check_no_event_leak(meta)
        return meta[schema.SPLIT].astype(str).to_numpy()
    return assign_splits(meta, cfg.split, cfg.split_fractions, cfg.seed).to_numpy()


def fit_and_score(
    prep: Prepared,
    split: np.ndarray,
    cfg: ClassifyConfig,
    run: RunDir,
    resume: bool = False,
    progress: bool = False,
) -> dict[str, Any]:
    """Train on one split, save the model, write metrics, predictions and figures."""
    from seislearn.classify.baselines import (
        classification_baselines,
        epicentral_distance_km,
        regression_baselines,
    )
    from seislearn.models.serialization import save_model

    # The split used is the one recorded with the predictions (not the dataset's own column).
    prep = replace(prep, metadata=prep.metadata.assign(**{schema.SPLIT: split}))
    if prep.task == "classification" and cfg.balance == "undersample":
        split = undersample(prep.y, split, cfg.seed)
    with run.timed("train"):
        module, scaler, side_scaler = fit_model(
            prep, split, cfg, run, resume=resume, progress=progress
        )
    save_model(
        module.model,
        run.model_dir,
        model_init_args(cfg, prep),
        extra={
            "config": cfg.model_dump(mode="json"),
            "task": prep.task,
            "kind": prep.kind,
            "class_names": prep.class_names,
            "scaler": scaler.to_dict(),
            "target_mean": module.target_mean,
            "target_std": module.target_std,
            "input_shape": list(prep.inputs.shape[1:]),
            "sampling_rate_hz": prep.sampling_rate,
            "axes": prep.axes,
            "side_inputs": prep.side_inputs,
            "side_columns": prep.side_columns,
            "side_scaler": side_scaler.to_dict() if side_scaler is not None else None,
        },
    )
    x = scaler.transform(prep.inputs)
    side = side_scaler.transform(prep.side) if side_scaler is not None else None
    metrics: dict[str, Any] = {"task": prep.task, "target": cfg.target, "variant": cfg.variant}
    metrics["side_inputs"] = prep.side_columns
    if prep.truth:
        metrics["truth"] = prep.truth
    if prep.streaming:
        metrics["data_streaming"] = prep.streaming
    tables = []
    with run.timed("evaluate"):
        for name in ("dev", "test"):
            rows = split == name
            if rows.any():
                metrics[name], table = score(module, prep, x, rows, side)
                tables.append(table)
    metrics["n_train"] = int((split == "train").sum())
    metrics["batch_size"] = resolve_batch_size(cfg.training.batch_size, metrics["n_train"])
    if prep.task == "regression":
        distance = epicentral_distance_km(prep.metadata)
        metrics["baselines"] = regression_baselines(prep.y, prep.peak_amplitude, distance, split)
    else:
        metrics["baselines"] = classification_baselines(x, prep.y, split, seed=cfg.seed)
    metrics["split_counts"] = {s: int((split == s).sum()) for s in ("train", "dev", "test")}
    predictions = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    run.write_csv("predictions.csv", predictions)
    run.write_csv("splits.csv", per_trace_table(prep.metadata, keep=(schema.SPLIT,)))
    run.write_csv("history.csv", pd.DataFrame(module.history))
    run.write_json("metrics.json", metrics)
    _figures(run, prep, module, x, side, split, metrics, cfg)
    return metrics


def _figures(
    run: RunDir,
    prep: Prepared,
    module: Any,
    x: np.ndarray,
    side: np.ndarray | None,
    split: np.ndarray,
    metrics: dict[str, Any],
    cfg: ClassifyConfig,
) -> None:
    from seislearn.classify.baselines import epicentral_distance_km
    from seislearn.classify.fit import predict_array
    from seislearn.data.identity import display_names
    from seislearn.report.interactive import save_interactive

    run.save_figure(figs.training_curves(module.history, cfg.variant), "training_curves")
    test = split == "test"
    if not test.any():
        return
    pred = predict_array(module, select_windows(x, test), None if side is None else side[test])
    if prep.task == "classification":
        cm = metrics["test"]["confusion_matrix"]
        run.save_figure(figs.confusion_matrix(cm, prep.class_names, "test"), "confusion_matrix")
        run.save_figure(figs.roc_curves(prep.y[test], pred, prep.class_names), "roc")
    else:
        distance = epicentral_distance_km(prep.metadata)[test]
        run.save_figure(figs.residuals(prep.y[test], pred, distance, cfg.target), "residuals")
        y_test, values = np.asarray(prep.y[test], float), np.asarray(pred, float).ravel()
        png = run.save_figure(
            figs.predicted_vs_true(y_test, values, cfg.target), "predicted_vs_true"
        )
        names = display_names(prep.metadata[test])
        save_interactive(png, figs.predicted_vs_true_interactive(y_test, values, cfg.target, names))


_BASELINE_NAMES = {
    "majority_class": "majority class (baseline)",
    "spectrum_logistic": "logistic regression on the mean spectrum (baseline)",
    "train_mean": "train mean (baseline)",
    "amplitude_distance_fit": "linear fit on log amplitude and log distance (baseline)",
}

_FIGURE_CAPTIONS = {
    "training_curves": "Loss per epoch on train and dev: a dev loss still falling at the end "
    "means more epochs would help; dev rising while train falls means overfitting.",
    "confusion_matrix": "Confusion matrix on the test split: rows are the true classes, the "
    "diagonal the correct predictions.",
    "roc": "ROC curves on the test split, one per class: the closer to the top-left corner, "
    "the better the scores rank that class.",
    "predicted_vs_true": "Predicted against true values on the test split (hover names the "
    "trace): points on the line are right; a slope below it means the range is compressed.",
    "residuals": "Residuals (predicted minus true) on the test split against the target and "
    "the distance: a trend means the model compresses the range or misses a distance term.",
}


def report_section(run: RunDir, metrics: dict[str, Any], title: str) -> Section:
    """Report section of one trained run: metrics, per-class table, figures."""
    from seislearn.report.html import Headline
    from seislearn.report.labels import Percent, metric_label

    section = Section(title)
    test = metrics.get("test", {})
    counts = metrics.get("split_counts")
    if counts:
        section.add_text(
            "Traces per split (by event): "
            + ", ".join(f"{k} {v:,}" for k, v in counts.items())
            + "; every number below is on the test split, baselines fitted on train only."
        )
    baselines = metrics.get("baselines", {})
    if metrics["task"] == "classification":
        rows = [
            [
                "CNN",
                Percent(test["accuracy"]),
                Percent(test["balanced_accuracy"]),
                test.get("roc_auc", ""),
            ]
        ]
        for name, b in baselines.items():
            rows.append(
                [
                    _BASELINE_NAMES.get(name, metric_label(name)),
                    Percent(b["accuracy"]),
                    Percent(b["balanced_accuracy"]),
                    "",
                ]
            )
        section.add_table(
            f"test split ({test.get('n', 0):,} traces): CNN and baselines",
            ["model", "accuracy", "balanced accuracy", "ROC-AUC"],
            rows,
        )
        best = max(baselines.items(), key=lambda kv: kv[1]["balanced_accuracy"], default=None)
        if best is not None:
            section.add_headline(
                Headline(
                    "classify",
                    f"balanced accuracy, {metrics['target']}, test",
                    f"CNN {metrics.get('variant', '')}".strip(),
                    test["balanced_accuracy"],
                    _BASELINE_NAMES.get(best[0], best[0]),
                    best[1]["balanced_accuracy"],
                    higher_is_better=True,
                    percent=True,
                )
            )
        section.add_table(
            "per class (test)",
            ["class", "precision", "recall", "F1", "support"],
            figs.metrics_rows(test),
        )
    else:
        rows = [["CNN", test.get("mae"), test.get("rmse"), test.get("r2")]]
        for name, b in baselines.items():
            rows.append([_BASELINE_NAMES.get(name, name), b["mae"], b["rmse"], b["r2"]])
        section.add_table(
            f"test split ({test.get('n', 0):,} traces): CNN and baselines",
            ["model", "mean abs. error", "RMS error", "R²"],
            rows,
        )
        fit = baselines.get("amplitude_distance_fit")
        if fit is not None and test.get("mae") is not None:
            section.add_headline(
                Headline(
                    "classify",
                    f"mean abs. error, {metrics['target']}, test",
                    f"CNN {metrics.get('variant', '')}".strip(),
                    test["mae"],
                    _BASELINE_NAMES["amplitude_distance_fit"],
                    fit["mae"],
                    higher_is_better=False,
                )
            )
    for truth in metrics.get("truth", {}).values():
        section.add_text(
            ("WARNING: " if truth.get("labels_disagreeing_used") else "") + truth["note"]
        )
    if metrics.get("side_inputs"):
        section.add_text(
            "Side inputs concatenated to the pooled CNN features (scaled with train statistics): "
            + ", ".join(metrics["side_inputs"])
        )
    for name in ("training_curves", "confusion_matrix", "roc", "predicted_vs_true", "residuals"):
        path = run.figures / f"{name}.png"
        if path.is_file():
            section.add_figure(path, _FIGURE_CAPTIONS[name])
    return section


def cross_validate(
    prep: Prepared, cfg: ClassifyConfig, run: RunDir, progress: bool = False
) -> dict[str, Any]:
    """k-fold cross-validation by event: each fold's events are the test set once."""
    from seislearn.data.splits import assign_splits, kfold_by_event

    folds = []
    for k, (train_idx, _test_idx) in enumerate(kfold_by_event(prep.metadata, cfg.folds, cfg.seed)):
        split = np.full(len(prep.y), "test", dtype=object)
        inner = prep.metadata.iloc[train_idx]
        # Dev events come out of the training events, so the test fold stays unseen.
        split[train_idx] = assign_splits(inner, "event", (0.85, 0.15, 0.0), cfg.seed + k).to_numpy()
        fold_run = RunDir(run.path / f"fold_{k}", overwrite=True)
        folds.append(fit_and_score(prep, split.astype(str), cfg, fold_run, progress=progress))
    key = "balanced_accuracy" if prep.task == "classification" else "mae"
    values = np.array([f["test"][key] for f in folds], dtype=float)
    summary = {"folds": cfg.folds, "metric": key, "per_fold": values.tolist()}
    summary.update({"mean": float(values.mean()), "std": float(values.std(ddof=1))})
    run.write_json("cv_metrics.json", summary)
    return summary


def train(
    data: str | os.PathLike,
    cfg: ClassifyConfig,
    out: str | os.PathLike,
    data_format: str = "auto",
    on_error: Literal["raise", "skip"] = "raise",
    overwrite: bool = False,
    resume: bool = False,
    progress: bool = False,
) -> TrainResult:
    """Train one CNN on ``data`` and write the run ``out``; see the module docstring."""
    run = RunDir(out, overwrite=overwrite, resume=resume)
    run.begin(cfg, data=data)
    with run.timed("prepare"):
        prep, _ = load_inputs(data, cfg, data_format, on_error)
    return _train_prepared(prep, cfg, run, str(data), resume, progress)


def _train_prepared(
    prep: Prepared, cfg: ClassifyConfig, run: RunDir, data: str, resume: bool, progress: bool
) -> TrainResult:
    split = assign_split(prep, cfg)
    metrics = fit_and_score(prep, split, cfg, run, resume=resume, progress=progress)
    if cfg.folds > 1:
        with run.timed("cross_validate"):
            metrics["cross_validation"] = cross_validate(prep, cfg, run, progress)
        run.write_json("metrics.json", metrics)
    section = report_section(run, metrics, f"classify {cfg.variant}: {cfg.target}")
    if prep.skipped:
        section.add_text(f"{len(prep.skipped)} traces skipped: " + "; ".join(prep.skipped[:20]))
    write_report(run.path / "report.html", f"seislearn classify: {cfg.target}", [section])
    extra = {"inputs": describe(prep), "split_counts": pd.Series(split).value_counts().to_dict()}
    run.write_manifest("classify", seed=cfg.seed, data=data, extra=extra)
    return TrainResult(run.path, metrics, list(prep.skipped))


def train_variants(
    data: str | os.PathLike,
    cfg: ClassifyConfig,
    variants: list[str],
    out: str | os.PathLike,
    data_format: str = "auto",
    on_error: Literal["raise", "skip"] = "raise",
    overwrite: bool = False,
    resume: bool = False,
    progress: bool = False,
) -> pd.DataFrame:
    """Train one model per variant (``out/<variant>``) and write a comparison table and figure.

    The dataset is read once; each variant is split with the same seed and
    method, so the variants see the same events in train, dev and test.
    """
    from seislearn.classify.data import prepare_waveforms
    from seislearn.classify.features import parse_variant
    from seislearn.io import read_dataset

    names = [parse_variant(v).name for v in variants]
    run = RunDir(out, overwrite=overwrite, resume=resume)
    run.begin(cfg, data=data, arguments={"variants": names})
    dataset = read_dataset(data, format=data_format)
    rows, sections = [], []
    for name in names:
        variant_cfg = cfg.model_copy(update={"variant": name})
        sub = RunDir(run.path / name, overwrite=overwrite, resume=resume)
        sub.begin(variant_cfg, data=data)
        with sub.timed("prepare"):
            prep = prepare_waveforms(dataset, variant_cfg, on_error)
        result = _train_prepared(prep, variant_cfg, sub, str(data), resume, progress)
        test = result.metrics.get("test", {})
        row = {"variant": name, "n_test": test.get("n"), "input_shape": str(prep.inputs.shape[1:])}
        keys = (
            ("accuracy", "balanced_accuracy", "roc_auc")
            if prep.task == "classification"
            else ("mae", "rmse", "r2")
        )
        row.update({k: test.get(k) for k in keys})
        row["train_s"] = sub.timings.get("train")
        rows.append(row)
        sections.append(report_section(sub, result.metrics, f"variant {name}"))
    table = pd.DataFrame(rows)
    run.write_csv("variants.csv", table)
    metric = "balanced_accuracy" if "balanced_accuracy" in table else "mae"
    figure = run.save_figure(figs.variant_comparison(table, metric), "variants")
    summary = Section("variants compared (test split)")
    summary.add_table("test metrics per variant", list(table.columns), table.values.tolist())
    summary.add_figure(figure, f"test {metric} per variant")
    write_report(
        run.path / "report.html", f"seislearn classify: {cfg.target}", [summary, *sections]
    )
    run.write_json("metrics.json", {"variants": rows})
    run.write_manifest("classify-variants", seed=cfg.seed, data=data, extra={"variants": names})
    return table
