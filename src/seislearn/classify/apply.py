"""Use a trained classify run: load it, evaluate it on labelled data, predict new data."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from seislearn.classify.config import ClassifyConfig
from seislearn.classify.data import Prepared, load_inputs
from seislearn.classify.features import InputScaler, SideScaler
from seislearn.data import schema
from seislearn.data.identity import lookup_names, per_trace_table, seisbench_names
from seislearn.data.window_store import select_windows
from seislearn.errors import DataError, RunExistsError


@dataclass
class Classifier:
    """A trained model with everything needed to prepare its inputs.

    Attributes
    ----------
    module : ClassifyModule in eval mode (``module(x)`` gives logits or values)
    scaler : InputScaler fitted on the training split
    config : ClassifyConfig of the training run, with ``side_inputs`` as resolved there
    extra : dict saved with the model
    side_scaler : SideScaler fitted on the training split, or None (no side inputs)
    """

    module: Any
    scaler: InputScaler
    config: ClassifyConfig
    extra: dict[str, Any]
    side_scaler: SideScaler | None = None

    @property
    def side_inputs(self) -> list[str]:
        """Side inputs the model takes (config names; empty for a purely spectral model)."""
        return list(self.extra.get("side_inputs") or [])

    def scaled_side(self, prep: Prepared) -> np.ndarray | None:
        """The side inputs of ``prep`` scaled with the training statistics (None without)."""
        if self.side_scaler is None or prep.side is None:
            return None
        return self.side_scaler.transform(prep.side)

    @property
    def class_names(self) -> list[str]:
        return list(self.extra.get("class_names", []))

    @property
    def task(self) -> str:
        return str(self.extra["task"])

    def prepare(
        self,
        data: str | os.PathLike,
        data_format: str = "auto",
        on_error: Literal["raise", "skip"] = "raise",
        with_targets: bool = True,
    ) -> tuple[Prepared, np.ndarray]:
        """Read ``data`` the way the model was trained; return prepared and scaled inputs."""
        prep, _ = load_inputs(
            data, self.config, data_format, on_error, self.class_names or None, with_targets
        )
        expected = list(self.extra.get("input_shape", []))
        if expected and list(prep.inputs.shape[1:2]) != expected[:1]:
            raise DataError(
                f"inputs have {prep.inputs.shape[1]} components, the model expects {expected[0]}",
                path=data,
            )
        if (
            prep.kind == "spectrogram"
            and expected
            and list(prep.inputs.shape[2:3]) != expected[1:2]
        ):
            raise DataError(
                f"spectrograms have {prep.inputs.shape[2]} frequency rows, the model was trained on "
                f"{expected[1]} (different sampling rate or image size?); set target_rate",
                path=data,
            )
        return prep, self.scaler.transform(prep.inputs)


def load_classifier(run: str | os.PathLike) -> Classifier:
    """Load the model, scaler and config of a classify run directory."""
    from seislearn.classify.model import SpectrogramCNN, WaveformCNN1D
    from seislearn.classify.module import ClassifyModule
    from seislearn.models.serialization import load_model
    from seislearn.runs import RunDir

    opened = RunDir.open(run)
    network, extra = load_model(opened.model_dir, (SpectrogramCNN, WaveformCNN1D))
    if "scaler" not in extra or "task" not in extra:
        raise DataError("the model was not written by 'seislearn classify train'", path=run)
    module = ClassifyModule(
        network,
        extra["task"],
        target_mean=extra.get("target_mean", 0.0),
        target_std=extra.get("target_std", 1.0),
    )
    module.eval()
    cfg = ClassifyConfig.model_validate(extra["config"])
    # The side inputs resolved at training time ("auto" may depend on the data), or none
    # for models saved before side inputs existed.
    cfg = cfg.model_copy(update={"side_inputs": list(extra.get("side_inputs") or [])})
    side = extra.get("side_scaler")
    side_scaler = SideScaler.from_dict(side) if side else None
    return Classifier(module, InputScaler.from_dict(extra["scaler"]), cfg, extra, side_scaler)


def split_of(run: str | os.PathLike, metadata: pd.DataFrame, source: object = None) -> np.ndarray:
    """The split of each trace: the one the run trained with (``splits.csv``), else the data's.

    A run splits by event with its own seed, so on the training data "test"
    must mean the run's test events, not the dataset's original column.
    """
    path = Path(run) / "splits.csv"
    names = pd.Series(seisbench_names(metadata))
    if path.is_file():
        saved = pd.read_csv(path, dtype=str, keep_default_na=False)
        known = pd.Series(saved[schema.SPLIT].to_numpy(), index=lookup_names(saved))
        if names.isin(known.index).all():
            return known.loc[names].to_numpy()
    if schema.SPLIT not in metadata.columns:
        raise DataError(
            "the data has no split column (and is not the run's training data)", path=source
        )
    return metadata[schema.SPLIT].astype(str).to_numpy()


def _target_path(path: Path, overwrite: bool) -> Path:
    if path.exists() and not overwrite:
        raise RunExistsError(f"{path} exists; pass --overwrite to replace it")
    return path


def evaluate(
    run: str | os.PathLike,
    data: str | os.PathLike,
    out: str | os.PathLike | None = None,
    data_format: str = "auto",
    on_error: Literal["raise", "skip"] = "raise",
    split: str | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Score a trained run on labelled data; write metrics, predictions and figures to ``out``.

    ``out`` defaults to ``RUN/evaluation``; ``split`` keeps only one split of the data.
    """
    from seislearn.classify.api import report_section
    from seislearn.classify.baselines import epicentral_distance_km
    from seislearn.classify.fit import score
    from seislearn.report.html import write_report
    from seislearn.runs import RunDir

    clf = load_classifier(run)
    prep, x = clf.prepare(data, data_format, on_error)
    rows = np.ones(len(prep.y), dtype=bool)
    if split is not None:
        rows = split_of(run, prep.metadata, data) == split
    if not rows.any():
        raise DataError(f"no traces to evaluate (split {split!r})", path=data)
    target = Path(out) if out is not None else Path(run) / "evaluation"
    result = RunDir(target, overwrite=overwrite)
    side = clf.scaled_side(prep)
    metrics, table = score(clf.module, prep, x, rows, side)
    result.write_csv("predictions.csv", table)
    full = {"task": clf.task, "target": clf.config.target, "variant": clf.config.variant}
    full["test"] = metrics
    if prep.truth:
        full["truth"] = prep.truth
    result.write_json("metrics.json", full)
    from seislearn.classify import figures as figs
    from seislearn.classify.fit import predict_array

    if clf.task == "classification":
        cm = metrics["confusion_matrix"]
        result.save_figure(
            figs.confusion_matrix(cm, clf.class_names, "evaluation"), "confusion_matrix"
        )
    else:
        pred = predict_array(
            clf.module, select_windows(x, rows), None if side is None else side[rows]
        )
        distance = epicentral_distance_km(prep.metadata)[rows]
        result.save_figure(
            figs.residuals(prep.y[rows], pred, distance, clf.config.target), "residuals"
        )
    write_report(
        result.path / "report.html",
        "seislearn classify evaluate",
        [report_section(result, full, f"{run} on {data}")],
    )
    result.write_manifest("classify-evaluate", data=data, extra={"model": str(run)})
    return metrics


