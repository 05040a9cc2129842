"""The explain workflow: which time-frequency regions drove a trained classify model.

For up to ``n`` correctly classified events per class (or ``n`` events for a
regression model), attributions are computed with the chosen explainer, then
written as:

* ``attributions.npz``: ``attributions`` (n, *input shape), ``inputs``,
  ``targets``, ``trace_name`` (no pickled objects; ``np.load(...,
  allow_pickle=False)`` reads it);
* ``mean_maps.npz``: mean attribution per class;
* ``time_profile.csv``, ``frequency_profile.csv``: mean attribution per class
  and component against time (s, from the pick) and frequency (Hz);
* ``deletion.json``: the faithfulness check of each explainer run (the chosen
  one and the Integrated Gradients cross-check);
* ``figures/``: one event over its RGB spectrogram per class, class mean maps,
  profiles, deletion curves; ``report.html``; ``metrics.json``.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from seislearn.data.identity import display_names, seisbench_names, user_names
from seislearn.data.window_store import select_windows
from seislearn.errors import DataError
from seislearn.explain import figures as figs
from seislearn.explain.methods import Method, attribute
from seislearn.progress import Stage
from seislearn.report.html import Section, write_report
from seislearn.runs import RunDir

log = logging.getLogger(__name__)


def select_events(y: np.ndarray, predicted: np.ndarray | None, n: int, seed: int = 0) -> np.ndarray:
    """Indices of up to ``n`` correctly classified events per class (all classes), seeded.

    For regression (``predicted is None``) up to ``n`` events in total.
    """
    rng = np.random.default_rng(seed)
    if predicted is None:
        return np.sort(rng.permutation(len(y))[:n])
    chosen = []
    for c in np.unique(y):
        correct = np.flatnonzero((y == c) & (predicted == c))
        chosen.append(rng.permutation(correct)[:n])
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=int)


def _profiles(
    attributions: np.ndarray, labels: np.ndarray, names: list[str]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Mean map, time profile and frequency profile per class."""
    maps, time_profile, freq_profile = {}, {}, {}
    for name in names:
        members = attributions[labels == name]
        if not len(members):
            continue
        m = members.mean(axis=0)
        maps[name] = m
        time_profile[name] = m.sum(axis=-2) if m.ndim == 3 else m
        if m.ndim == 3:
            freq_profile[name] = m.sum(axis=-1)
    return maps, time_profile, freq_profile


def _profile_frame(
    profile: dict[str, np.ndarray], axis: list[float] | None, column: str
) -> pd.DataFrame:
    rows = []
    for name, lines in profile.items():
        values = axis if axis else list(range(lines.shape[-1]))
        for c, line in enumerate(lines):
            component = figs.COMPONENTS[c] if c < 3 else str(c)
            rows += [
                {"class": name, "component": component, column: v, "importance": float(a)}
                for v, a in zip(values, line, strict=True)
            ]
    return pd.DataFrame(rows)


