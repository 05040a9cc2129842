"""Interactive (plotly) twins of report figures, for zoom and hover.

A workflow saves ``figures/NAME.png`` as before and, where zoom or hover helps
(latent spaces, UMAP maps, predicted vs true), ``figures/NAME.plotly.json``
beside it with :func:`save_interactive`. The HTML report draws the interactive
figure where the twin exists and the PNG otherwise; plotly.js is inlined once
per page so the report stays a single offline file.

Hover text from data (trace names, labels) is HTML-escaped here, because
plotly renders a few HTML tags inside hover labels.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from seislearn.runs import write_text_atomic

SUFFIX = ".plotly.json"

_LAYOUT = {
    "template": "plotly_white",
    "height": 460,
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    "legend": {"itemsizing": "constant"},
}


def interactive_path(png: str | os.PathLike) -> Path:
    """The path of the interactive twin of a PNG figure (``NAME.png`` -> ``NAME.plotly.json``)."""
    png = Path(png)
    return png.with_name(png.stem + SUFFIX)


def save_interactive(png: str | os.PathLike, figure: dict[str, Any]) -> Path:
    """Write ``figure`` (a plotly figure dict: ``data`` and ``layout``) as the twin of ``png``."""
    return write_text_atomic(interactive_path(png), json.dumps(_plain(figure)))


def load_interactive(png: str | os.PathLike) -> dict[str, Any] | None:
    """The interactive twin of ``png`` as a dict, or ``None`` when there is none or it is unreadable."""
    path = interactive_path(png)
    if not path.is_file():
        return None
    try:
        figure = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(figure, dict) or not isinstance(figure.get("data"), list):
        return None
    return figure


def hover_text(values: Sequence[Any]) -> list[str]:
    """Hover labels from data, escaped."""
    return [html.escape(str(v)) for v in values]


def scatter_figure(
    x: np.ndarray,
    y: np.ndarray,
    *,
    title: str,
    x_label: str,
    y_label: str,
    color: np.ndarray | None = None,
    color_label: str = "",
    colorscale: str = "Viridis",
    color_range: tuple[float, float] | None = None,
    groups: Sequence[Any] | None = None,
    hover: Sequence[Any] | None = None,
    diagonal: tuple[float, float] | None = None,
    equal_axes: bool = False,
) -> dict[str, Any]:
    """A 2-D scatter as a plotly figure dict.

    Parameters
    ----------
    x, y : array, the points' coordinates (units in ``x_label``/``y_label``)
    color : array, optional, a continuous value per point, drawn with a colour bar titled ``color_label``
    groups : sequence, optional, a category per point (one legend entry per category)
    hover : sequence, optional, a label per point shown on hover (escaped)
    diagonal : (low, high), optional, draw the line y = x over this range
    equal_axes : bool, same scale on both axes (latent spaces)
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    text = hover_text(hover) if hover is not None else None
    traces: list[dict[str, Any]] = []
    marker: dict[str, Any] = {"size": 5, "opacity": 0.8}
    if groups is not None:
        labels = np.asarray([str(g) for g in groups])
        for name in sorted(set(labels)):
            keep = labels == name
            traces.append(
                {
                    "type": "scattergl" if len(x) > 5000 else "scatter",
                    "mode": "markers",
                    "name": html.escape(name),
                    "x": x[keep],
                    "y": y[keep],
                    "text": None
                    if text is None
                    else [t for t, k in zip(text, keep, strict=True) if k],
                    "marker": marker,
                }
            )
    else:
        if color is not None:
            marker = {
                **marker,
                "color": np.asarray(color, float),
                "colorscale": colorscale,
                "showscale": True,
                "colorbar": {"title": {"text": color_label}},
            }
            if color_range is not None:
                marker["cmin"], marker["cmax"] = color_range
        traces.append(
            {
                "type": "scattergl" if len(x) > 5000 else "scatter",
                "mode": "markers",
                "name": "",
                "x": x,
                "y": y,
                "text": text,
                "marker": marker,
                "showlegend": False,
            }
        )
    if diagonal is not None:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": list(diagonal),
                "y": list(diagonal),
                "line": {"color": "black", "width": 1},
                "name": "y = x",
                "hoverinfo": "skip",
            }
        )
    layout: dict[str, Any] = {
        **_LAYOUT,
        "title": {"text": html.escape(title)},
        "xaxis": {"title": {"text": x_label}},
        "yaxis": {"title": {"text": y_label}},
    }
    if equal_axes:
        layout["yaxis"]["scaleanchor"] = "x"
    return {"data": traces, "layout": layout}


def _plain(obj: Any) -> Any:
    """Numpy arrays and scalars to JSON lists and numbers (NaN to ``None``)."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist())
    if isinstance(obj, np.generic):
        return _plain(obj.item())
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def plotly_js() -> str:
    """The plotly.js bundle of the installed plotly package (for inlining, offline)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()
