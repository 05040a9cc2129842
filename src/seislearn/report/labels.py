"""Readable names for metric keys and consistent number formatting in reports.

A report never shows a raw key such as ``mae_deg`` or a fraction as ``0.93``:
:func:`metric_label` names a key for a reader and :class:`Percent` marks a
fraction so the table shows ``93.0 %``. Numbers in one table column share one
precision (:func:`column_decimals`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

#: Keys whose values are fractions in [0, 1] (shown as percentages).
FRACTION_KEYS: frozenset[str] = frozenset(
    {
        "within_10_deg",
        "within_20_deg",
        "within_30_deg",
        "accuracy",
        "balanced_accuracy",
        "mapped_accuracy",
        "ACC",
        "acc",
        "coverage",
    }
)

_LABELS: dict[str, str] = {
    "n": "traces",
    "mae_deg": "mean abs. error (deg)",
    "median_abs_error_deg": "median abs. error (deg)",
    "rmse_deg": "RMS error (deg)",
    "bias_deg": "mean error (deg)",
    "within_10_deg": "within 10 deg",
    "within_20_deg": "within 20 deg",
    "within_30_deg": "within 30 deg",
    "overall": "all test traces",
    "snr_at_least_10_db": "SNR >= 10 dB",
    "incidence": "incidence angle",
    "mae": "mean abs. error",
    "rmse": "RMS error",
    "r2": "R²",
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "roc_auc": "ROC-AUC",
    "macro_f1": "macro F1",
    "ACC": "accuracy (mapped)",
    "acc": "accuracy (mapped)",
    "ARI": "adjusted Rand index",
    "ari": "adjusted Rand index",
    "NMI": "normalized mutual information",
    "nmi": "normalized mutual information",
    "train_mean": "train mean",
    "amplitude_distance_fit": "linear fit on log amplitude and log distance",
    "n_patches": "patches",
    "mapped_accuracy": "accuracy (mapped)",
}


class Percent(float):
    """A fraction in [0, 1] that a report shows as a percentage."""


def metric_label(key: str) -> str:
    """A reader's name for a metric key (``mae_deg`` -> ``mean abs. error (deg)``).

    Unknown keys lose their underscores and get their unit suffix in parentheses.
    """
    if key in _LABELS:
        return _LABELS[key]
    for suffix, unit in (("_deg", "deg"), ("_s", "s"), ("_db", "dB"), ("_hz", "Hz"), ("_km", "km")):
        if key.endswith(suffix) and len(key) > len(suffix):
            return f"{key[: -len(suffix)].replace('_', ' ')} ({unit})"
    return key.replace("_", " ")


def as_display(key: str, value: Any) -> Any:
    """``value`` marked as a :class:`Percent` when ``key`` names a fraction."""
    if key in FRACTION_KEYS and isinstance(value, float) and not isinstance(value, bool):
        return Percent(value)
    return value


def column_decimals(values: Iterable[Any]) -> int:
    """Decimals shared by the floats of one column: three significant digits of the largest.

    Between 0 and 4 decimals; percentages (always one decimal) are not counted.
    """
    numbers = [
        abs(float(v))
        for v in values
        if isinstance(v, float) and not isinstance(v, Percent) and math.isfinite(v)
    ]
    nonzero = [v for v in numbers if v > 0]
    if not nonzero:
        return 2
    largest = max(nonzero)
    return int(min(4, max(0, 2 - math.floor(math.log10(largest)))))


def format_number(value: Any, decimals: int) -> str:
    """A cell's text: floats with ``decimals`` decimals, percentages with a ``%`` sign."""
    if isinstance(value, bool) or value is None:
        return "yes" if value is True else "no" if value is False else ""
    if isinstance(value, Percent):
        return f"{100 * float(value):.1f}\u00a0%"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "n/a"
        return f"{value:,.{decimals}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
