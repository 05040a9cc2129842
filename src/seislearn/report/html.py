"""A small, self-contained HTML report: headings, tables, metrics and PNG figures.

Figures are embedded as base64 PNG so ``report.html`` can be mailed or opened
offline. Every text that comes from data is escaped.
"""

from __future__ import annotations

import base64
import html
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seislearn.runs import write_text_atomic

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;
color:#222;line-height:1.45}
h1{border-bottom:2px solid #345;padding-bottom:.3rem}h2{color:#345;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;
text-align:right}th{background:#eef}td:first-child,th:first-child{text-align:left}
figure{margin:1rem 0}figure img{max-width:100%;border:1px solid #ddd}
figcaption{color:#555;font-size:.9rem}.note{color:#555}pre{background:#f6f6f6;padding:.5rem}
"""


@dataclass
class Section:
    """One section of a report: a title, paragraphs, tables and figures, in that order."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, list[str], list[list[Any]]]] = field(default_factory=list)
    figures: list[tuple[Path, str]] = field(default_factory=list)

    def add_text(self, text: str) -> Section:
        """Add a paragraph (plain text; escaped)."""
        self.paragraphs.append(text)
        return self

    def add_table(self, caption: str, header: list[str], rows: list[list[Any]]) -> Section:
        """Add a table of values (floats are shown with 4 significant digits)."""
        self.tables.append((caption, header, rows))
        return self

    def add_metrics(self, caption: str, metrics: dict[str, Any]) -> Section:
        """Add a two-column table of scalar metrics (nested dicts are flattened)."""
        rows = [[k, v] for k, v in _flatten(metrics).items()]
        return self.add_table(caption, ["metric", "value"], rows)

    def add_figure(self, path: str | os.PathLike, caption: str = "") -> Section:
        """Add a PNG figure."""
        self.figures.append((Path(path), caption))
        return self


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif not isinstance(v, list | tuple):
            out[key] = v
    return out


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def render(title: str, sections: list[Section], subtitle: str = "") -> str:
    """Render the report as an HTML string."""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if subtitle:
        parts.append(f"<p class='note'>{html.escape(subtitle)}</p>")
    for sec in sections:
        parts.append(f"<h2>{html.escape(sec.title)}</h2>")
        parts += [f"<p>{html.escape(p)}</p>" for p in sec.paragraphs]
        for caption, header, rows in sec.tables:
            parts.append(f"<table><caption>{html.escape(caption)}</caption><tr>")
            parts += [f"<th>{html.escape(str(h))}</th>" for h in header]
            parts.append("</tr>")
            for row in rows:
                parts.append("<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in row) + "</tr>")
            parts.append("</table>")
        for path, caption in sec.figures:
            data = base64.b64encode(Path(path).read_bytes()).decode()
            parts.append(
                f"<figure><img alt='{html.escape(caption or path.name)}' "
                f"src='data:image/png;base64,{data}'>"
                f"<figcaption>{html.escape(caption)}</figcaption></figure>"
            )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(
    path: str | os.PathLike, title: str, sections: list[Section], subtitle: str = ""
) -> Path:
    """Write the report atomically and return its path."""
    return write_text_atomic(path, render(title, sections, subtitle))
