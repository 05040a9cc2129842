"""Classic baselines of magnitude (or any numeric target) regression.

* the train mean, the least a model must beat;
* a linear fit ``y = a + b log10(peak amplitude) + c log10(distance)`` on the
  train split, i.e. a local-magnitude formula with its constants learned.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from seislearn.data import schema
from seislearn.evaluation.classification import regression_metrics

#: Metadata columns an epicentral distance is read or computed from.
DISTANCE_COLUMNS: tuple[str, ...] = (
    schema.EP_DISTANCE,
    schema.SOURCE_LATITUDE,
    schema.SOURCE_LONGITUDE,
    schema.STATION_LATITUDE,
    schema.STATION_LONGITUDE,
)


def epicentral_distance_km(metadata: pd.DataFrame) -> np.ndarray:
    """``path_ep_distance_km``, or computed from source and station coordinates; NaN if neither."""
    if schema.EP_DISTANCE in metadata.columns:
        return metadata[schema.EP_DISTANCE].to_numpy(dtype=float)
    columns = (
        schema.SOURCE_LATITUDE,
        schema.SOURCE_LONGITUDE,
        schema.STATION_LATITUDE,
        schema.STATION_LONGITUDE,
    )
    if not all(c in metadata.columns for c in columns):
        return np.full(len(metadata), np.nan)
    from obspy.geodetics import gps2dist_azimuth

    coords = metadata[list(columns)].to_numpy(dtype=float)
    out = np.full(len(metadata), np.nan)
    for i, (slat, slon, rlat, rlon) in enumerate(coords):
        if np.all(np.isfinite([slat, slon, rlat, rlon])):
            out[i] = gps2dist_azimuth(slat, slon, rlat, rlon)[0] / 1000.0
    return out


def hypocentral_distance_km(metadata: pd.DataFrame) -> np.ndarray:
    """Hypocentral distance from the epicentral distance and ``source_depth_km`` (if known)."""
    epi = epicentral_distance_km(metadata)
    if schema.SOURCE_DEPTH in metadata.columns:
        depth = metadata[schema.SOURCE_DEPTH].to_numpy(dtype=float)
        return np.where(np.isfinite(depth), np.hypot(epi, depth), epi)
    return epi


def regression_baselines(
    y: np.ndarray,
    peak_amplitude: np.ndarray,
    distance_km: np.ndarray,
    split: np.ndarray,
    evaluate_on: str = "test",
) -> dict[str, dict[str, float]]:
    """Metrics of the two baselines on one split, both fitted on ``train`` only.

    Parameters
    ----------
    y : ndarray, targets
    peak_amplitude : ndarray, peak absolute amplitude of each window (data units)
    distance_km : ndarray, source-station distance; NaN where unknown
    split : ndarray of str
    evaluate_on : str, the split scored

    Returns
    -------
    dict
        ``train_mean`` and, when amplitudes and distances are known on train,
        ``amplitude_distance_fit`` (with its coefficients), each a metrics dict.
    """
    from sklearn.linear_model import LinearRegression

    y = np.asarray(y, dtype=float)
    split = np.asarray(split).astype(str)
    train, test = split == "train", split == evaluate_on
    out: dict[str, dict[str, float]] = {
        "train_mean": regression_metrics(y[test], np.full(test.sum(), y[train].mean()))
    }
    features = np.column_stack(
        [np.log10(np.maximum(peak_amplitude, 1e-30)), np.log10(np.maximum(distance_km, 1e-3))]
    )
    usable = np.isfinite(features).all(axis=1) & (np.asarray(peak_amplitude) > 0)
    if (usable & train).sum() >= 3 and (usable & test).any():
        fit = LinearRegression().fit(features[usable & train], y[usable & train])
        scored = usable & test
        metrics = regression_metrics(y[scored], fit.predict(features[scored]))
        metrics["coef_log_amplitude"] = float(fit.coef_[0])
        metrics["coef_log_distance"] = float(fit.coef_[1])
        metrics["intercept"] = float(fit.intercept_)
        out["amplitude_distance_fit"] = metrics
    return out


def classification_baselines(
    inputs: np.ndarray,
    y: np.ndarray,
    split: np.ndarray,
    evaluate_on: str = "test",
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Metrics of two classic classifiers on one split, both fitted on ``train`` only.

    * ``majority_class``: always the most frequent train class (the floor);
    * ``spectrum_logistic``: a logistic regression on the window's mean log spectrum
      (the standardized spectrogram averaged over time, per component and
      frequency), i.e. a learned spectral-ratio discriminant, the classic way to
      tell sources apart by their frequency content.

    Parameters
    ----------
    inputs : ndarray (n, C, F, T), standardized log spectrograms (train statistics)
    y : ndarray of int, class indices
    split : ndarray of str
    evaluate_on : str, the split scored
    seed : int

    Returns
    -------
    dict
        baseline name -> ``{"n", "accuracy", "balanced_accuracy"}``; the
        spectrum baseline only for spectrogram inputs with two classes or more on train.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, balanced_accuracy_score

    y = np.asarray(y)
    split = np.asarray(split).astype(str)
    train, test = split == "train", split == evaluate_on
    if not train.any() or not test.any():
        return {}

    def scores(predicted: np.ndarray) -> dict[str, float]:
        return {
            "n": int(test.sum()),
            "accuracy": float(accuracy_score(y[test], predicted)),
            "balanced_accuracy": float(balanced_accuracy_score(y[test], predicted)),
        }

    values, counts = np.unique(y[train], return_counts=True)
    out = {"majority_class": scores(np.full(test.sum(), values[np.argmax(counts)]))}
    if inputs.ndim == 4 and len(values) >= 2:
        from seislearn.data.window_store import map_chunks

        # Per trace, so streamed (stored) inputs are averaged a chunk at a time.
        spectrum = map_chunks(
            lambda w: np.asarray(w, dtype=float).mean(axis=-1).reshape(len(w), -1), inputs
        )
        fit = LogisticRegression(max_iter=2000, random_state=seed)
        fit.fit(spectrum[train], y[train])
        out["spectrum_logistic"] = scores(fit.predict(spectrum[test]))
    return out
