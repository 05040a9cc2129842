"""Evaluation helpers of the azimuth workflow: predictions, calibration, metrics, figures."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seislearn.azimuth.data import AzimuthData
from seislearn.data import schema
from seislearn.data.identity import per_trace_table
from seislearn.data.labels import Truth
from seislearn.evaluation.circular import (
    angle_error_deg,
    angle_metrics,
    error_summary,
    interval_coverage,
    von_mises_circular_std_deg,
    von_mises_half_width_deg,
)
from seislearn.runs import RunDir

#: Significance level at which the orientation average overrules "as recorded" for a
#: station with few training events (:func:`compare_orientations`).
ORIENTATION_CHECK_ALPHA = 0.05


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


def station_ids(metadata: pd.DataFrame) -> np.ndarray:
    """Per row, the station as ``NETWORK.STATION`` (empty parts where the columns are missing)."""
    parts = []
    for column in (schema.STATION_NETWORK, schema.STATION_CODE):
        if column in metadata.columns:
            parts.append(metadata[column].fillna("").astype(str).to_numpy())
        else:
            parts.append(np.full(len(metadata), "", dtype=object))
    return np.asarray([f"{net}.{sta}" for net, sta in zip(*parts, strict=True)], dtype=object)


def training_stations(metadata: pd.DataFrame, mask: np.ndarray) -> dict[str, int]:
    """Distinct events per station among the rows of ``mask`` (the labelled training traces).

    Events are counted, not traces, so copies of one trace (a small real set repeated
    beside synthetic windows) count once; rows without any event information are each
    their own event (:func:`seislearn.data.splits.event_ids`).
    """
    from seislearn.data.splits import event_ids
    from seislearn.errors import DataError

    rows = metadata[mask]
    if not len(rows):
        return {}
    try:
        events = event_ids(rows)
    except DataError:
        events = rows[schema.TRACE_NAME].astype(str).to_numpy()
    pairs = pd.DataFrame({"station": station_ids(rows), "event": events})
    return {str(k): int(v) for k, v in pairs.groupby("station")["event"].nunique().items()}


def rotation_mask(
    metadata: pd.DataFrame,
    learned: dict[str, int] | None,
    min_events: int,
    also_learned: Sequence[str] = (),
) -> np.ndarray | None:
    """Per trace, True where the rotation average applies: a station the model has not learned.

    A station is learned when the training traces hold at least ``min_events``
    events of it (``learned``: :func:`training_stations` of the run), or when it is
    one of ``also_learned``: a station with fewer events on whose own labelled
    traces the orientation average was not significantly better than as recorded
    (:func:`check_few_event_stations`, :func:`compare_orientations`). ``min_events``
    0 counts every station as learned (no trace is rotated). ``None`` when the run recorded no training
    stations (a run made before the rule: its own ``test_time_rotations`` applies to
    every trace).
    """
    if learned is None:
        return None
    if min_events <= 0:
        return np.zeros(len(metadata), bool)
    known = {station for station, n in learned.items() if n >= min_events} | set(also_learned)
    return ~np.isin(station_ids(metadata), sorted(known))


def check_few_event_stations(
    net: Any,
    data: AzimuthData,
    labelled: np.ndarray,
    learned: dict[str, int],
    min_events: int,
) -> dict[str, dict[str, float | int | bool]]:
    """For each training station under ``min_events`` events: is it still predicted as recorded?

    Too few events to presume the model learned that sensor's frame, so its own
    labelled traces (``labelled``: the train and dev rows) decide by
    :func:`compare_orientations`: the station stays learned (predicted as recorded)
    unless the average over the net's ``test_time_rotations`` orientations is
    better on them with significance. Copies of a trace (the same
    ``trace_name``, as a fine-tuning mix repeats its real traces) count once: a
    copy is not new evidence. Nothing is checked when the net averages nothing
    (1 rotation) or ``min_events`` is 0.

    Returns
    -------
    dict
        Per checked station, as :func:`compare_orientations`.
    """
    from seislearn.data.window_store import select_windows

    if min_events <= 0 or int(getattr(net, "test_time_rotations", 1)) <= 1:
        return {}
    ids = station_ids(data.metadata)
    stations = sorted(s for s, n in learned.items() if n < min_events)
    candidates = np.flatnonzero(labelled & np.isin(ids, stations))
    names = data.metadata[schema.TRACE_NAME].astype(str).to_numpy()[candidates]
    rows = np.zeros(len(ids), bool)  # the first row of each trace name: copies count once
    rows[candidates[np.unique(names, return_index=True)[1]]] = True
    if not rows.any():
        return {}
    windows = select_windows(data.windows, rows)
    out = [
        predict_arrays(net, windows, rotate=np.full(int(rows.sum()), rotate))["back_azimuth_deg"]
        for rotate in (False, True)
    ]
    return compare_orientations(ids[rows], data.back_azimuth_deg[rows], *out, stations)


def averaged_better_p_value(
    as_recorded_error_deg: np.ndarray, averaged_error_deg: np.ndarray
) -> float:
    """One-sided p-value that the orientation average predicts a station's traces better.

    A paired sign-flip permutation test (:func:`scipy.stats.permutation_test`,
    ``permutation_type="samples"``) of the mean of ``d = |as recorded error| -
    |averaged error|`` (degrees; positive where the average is closer): under
    the null hypothesis the two settings are exchangeable on each trace, so each
    ``d`` is as likely with its sign flipped. Exact (every sign pattern) up to 13
    traces, 9999 random patterns from a fixed seed above. Non-finite pairs are
    left out.

    Returns
    -------
    float
        The p-value; 1.0 with no trace, with every difference 0, and, with one trace,
        0.5 when the average was closer and 1.0 otherwise (the exact values of the test).
    """
    from scipy.stats import permutation_test

    d = np.abs(np.asarray(as_recorded_error_deg, float)) - np.abs(
        np.asarray(averaged_error_deg, float)
    )
    d = d[np.isfinite(d)]
    if not len(d) or not np.any(d):
        return 1.0
    if len(d) == 1:
        return 0.5 if d[0] > 0 else 1.0
    result = permutation_test(
        (d,),
        lambda x, axis: np.mean(x, axis=axis),
        vectorized=True,
        permutation_type="samples",
        alternative="greater",
        n_resamples=9999,
        rng=np.random.default_rng(0),
    )
    return float(result.pvalue)


def compare_orientations(
    stations_of_rows: np.ndarray,
    true_deg: np.ndarray,
    as_recorded_deg: np.ndarray,
    averaged_deg: np.ndarray,
    stations: Sequence[str],
    alpha: float = ORIENTATION_CHECK_ALPHA,
) -> dict[str, dict[str, float | int | bool]]:
    """Per station of ``stations`` with rows: does the orientation average predict it better?

    The station stays learned (predicted as recorded, the model's own frame)
    unless the average has the lower circular mean absolute error on its rows
    **and** that is significant: :func:`averaged_better_p_value` below
    ``alpha``. A few traces that happen to favour the average by chance (the
    difference on 4 traces is mostly noise) do not overrule the recording; with
    fewer than 5 traces the average can never win at ``alpha`` 0.05 (the
    smallest exact p-value of ``n`` traces is ``2**-n``).

    Parameters
    ----------
    stations_of_rows : ndarray of str
        ``NETWORK.STATION`` of each row (:func:`station_ids`).
    true_deg, as_recorded_deg, averaged_deg : ndarray
        Per row: the true back-azimuth and the predictions as recorded and averaged over
        the test-time orientations (degrees).
    stations : sequence of str
        The stations to decide.
    alpha : float
        Significance level of the test for the average.

    Returns
    -------
    dict
        Per station with rows: ``n_traces``, ``as_recorded_mae_deg``, ``averaged_mae_deg``
        (circular mean absolute errors, degrees), ``p_value_averaged_better`` and
        ``learned`` (kept as recorded).
    """
    checked: dict[str, dict[str, float | int | bool]] = {}
    for station in sorted(stations):
        rows = stations_of_rows == station
        if not rows.any():
            continue
        errors = [
            np.abs(angle_error_deg(p[rows], true_deg[rows]))
            for p in (as_recorded_deg, averaged_deg)
        ]
        mae = [float(e.mean()) for e in errors]
        p_value = averaged_better_p_value(*errors)
        checked[station] = {
            "n_traces": int(rows.sum()),
            "as_recorded_mae_deg": mae[0],
            "averaged_mae_deg": mae[1],
            "p_value_averaged_better": p_value,
            "learned": not (mae[1] < mae[0] and p_value < alpha),
        }
    return checked


def predict_arrays(
    net: Any,
    windows: np.ndarray,
    batch_size: int = 512,
    kappa_scale: float = 1.0,
    incidence: bool = True,
    rotate: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Run the net: back-azimuth, kappa, incidence (degrees) and embeddings, as arrays.

    ``kappa_scale`` multiplies the concentrations (the dev-split calibration);
    ``incidence=False`` (a model trained without incidence labels) gives NaN incidences.
    ``rotate`` (per window, see :func:`rotation_mask`): the net's test-time rotation
    average for the True windows only, the others predicted as recorded; ``None``: the
    net's own ``test_time_rotations`` for every window.
    Runs on the devices of the trainer options (:mod:`seislearn.training.predict`):
    one process by default, every trace exactly once on many.
    """
    rotations = int(getattr(net, "test_time_rotations", 1))
    if rotate is not None and rotations > 1 and len(windows):
        from seislearn.data.window_store import select_windows

        rotate = np.asarray(rotate, bool)
        parts = {}
        try:
            for flag, n in ((True, rotations), (False, 1)):
                if (rotate == flag).any():
                    net.test_time_rotations = n
                    subset = (
                        windows
                        if (rotate == flag).all()
                        else select_windows(windows, rotate == flag)
                    )
                    parts[flag] = predict_arrays(net, subset, batch_size, kappa_scale, incidence)
        finally:
            net.test_time_rotations = rotations
        if len(parts) == 1:
            return next(iter(parts.values()))
        merged = {}
        for key, value in parts[True].items():
            out = np.zeros((len(rotate), *value.shape[1:]), dtype=value.dtype)
            out[rotate] = value
            out[~rotate] = parts[False][key]
            merged[key] = out
        return merged
    from seislearn.data.window_store import windows_dataset
    from seislearn.training.predict import predict_dataset

    dataset = windows_dataset(windows)
    result = predict_dataset(net, azimuth_step, dataset, batch_size=batch_size)
    if not result:  # no windows
        result = {k: np.zeros(0, np.float32) for k in ("back_azimuth_deg", "kappa")}
        result["incidence_deg"] = np.zeros(0, np.float32)
        result["embedding"] = np.zeros((0, 0), np.float32)
    result["kappa"] = result["kappa"] * kappa_scale
    if not incidence:
        result["incidence_deg"] = np.full(len(windows), np.nan)
    return result


def azimuth_step(net: Any, batch: tuple) -> dict[str, Any]:
    """One batch of windows through the net: angles in degrees, kappa, embedding."""
    import torch

    from seislearn.azimuth.losses import unit_to_angle_deg

    out = net.predict(batch[0]) if hasattr(net, "predict") else net(batch[0])
    baz = unit_to_angle_deg(out["back_azimuth"].float())
    if "incidence" in out:
        inc = torch.remainder(unit_to_angle_deg(out["incidence"].float()) + 180.0, 360.0) - 180.0
    else:
        inc = torch.full_like(baz, float("nan"))
    return {
        "back_azimuth_deg": baz,
        "kappa": out["kappa"].float(),
        "incidence_deg": inc,
        "embedding": out["embedding"].float(),
    }


# -- evaluation -------------------------------------------------------------------
def evaluate_arrays(
    data: AzimuthData,
    net: Any,
    baseline_window: tuple[int, int],
    mask: np.ndarray | None = None,
    kappa_scale: float = 1.0,
    incidence: bool = True,
    station_correction: np.ndarray | list[float] | None = None,
    learned_stations: dict[str, int] | None = None,
    own_station_min_events: int = 100,
    also_learned: Sequence[str] = (),
) -> tuple[dict[str, Any], pd.DataFrame, dict[str, np.ndarray]]:
    """Metrics (model and baseline), the predictions table, and raw outputs on ``mask``.

    ``station_correction``: coefficients fitted on train by
    :func:`seislearn.evaluation.polarization.fit_station_correction`; when given,
    the station-calibrated baseline is scored and written too.
    ``learned_stations``, ``own_station_min_events``, ``also_learned``: which
    traces get the net's test-time rotation average (:func:`rotation_mask`;
    ``learned_stations`` ``None``: all of them).
    """
    from seislearn.azimuth.data import polarization_of
    from seislearn.data.window_store import select_windows
    from seislearn.evaluation.polarization import apply_station_correction

    mask = np.ones(len(data.windows), bool) if mask is None else mask
    windows = select_windows(data.windows, mask)
    t0 = time.perf_counter()
    rotate = rotation_mask(
        data.metadata[mask], learned_stations, own_station_min_events, also_learned
    )
    out = predict_arrays(net, windows, kappa_scale=kappa_scale, incidence=incidence, rotate=rotate)
    model_seconds = time.perf_counter() - t0
    rotations = int(getattr(net, "test_time_rotations", 1))
    out["orientations"] = np.where(
        np.ones(len(out["kappa"]), bool) if rotate is None else rotate, rotations, 1
    )
    start, stop = baseline_window
    t0 = time.perf_counter()
    base = polarization_of(windows, None, start, stop)
    baseline_seconds = time.perf_counter() - t0
    calibrated = (
        None
        if station_correction is None
        else apply_station_correction(base.back_azimuth_deg, station_correction)
    )
    truth = data.truth.select(mask) if data.truth is not None else None
    table = predictions_table(data.metadata[mask], out, base, calibrated, truth)
    baz, inc, snr = data.back_azimuth_deg[mask], data.incidence_deg[mask], data.snr_db[mask]
    labelled = np.isfinite(baz)
    metrics: dict[str, Any] = {"n_traces": int(mask.sum()), "snr_estimated": data.snr_estimated}
    n_rotated = int(mask.sum()) if rotate is None else int(rotate.sum())
    metrics["test_time_rotations"] = {
        "orientations": rotations,
        "traces_rotated": n_rotated if rotations > 1 else 0,
        "traces_as_recorded": int(mask.sum()) - n_rotated if rotations > 1 else int(mask.sum()),
        "rule": "all traces (the run recorded no training stations)"
        if rotate is None
        else "rotated: traces of stations without training events, and of stations with "
        f"fewer than {own_station_min_events} whose own labelled traces were predicted "
        f"significantly better averaged (one-sided sign-flip test, p < {ORIENTATION_CHECK_ALPHA})",
        "learned_stations": None
        if learned_stations is None
        else sorted(
            {k for k, v in learned_stations.items() if v >= own_station_min_events}
            | set(also_learned)
        ),
    }
    if truth is not None:
        # What the scores below are measured against (the traces scored here).
        metrics["truth"] = {"back_azimuth": truth.summary()}
    if labelled.any():
        model_err = angle_error_deg(out["back_azimuth_deg"][labelled], baz[labelled])
        metrics["model"] = angle_metrics(
            out["back_azimuth_deg"][labelled], baz[labelled], snr[labelled]
        )
        metrics["baseline"] = angle_metrics(
            base.back_azimuth_deg[labelled], baz[labelled], snr[labelled]
        )
        if calibrated is not None:
            metrics["baseline_station_calibrated"] = angle_metrics(
                calibrated[labelled], baz[labelled], snr[labelled]
            )
        metrics["model"]["interval_coverage"] = interval_coverage(model_err, out["kappa"][labelled])
        # Coverage means little without the width: wide enough intervals cover anything.
        metrics["model"]["interval_median_half_width_deg"] = {
            level: float(np.median(von_mises_half_width_deg(out["kappa"][labelled], float(level))))
            for level in metrics["model"]["interval_coverage"]
        }
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
    metadata: pd.DataFrame,
    out: dict[str, np.ndarray],
    base: Any,
    calibrated: np.ndarray | None = None,
    truth: Truth | None = None,
) -> pd.DataFrame:
    """The ``predictions.csv`` table; ``uncertainty`` is the circular standard deviation, degrees.

    Traces are named the user's way (:mod:`seislearn.data.identity`): ``trace_name``
    first and, after a conversion, ``trace_name_seisbench`` last.

    ``calibrated``: the station-calibrated baseline back-azimuths, degrees, written as
    ``baseline_calibrated_back_azimuth_deg`` when given. ``truth`` (the traces' truth
    under the policy of :mod:`seislearn.data.labels`) adds ``true_back_azimuth_deg``
    (what was scored against, degrees), ``truth_source`` (``coordinates``, ``label``
    or ``none``) and ``label_disagrees`` (the label contradicts the coordinates);
    the label itself stays in ``path_back_azimuth_deg``, as given.
    """
    values = {
        "back_azimuth_deg": out["back_azimuth_deg"],
        "incidence_deg": out["incidence_deg"],
        "uncertainty": von_mises_circular_std_deg(out["kappa"]),
        "kappa": out["kappa"],
        "baseline_back_azimuth_deg": base.back_azimuth_deg,
        "baseline_incidence_deg": base.incidence_deg,
        "rectilinearity": base.rectilinearity,
    }
    if "orientations" in out:  # the test-time rotation average of each trace (1: as recorded)
        values["orientations_averaged"] = out["orientations"]
    if calibrated is not None:
        values["baseline_calibrated_back_azimuth_deg"] = calibrated
    if truth is not None:
        values["true_back_azimuth_deg"] = truth.values
        values["truth_source"] = truth.origin
        values["label_disagrees"] = truth.disagree
    return per_trace_table(metadata, values, keep=(schema.BACK_AZIMUTH, schema.SPLIT))