def explain(
    model: str | os.PathLike,
    data: str | os.PathLike,
    out: str | os.PathLike | None = None,
    n: int = 300,
    explainer: Method = "gradient",
    split: str | None = None,
    cross_check: bool = True,
    data_format: str = "auto",
    on_error: Literal["raise", "skip"] = "raise",
    nsamples: int = 64,
    max_evals: int = 500,
    n_background: int = 50,
    seed: int = 0,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Explain a classify run on ``data``; write results to ``out`` (default ``MODEL/explain_<explainer>``).

    Parameters
    ----------
    model : path of a ``seislearn classify train`` run
    data : labelled dataset (waveforms or PNG folder) read as the model was trained
    n : int, events per class (correctly classified) to explain
    explainer : {"gradient", "deep", "partition", "ig"}
    split : str, optional, explain only this split of ``data`` (e.g. ``test``)
    cross_check : bool, also run Captum Integrated Gradients on up to 50 of the
        events and report its correlation with the chosen explainer
    nsamples, max_evals : explainer budgets (see :func:`attribute`)
    n_background : int, reference samples for ``gradient``/``deep``
    """
    from seislearn.classify.apply import load_classifier, split_of
    from seislearn.classify.fit import predict_array
    from seislearn.explain.faithfulness import deletion_curve, plot_deletion

    clf = load_classifier(model)
    if clf.side_inputs:
        raise DataError(
            f"the model takes side inputs {clf.side_inputs} besides the spectrogram; the "
            "explainers attribute spectrogram pixels only: train with --set side_inputs=[] "
            "to explain it",
            path=model,
        )
    run = RunDir(
        out if out is not None else Path(model) / f"explain_{explainer}", overwrite=overwrite
    )
    with run.timed("prepare"):
        prep, x = clf.prepare(data, data_format, on_error)
    if split is not None:
        rows = split_of(model, prep.metadata, data) == split
        x, y, meta = select_windows(x, rows), prep.y[rows], prep.metadata[rows]
        raw = select_windows(prep.inputs, rows)  # streamed: lazy views, read per event below
    else:
        x, y, meta, raw = x, prep.y, prep.metadata, prep.inputs
    classification = clf.task == "classification"
    pred = predict_array(clf.module, x)
    predicted = pred.argmax(axis=1) if classification else None
    chosen = select_events(y, predicted, n, seed)
    if not len(chosen):
        raise DataError("no correctly classified events to explain", path=data)
    network = clf.module.model.eval()
    targets = y[chosen].astype(int) if classification else None
    rng = np.random.default_rng(seed)
    background = x[rng.permutation(len(x))[:n_background]]
    t0 = time.perf_counter()
    with run.timed(f"explain_{explainer}"):
        attributions = attribute(
            network,
            x[chosen],
            targets,
            explainer,
            background,
            nsamples=nsamples,
            max_evals=max_evals,
            seed=seed,
        )
    seconds = time.perf_counter() - t0
    names = clf.class_names if classification else [clf.config.target]
    labels = np.asarray(names)[targets] if classification else np.full(len(chosen), names[0])
    trace_names = user_names(meta)[chosen]
    with run.timed("faithfulness"), Stage(f"deletion curves of {len(chosen):,} events"):
        curves = {explainer: deletion_curve(network, x[chosen], attributions, targets, seed=seed)}
        check: dict[str, Any] = {}
        if cross_check and explainer != "ig":
            sub = np.arange(len(chosen))[: min(50, len(chosen))]
            sub_targets = targets[sub] if targets is not None else None
            ig = attribute(network, x[chosen][sub], sub_targets, "ig", seed=seed)
            curves["ig"] = deletion_curve(network, x[chosen][sub], ig, sub_targets, seed=seed)
            a, b = attributions[sub].reshape(len(sub), -1), ig.reshape(len(sub), -1)
            corr = [float(np.corrcoef(u, v)[0, 1]) for u, v in zip(a, b, strict=True)]
            check = {"n": len(sub), "mean_pearson_r_with_ig": float(np.nanmean(corr))}
    np.savez_compressed(
        run.path / "attributions.npz",
        attributions=attributions.astype(np.float32),
        inputs=x[chosen].astype(np.float32),
        targets=np.asarray(labels, dtype=str),
        trace_name=np.asarray(trace_names, dtype=str),
        trace_name_seisbench=seisbench_names(meta)[chosen].astype(str),
    )
    maps, time_profile, freq_profile = _profiles(attributions, labels, names)
    np.savez_compressed(
        run.path / "mean_maps.npz", **{k: v.astype(np.float32) for k, v in maps.items()}
    )
    freqs = clf.extra.get("axes", {}).get("frequencies_hz") or prep.axes.get("frequencies_hz")
    times = clf.extra.get("axes", {}).get("times_s") or prep.axes.get("times_s")
    run.write_csv("time_profile.csv", _profile_frame(time_profile, times, "time_s"))
    if freq_profile:
        run.write_csv("frequency_profile.csv", _profile_frame(freq_profile, freqs, "frequency_hz"))
    run.write_json("deletion.json", curves)
    score_label = "probability of the class" if classification else f"predicted {names[0]}"
    section = Section(f"explain ({explainer}): {clf.config.target}")
    paths = [run.save_figure(plot_deletion(curves, score_label), "deletion")]
    for name in names:
        members = np.flatnonzero(labels == name)
        if not len(members):
            continue
        i = int(members[0])
        title = f"{name}: {display_names(meta.iloc[chosen[i : i + 1]])[0]}"
        spectral = x.ndim == 4
        raw_event = raw[chosen[i]]
        fig = (
            figs.event_map(raw_event, attributions[i], freqs, times, title)
            if spectral
            else figs.event_trace(raw_event, attributions[i], times, title)
        )
        paths.append(run.save_figure(fig, f"event_{_safe(name)}"))
    paths.append(run.save_figure(figs.mean_maps(maps, freqs, times), "mean_maps"))
    paths.append(
        run.save_figure(figs.profiles(time_profile, times, "time since pick (s)"), "time_profile")
    )
    if freq_profile:
        paths.append(
            run.save_figure(
                figs.profiles(freq_profile, freqs, "frequency (Hz)"), "frequency_profile"
            )
        )
    metrics = {
        "explainer": explainer,
        "n_explained": len(chosen),
        "per_class": {name: int((labels == name).sum()) for name in names},
        "seconds": seconds,
        "seconds_per_event": seconds / len(chosen),
        "deletion": {
            k: {m: v[m] for m in ("auc_top", "auc_random", "faster_than_random")}
            for k, v in curves.items()
        },
        "ig_cross_check": check,
    }
    run.write_json("metrics.json", metrics)
    section.add_metrics("explanation", {k: v for k, v in metrics.items() if k != "per_class"})
    for p in paths:
        section.add_figure(p, p.stem.replace("_", " "))
    write_report(run.path / "report.html", "seislearn explain", [section])
    run.write_manifest("explain", seed=seed, data=data, extra={"model": str(model)})
    metrics["path"] = str(run.path)
    metrics["section"] = section
    return metrics


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
