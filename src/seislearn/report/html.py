"""A self-contained HTML report: contents, a summary of results, tables and figures.

One page, offline: PNG figures are embedded as base64, interactive figures
(see :mod:`seislearn.report.interactive`) are drawn by plotly.js inlined once.
At the top, a table of contents and a summary that sets each workflow's
headline metric next to its classic baseline (green where the method wins, red
where it loses, grey for a tie at the shown precision). Every text that comes
from data is escaped.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from seislearn.report.interactive import load_interactive, plotly_js
from seislearn.report.labels import (
    Percent,
    as_display,
    column_decimals,
    format_number,
    metric_label,
)
from seislearn.runs import write_text_atomic

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:1.5rem auto;max-width:1100px;
padding:0 1rem;color:#222;line-height:1.45}
h1{border-bottom:2px solid #345;padding-bottom:.3rem;margin-bottom:.3rem}
h2{color:#345;margin-top:2.2rem;border-bottom:1px solid #ccd}
nav.toc{background:#f5f7fa;border:1px solid #dde;padding:.4rem 1rem;margin:1rem 0}
nav.toc ol{margin:.3rem 0;padding-left:1.4rem}nav.toc h2{margin:.3rem 0;border:0;font-size:1.1rem}
.tablewrap{overflow-x:auto;margin:.6rem 0}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .6rem;
text-align:left;vertical-align:top}th{background:#eef}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
caption{text-align:left;font-weight:600;padding:.2rem 0}
table.summary td.win{background:#d9f2d9;color:#135213}
table.summary td.loss{background:#f8d7d7;color:#7a1212}
table.summary td.tie{background:#eee;color:#444}
figure{margin:1.2rem 0}figure img{max-width:100%;height:auto;border:1px solid #ddd}
.plotly-figure{width:100%;min-height:420px;border:1px solid #ddd}
figcaption{color:#444;font-size:.92rem;max-width:60rem}.note{color:#555}
pre{background:#f6f6f6;padding:.5rem;overflow-x:auto}
"""

_DRAW = """
document.querySelectorAll('script.plotly-data').forEach(function (el) {
  var fig = JSON.parse(el.textContent);
  var target = document.getElementById(el.dataset.target);
  Plotly.newPlot(target, fig.data, fig.layout || {}, {responsive: true, displaylogo: false});
});
"""


@dataclass
class Headline:
    """One workflow's headline result next to its classic baseline, for the report summary.

    Parameters
    ----------
    workflow : str, the workflow (``azimuth``, ``cluster``, ...)
    metric : str, what is measured, with its unit (``mean abs. error (deg)``)
    method : str, the method's name
    value : float, the method's score
    baseline : str, the baseline's name
    baseline_value : float, the baseline's score
    higher_is_better : bool
    note : str, a sentence that says what the comparison means (shown in the summary)
    percent : bool, show the values as percentages
    """

    workflow: str
    metric: str
    method: str
    value: float
    baseline: str
    baseline_value: float
    higher_is_better: bool
    note: str = ""
    percent: bool = False

    def _shown(self) -> tuple[str, str]:
        values: list[Any] = [float(self.value), float(self.baseline_value)]
        if self.percent:
            values = [Percent(v) for v in values]
        decimals = column_decimals(values)
        return format_number(values[0], decimals), format_number(values[1], decimals)

    @property
    def verdict(self) -> str:
        """``win``, ``loss`` or ``tie`` (equal at the shown precision)."""
        shown, shown_baseline = self._shown()
        if shown == shown_baseline:
            return "tie"
        better = self.value > self.baseline_value
        return "win" if better == self.higher_is_better else "loss"


