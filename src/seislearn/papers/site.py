"""Build the offline explorer page: figures plus a searchable, filterable table.

One HTML file holds everything: plotly.js (embedded once), the figures as JSON drawn
with ``Plotly.newPlot``, the papers as JSON, and the page's own script and style.
Data text never goes into the HTML markup: it travels as JSON in a
``<script type="application/json">`` block in which ``<``, ``>`` and ``&`` are
written as ``\\u003c``, ``\\u003e`` and ``\\u0026`` (so neither ``</script>`` nor
``<!--`` can end or confuse the block), and the page's script puts it into the
table with ``textContent``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from seislearn import __version__
from seislearn.errors import RunExistsError
from seislearn.papers.figures import (
    applications_sunburst,
    networks_sunburst,
    papers_per_year,
    task_network_heatmap,
)
from seislearn.papers.query import MISSING, crosstab
from seislearn.papers.schema import Paper

#: Columns of the explorer's table.
TABLE_COLUMNS: tuple[str, ...] = (
    "ref",
    "year",
    "title",
    "journal",
    "category",
    "sub_category_II",
    "task",
    "network_type",
    "network_name",
    "training_process",
    "data_type",
)

#: Readable names of the fields, for the filters and the table header.
FIELD_LABELS: dict[str, str] = {
    "ref": "Reference",
    "year": "Year",
    "title": "Title",
    "journal": "Journal",
    "category": "Category",
    "sub_category_I": "Sub-category I",
    "sub_category_II": "Sub-category II",
    "task": "Task",
    "network_type": "Network type",
    "network_name": "Network name",
    "training_process": "Training process",
    "data_type": "Data type",
}

#: Rows of the table shown per page.
PAGE_SIZE = 50

#: Fields offered as drop-down filters.
SELECT_FIELDS: tuple[str, ...] = (
    "category",
    "sub_category_I",
    "sub_category_II",
    "task",
    "network_type",
    "network_name",
    "training_process",
    "data_type",
)

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
<script>{plotly_js}</script>
</head>
<body>
<header>
<h1>{title}</h1>
<p>{n_papers} papers from {source}. Click a sector or a heatmap cell to filter the table;
hover a row to read its notes.</p>
</header>
<section class="figures">
<div id="fig-applications" class="figure"></div>
<div id="fig-networks" class="figure"></div>
<div id="fig-years" class="figure"></div>
<div id="fig-heatmap" class="figure"></div>
</section>
<section>
<div class="filters">
<label>Search title, notes and labels<input id="search" type="search"
  placeholder="e.g. phase picking transformer"></label>
<label>From year<input id="year-min" type="number" min="1900" max="2100"></label>
<label>To year<input id="year-max" type="number" min="1900" max="2100"></label>
{selects}
<button id="clear-filters" type="button">Clear filters</button>
</div>
<p><span id="count"></span><span id="sector-filter"></span></p>
<nav class="pager" data-page-size="{page_size}">
<button id="page-prev" type="button">&larr; previous</button>
<span id="page-label"></span>
<button id="page-next" type="button">next &rarr;</button>
</nav>
<table id="papers">
<thead><tr>{header}</tr></thead>
<tbody id="papers-body"></tbody>
</table>
</section>
<footer>Made by seislearn {version} on {when}. Data: Mousavi and Beroza (2022),
Deep-learning seismology, Science 377, eabm4470 (MIT licence).</footer>
<script type="application/json" id="papers-data">{payload}</script>
<script>{js}</script>
</body>
</html>
"""