def write_figures(
    run: RunDir, raw: dict[str, np.ndarray], snr_estimated: bool, title: str
) -> list[Path]:
    """Latent space, predicted vs true, error vs SNR; returns the PNG paths."""
    from seislearn.azimuth.figures import (
        latent_space_interactive,
        plot_error_vs_snr,
        plot_latent_space,
        plot_predicted_vs_true,
        predicted_vs_true_interactive,
    )
    from seislearn.report.interactive import save_interactive

    labelled = np.isfinite(raw["true_back_azimuth_deg"])
    if not labelled.any():
        return []
    true = raw["true_back_azimuth_deg"][labelled]
    model, base = raw["back_azimuth_deg"][labelled], raw["baseline_back_azimuth_deg"][labelled]
    latent = run.save_figure(
        plot_latent_space(raw["embedding"][labelled], true, title), "latent_space"
    )
    save_interactive(latent, latent_space_interactive(raw["embedding"][labelled], true, title))
    scatter = run.save_figure(plot_predicted_vs_true(true, model, base), "predicted_vs_true")
    save_interactive(scatter, predicted_vs_true_interactive(true, model, base))
    return [
        latent,
        scatter,
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


def summary_section(title: str, metrics: dict[str, Any], figures: list[Path]) -> Any:
    """A report section: model and baseline side by side, then the figures."""
    from seislearn.report.html import Section
    from seislearn.report.labels import Percent

    section = Section(title)
    headline = comparison_headline(metrics)
    if headline is not None:
        section.add_headline(headline)
    add_truth(section, metrics.get("truth", {}))
    rows = comparison_rows(metrics)
    if rows:
        section.add_table(
            "back-azimuth error (degrees; circular), model vs polarization baseline",
            comparison_header(metrics),
            rows,
        )
    coverage = metrics.get("model", {}).get("interval_coverage")
    if coverage:
        widths = metrics["model"].get("interval_median_half_width_deg", {})
        section.add_table(
            "calibration: fraction of traces inside the stated von Mises interval, and the "
            "interval's median half-width (a wide interval covers the truth by being vague)",
            ["nominal", "observed", "median half-width (deg)"],
            [
                [
                    Percent(float(k)),
                    Percent(v) if isinstance(v, float) else v,
                    widths.get(k, ""),
                ]
                for k, v in coverage.items()
            ],
        )
    add_orientation_check(section, metrics.get("test_time_rotations", {}))
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


def add_orientation_check(section: Any, rotations: dict[str, Any]) -> None:
    """Say which traces were averaged over orientations, and why, in a report section.

    ``rotations``: the ``test_time_rotations`` section of ``metrics.json``. A
    sentence with the counts and the rule; a table of the stations checked on
    their own labelled traces (errors as recorded and averaged, the p-value that
    the average is better, the decision). Nothing when the net averages nothing.
    """
    if int(rotations.get("orientations", 1)) <= 1:
        return
    section.add_text(
        f"Orientations: {rotations['traces_rotated']:,} traces averaged over "
        f"{rotations['orientations']} orientations of the horizontals, "
        f"{rotations['traces_as_recorded']:,} predicted as recorded ({rotations['rule']})."
    )
    checked = rotations.get("stations_checked") or {}
    if checked:
        section.add_table(
            "station check on each few-event station's own labelled traces: it stays as "
            f"recorded unless the average is better with p < {ORIENTATION_CHECK_ALPHA}",
            ["station", "traces", "MAE as recorded (deg)", "MAE averaged (deg)", "p", "decision"],
            [
                [
                    station,
                    c["n_traces"],
                    f"{c['as_recorded_mae_deg']:.1f}",
                    f"{c['averaged_mae_deg']:.1f}",
                    f"{c['p_value_averaged_better']:.3f}"
                    if "p_value_averaged_better" in c
                    else "-",
                    "as recorded" if c["learned"] else "averaged",
                ]
                for station, c in checked.items()
            ],
        )


def comparison_headline(metrics: dict[str, Any]) -> Any:
    """The report summary's row: the model's back-azimuth MAE vs the stronger baseline.

    The station-calibrated polarization baseline when it was scored (the fair
    comparison at a real station), polarization analysis as is otherwise; ``None``
    without labelled traces.
    """
    from seislearn.report.html import Headline

    model = metrics.get("model", {}).get("overall", {}).get("mae_deg")
    if model is None:
        return None
    name, base = "polarization analysis", metrics["baseline"]["overall"]["mae_deg"]
    calibrated = metrics.get("baseline_station_calibrated", {}).get("overall", {}).get("mae_deg")
    if calibrated is not None:
        name, base = "polarization, station-calibrated", calibrated
    return Headline(
        "azimuth",
        "back-azimuth mean abs. error (deg)",
        "VAE + head",
        model,
        name,
        base,
        higher_is_better=False,
    )


def comparison_header(metrics: dict[str, Any]) -> list[str]:
    """Column names of :func:`comparison_rows` for these metrics."""
    header = ["subset", "metric", "model", "baseline"]
    if "baseline_station_calibrated" in metrics:
        header.append("station-calibrated baseline")
    return header


def comparison_rows(metrics: dict[str, Any]) -> list[list[Any]]:
    """Rows (subset, metric, model, baseline) for the overall, SNR >= 10 dB and incidence errors."""
    from seislearn.report.labels import as_display, metric_label

    if "model" not in metrics:
        return []
    rows = []
    model, base = metrics["model"], metrics["baseline"]
    calibrated = metrics.get("baseline_station_calibrated")
    for subset in ("overall", "snr_at_least_10_db", "incidence"):
        if subset not in model:
            continue
        for key in ("n", "mae_deg", "median_abs_error_deg", "rmse_deg", "within_10_deg"):
            if key in model[subset]:
                row = [
                    metric_label(subset),
                    metric_label(key),
                    as_display(key, model[subset][key]),
                    as_display(key, base[subset].get(key)),
                ]
                if calibrated is not None:
                    row.append(as_display(key, calibrated.get(subset, {}).get(key, "")))
                rows.append(row)
    return rows


def add_truth(section: Any, truth: dict[str, Any]) -> None:
    """The source of the truth in a report section: one sentence and a table per quantity."""
    for quantity, summary in truth.items():
        if summary.get("source") == "label" and summary.get("labels_disagreeing_used"):
            section.add_text("WARNING: " + summary["note"])
        else:
            section.add_text(summary["note"])
        keys = [k for k in summary if k not in ("note", "disagreeing_traces")]
        rows = [[k, summary[k]] for k in keys]
        if summary.get("disagreeing_traces"):
            rows.append(["some disagreeing traces", ", ".join(summary["disagreeing_traces"])])
        section.add_table(f"{quantity.replace('_', '-')} truth", ["", "value"], rows)