@dataclass
class Section:
    """One section of a report: a title, paragraphs, tables and figures, in that order."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, list[str], list[list[Any]]]] = field(default_factory=list)
    figures: list[tuple[Path, str]] = field(default_factory=list)
    headlines: list[Headline] = field(default_factory=list)

    def add_text(self, text: str) -> Section:
        """Add a paragraph (plain text; escaped)."""
        self.paragraphs.append(text)
        return self

    def add_table(self, caption: str, header: list[str], rows: list[list[Any]]) -> Section:
        """Add a table; the floats of a column share one precision, percentages show ``%``."""
        self.tables.append((caption, header, rows))
        return self

    def add_metrics(self, caption: str, metrics: dict[str, Any]) -> Section:
        """Add a two-column table of scalar metrics (nested dicts are flattened, keys named)."""
        rows = [
            [" / ".join(metric_label(p) for p in key), as_display(key[-1], v)]
            for key, v in _flatten(metrics).items()
        ]
        return self.add_table(caption, ["metric", "value"], rows)

    def add_figure(self, path: str | os.PathLike, caption: str = "") -> Section:
        """Add a figure (PNG; drawn interactively when it has a ``.plotly.json`` twin)."""
        self.figures.append((Path(path), caption))
        return self

    def add_headline(self, headline: Headline) -> Section:
        """Add a headline result for the summary at the top of the report."""
        self.headlines.append(headline)
        return self

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (see :meth:`from_dict`)."""
        return {
            "title": self.title,
            "paragraphs": self.paragraphs,
            "tables": [
                [caption, header, [[_cell_to_json(v) for v in row] for row in rows]]
                for caption, header, rows in self.tables
            ],
            "figures": [[str(p), c] for p, c in self.figures],
            "headlines": [asdict(h) for h in self.headlines],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Section:
        """The section written by :meth:`to_dict`."""
        return cls(
            title=str(d["title"]),
            paragraphs=[str(p) for p in d.get("paragraphs", [])],
            tables=[
                (str(c), [str(h) for h in header], [[_cell_from_json(v) for v in r] for r in rows])
                for c, header, rows in d.get("tables", [])
            ],
            figures=[(Path(p), str(c)) for p, c in d.get("figures", [])],
            headlines=[Headline(**h) for h in d.get("headlines", [])],
        )


def _cell_to_json(value: Any) -> Any:
    if isinstance(value, Percent):
        return {"percent": float(value)}
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def _cell_from_json(value: Any) -> Any:
    if isinstance(value, dict) and "percent" in value:
        return Percent(value["percent"])
    return value


def _flatten(d: dict[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    out: dict[tuple[str, ...], Any] = {}
    for k, v in d.items():
        key = (*prefix, str(k))
        if isinstance(v, dict):
            out.update(_flatten(v, key))
        elif not isinstance(v, list | tuple):
            out[key] = v
    return out


def slug(text: str) -> str:
    """An HTML id from a title (lowercase letters, digits and hyphens)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _num_class(value: Any) -> str:
    """`` class='num'`` for numbers (right-aligned), nothing for text."""
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    return " class='num'" if numeric else ""


def _table_html(caption: str, header: list[str], rows: list[list[Any]]) -> list[str]:
    n_cols = max([len(header), *(len(r) for r in rows)]) if rows or header else 0
    decimals = [column_decimals(r[j] for r in rows if j < len(r)) for j in range(n_cols)]
    parts = ["<div class='tablewrap'><table>"]
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append("<tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in header) + "</tr>")
    for row in rows:
        cells = "".join(
            f"<td{_num_class(v)}>{html.escape(format_number(v, decimals[j]))}</td>"
            for j, v in enumerate(row)
        )
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</table></div>")
    return parts


def _summary_html(headlines: list[Headline]) -> list[str]:
    parts = [
        "<div class='tablewrap'><table class='summary'><caption>each workflow's headline "
        "metric, method vs classic baseline (green: the method is better, red: worse, grey: "
        "equal at this precision)</caption><tr><th>workflow</th><th>metric</th><th>method</th>"
        "<th>score</th><th>baseline</th><th>score</th><th>verdict</th><th>what it means</th></tr>"
    ]
    words = {"win": "method better", "loss": "baseline better", "tie": "tie"}
    for h in headlines:
        shown, shown_baseline = h._shown()
        verdict = h.verdict
        parts.append(
            "<tr>"
            + "".join(f"<td>{html.escape(str(v))}</td>" for v in (h.workflow, h.metric, h.method))
            + f"<td class='num {verdict}'>{html.escape(shown)}</td>"
            + f"<td>{html.escape(h.baseline)}</td>"
            + f"<td class='num'>{html.escape(shown_baseline)}</td>"
            + f"<td class='{verdict}'>{words[verdict]}</td>"
            + f"<td>{html.escape(h.note)}</td></tr>"
        )
    parts.append("</table></div>")
    return parts


def _figure_html(path: Path, caption: str, number: int, plots: list[dict[str, Any]]) -> str:
    label = f"Figure {number}. " if caption else f"Figure {number}."
    figcaption = f"<figcaption><b>{label}</b>{html.escape(caption)}</figcaption>"
    interactive = load_interactive(path)
    fig_id = f"figure-{number}"
    if interactive is not None:
        plots.append(interactive)
        data = (
            json.dumps(interactive)
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
        )
        return (
            f"<figure id='{fig_id}'><div class='plotly-figure' id='{fig_id}-plot'></div>"
            f"<script type='application/json' class='plotly-data' data-target='{fig_id}-plot'>"
            f"{data}</script>{figcaption}</figure>"
        )
    encoded = base64.b64encode(path.read_bytes()).decode()
    return (
        f"<figure id='{fig_id}'><img alt='{html.escape(caption or path.name, quote=True)}' "
        f"src='data:image/png;base64,{encoded}'>{figcaption}</figure>"
    )


def render(title: str, sections: list[Section], subtitle: str = "") -> str:
    """Render the report as an HTML string."""
    ids: list[str] = []
    for sec in sections:
        base = slug(sec.title)
        candidate, k = base, 2
        while candidate in ids or candidate in ("contents", "summary"):
            candidate, k = f"{base}-{k}", k + 1
        ids.append(candidate)
    headlines = [h for sec in sections for h in sec.headlines]
    body: list[str] = [f"<h1>{html.escape(title)}</h1>"]
    if subtitle:
        body.append(f"<p class='note'>{html.escape(subtitle)}</p>")
    toc = ["<nav class='toc'><h2 id='contents'>Contents</h2><ol>"]
    if headlines:
        toc.append("<li><a href='#summary'>Summary</a></li>")
    toc += [
        f"<li><a href='#{sid}'>{html.escape(sec.title)}</a></li>"
        for sid, sec in zip(ids, sections, strict=True)
    ]
    toc.append("</ol></nav>")
    body += toc
    if headlines:
        body.append("<section><h2 id='summary'>Summary</h2>")
        body += _summary_html(headlines)
        body.append("</section>")
    plots: list[dict[str, Any]] = []
    number = 0
    for sid, sec in zip(ids, sections, strict=True):
        body.append(f"<section><h2 id='{sid}'>{html.escape(sec.title)}</h2>")
        body += [f"<p>{html.escape(p)}</p>" for p in sec.paragraphs]
        for caption, header, rows in sec.tables:
            body += _table_html(caption, header, rows)
        for path, caption in sec.figures:
            number += 1
            body.append(_figure_html(path, caption, number, plots))
        body.append("</section>")
    head = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style>",
    ]
    if plots:
        head.append(f"<script>{plotly_js()}</script>")
    head.append("</head><body>")
    tail = [f"<script>{_DRAW}</script>"] if plots else []
    return "\n".join([*head, *body, *tail, "</body></html>"])


def write_report(
    path: str | os.PathLike, title: str, sections: list[Section], subtitle: str = ""
) -> Path:
    """Write the report atomically and return its path."""
    return write_text_atomic(path, render(title, sections, subtitle))