def json_for_script(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` become ``\\u003c``, ``\\u003e`` and ``\\u0026``: still the
    same JSON for ``JSON.parse``, but no ``</script>`` or ``<!--`` can appear.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _package_text(name: str) -> str:
    return resources.files("seislearn.papers").joinpath(name).read_text(encoding="utf-8")


def _record(paper: Paper) -> dict[str, Any]:
    fields = set(TABLE_COLUMNS) | set(SELECT_FIELDS) | {"notes", "sub_category_I"}
    data = paper.model_dump(mode="json")
    return {k: data[k] for k in sorted(fields)}


def build_page(papers: Sequence[Paper], source: str = "the database", title: str | None = None):
    """Return the explorer page as HTML text, with the figures' sector counts.

    Returns
    -------
    html_text : str
    summary : dict
        ``{"papers": n, "sectors": {"applications": n, "networks": n}, "bytes": n}``.
    """
    import plotly.offline

    title = title or "Deep-learning seismology: literature explorer"
    apps_fig, apps_tree = applications_sunburst(papers)
    nets_fig, nets_tree = networks_sunburst(papers)
    tasks, types, _ = crosstab(papers, "task", "network_type")
    figures = {
        "fig-applications": apps_fig,
        "fig-networks": nets_fig,
        "fig-years": papers_per_year(papers),
        "fig-heatmap": task_network_heatmap(papers),
    }
    payload = {
        "columns": list(TABLE_COLUMNS),
        "missing": MISSING,
        "papers": [_record(p) for p in papers],
        "figures": {key: json.loads(fig.to_json()) for key, fig in figures.items()},
        "sectors": {
            "fig-applications": {
                "name": "applications",
                "levels": list(apps_tree.levels),
                "paths": dict(zip(apps_tree.ids, map(list, apps_tree.paths), strict=True)),
                "parents": dict(zip(apps_tree.ids, apps_tree.parents, strict=True)),
            },
            "fig-networks": {
                "name": "networks",
                "levels": list(nets_tree.levels),
                "paths": dict(zip(nets_tree.ids, map(list, nets_tree.paths), strict=True)),
                "parents": dict(zip(nets_tree.ids, nets_tree.parents, strict=True)),
            },
        },
        "heatmap": {
            "figure": "fig-heatmap",
            "levels": ["task", "network_type"],
            "rows": tasks,
            "columns": types,
        },
    }
    selects = "\n".join(
        f"<label>{html.escape(FIELD_LABELS.get(name, name))}"
        f'<select data-field="{html.escape(name)}">'
        '<option value="">any</option></select></label>'
        for name in SELECT_FIELDS
    )
    page = _PAGE.format(
        title=html.escape(title),
        css=_package_text("explorer.css"),
        plotly_js=plotly.offline.get_plotlyjs(),
        n_papers=len(papers),
        source=html.escape(source),
        selects=selects,
        header="".join(f"<th>{html.escape(FIELD_LABELS.get(c, c))}</th>" for c in TABLE_COLUMNS),
        page_size=PAGE_SIZE,
        version=html.escape(__version__),
        when=datetime.now(UTC).strftime("%Y-%m-%d"),
        payload=json_for_script(payload),
        js=_package_text("explorer.js"),
    )
    summary = {
        "papers": len(papers),
        "sectors": {"applications": len(apps_tree), "networks": len(nets_tree)},
        "sectors_per_ring": {
            "applications": apps_tree.sectors_per_ring(),
            "networks": nets_tree.sectors_per_ring(),
        },
        "bytes": len(page.encode("utf-8")),
    }
    return page, summary


def build_site(
    papers: Sequence[Paper],
    out_dir: str | Path,
    *,
    source: str = "the database",
    title: str | None = None,
    overwrite: bool = False,
) -> tuple[Path, dict[str, Any]]:
    """Write ``out_dir/index.html``, refusing to replace an existing one unless asked.

    Parameters
    ----------
    papers : sequence of Paper
    out_dir : str or Path
        Folder to write into (created if needed).
    source : str
        Where the papers came from, shown on the page.
    title : str, optional
        Page title.
    overwrite : bool
        Replace an existing ``index.html``.

    Returns
    -------
    path : Path
        The page written.
    summary : dict
        See :func:`build_page`.

    Raises
    ------
    RunExistsError
        If ``index.html`` exists and ``overwrite`` is false.
    """
    out = Path(out_dir)
    target = out / "index.html"
    if target.exists() and not overwrite:
        raise RunExistsError(f"{target} exists; pass --overwrite to replace it")
    page, summary = build_page(papers, source=source, title=title)
    out.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name("index.html.part")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target)
    return target, summary