def predict(
    run: str | os.PathLike,
    data: str | os.PathLike,
    out: str | os.PathLike | None = None,
    data_format: str = "auto",
    on_error: Literal["raise", "skip"] = "raise",
    overwrite: bool = False,
) -> pd.DataFrame:
    """Predict classes (with probabilities) or values for ``data``; write a CSV.

    ``out`` defaults to ``RUN/predictions_<data name>.csv``; labels are not needed.
    """
    from seislearn.classify.fit import predict_array
    from seislearn.runs import RunDir

    clf = load_classifier(run)
    prep, x = clf.prepare(data, data_format, on_error, with_targets=False)
    pred = predict_array(clf.module, x, clf.scaled_side(prep))
    meta = prep.metadata
    table = per_trace_table(meta, keep=(schema.SOURCE_ID, schema.STATION_CODE))
    if clf.task == "classification":
        names = np.asarray(clf.class_names)
        table["predicted"] = names[pred.argmax(axis=1)]
        for k, name in enumerate(names):
            table[f"probability_{name}"] = pred[:, k]
    else:
        table["predicted"] = pred
    name = Path(str(data).rstrip("/")).name or "data"
    target = Path(out) if out is not None else RunDir.open(run).path / f"predictions_{name}.csv"
    from seislearn.runs import atomic_path

    with atomic_path(_target_path(target, overwrite)) as tmp:
        table.to_csv(tmp, index=False)
    table.attrs["path"] = str(target)
    table.attrs["skipped"] = prep.skipped
    return table
