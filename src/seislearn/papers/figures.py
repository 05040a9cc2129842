"""The database's figures as plotly figures: two sunbursts, papers per year, a heatmap.

Sunburst sizes count (paper, path) pairs: a paper with two tasks is counted once
under each, as in the published Figure 3. That keeps ``branchvalues="total"``
consistent (a parent is never smaller than the sum of its children). A paper whose
label is missing at some level stops at the level above.
"""

from __future__ import annotations

import html
import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from seislearn.papers.query import MISSING, count_by, crosstab, labels
from seislearn.papers.schema import Paper

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Levels of Figure 3a (applications) and Figure 3b (networks) of the paper.
APPLICATION_LEVELS: tuple[str, ...] = ("category", "sub_category_I", "sub_category_II", "task")
NETWORK_LEVELS: tuple[str, ...] = ("sub_category_II", "task", "network_type", "network_name")


@dataclass
class SunburstTree:
    """Sectors of a sunburst, parents before children.

    Attributes
    ----------
    levels : tuple of str
        Field of each ring, innermost first.
    ids : list of str
        ``s0``, ``s1``, ...: opaque, so no label text ends up in an id.
    paths : list of tuple of str
        Labels from the innermost ring to the sector.
    parents : list of str
        Parent id, ``""`` for the innermost ring.
    values : list of int
        (paper, path) pairs through the sector.
    papers : list of int
        Distinct papers in the sector.
    """

    levels: tuple[str, ...]
    ids: list[str] = field(default_factory=list)
    paths: list[tuple[str, ...]] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    values: list[int] = field(default_factory=list)
    papers: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def sectors_per_ring(self) -> list[int]:
        """Number of sectors in each ring, innermost first."""
        counts = Counter(len(p) for p in self.paths)
        return [counts[k] for k in range(1, len(self.levels) + 1)]


def paper_paths(paper: Paper, levels: Sequence[str]) -> list[tuple[str, ...]]:
    """All root-to-leaf label paths of one paper (lists expanded, missing levels cut)."""
    per_level = []
    for name in levels:
        found = [x for x in labels(paper, name) if x != MISSING]
        if not found:
            break
        per_level.append(found)
    if not per_level:
        return []
    return list(itertools.product(*per_level))


def sunburst_tree(papers: Iterable[Paper], levels: Sequence[str]) -> SunburstTree:
    """Count papers along the hierarchy ``levels`` into sunburst sectors."""
    values: Counter[tuple[str, ...]] = Counter()
    members: dict[tuple[str, ...], set[int]] = {}
    for index, paper in enumerate(papers):
        for path in paper_paths(paper, levels):
            for depth in range(1, len(path) + 1):
                prefix = path[:depth]
                values[prefix] += 1
                members.setdefault(prefix, set()).add(index)
    # Parents first, then by size, so the JSON reads like the figure.
    ordered = sorted(values, key=lambda p: (len(p), -values[p], p))
    tree = SunburstTree(levels=tuple(levels))
    id_of: dict[tuple[str, ...], str] = {}
    for number, path in enumerate(ordered):
        id_of[path] = f"s{number}"
        tree.ids.append(id_of[path])
        tree.paths.append(path)
        tree.parents.append(id_of[path[:-1]] if len(path) > 1 else "")
        tree.values.append(values[path])
        tree.papers.append(len(members[path]))
    return tree


def _plotly_text(label: str) -> str:
    """Escape a label for plotly, which reads a few HTML tags in text and decodes entities."""
    return html.escape(label, quote=False)


def sunburst_figure(tree: SunburstTree, title: str) -> go.Figure:
    """A plotly sunburst of ``tree`` with ``branchvalues="total"``."""
    import plotly.graph_objects as go

    trace = go.Sunburst(
        ids=tree.ids,
        labels=[_plotly_text(p[-1]) for p in tree.paths],
        parents=tree.parents,
        values=tree.values,
        customdata=tree.papers,
        branchvalues="total",
        hovertemplate="%{label}<br>%{customdata} papers<extra></extra>",
        insidetextorientation="radial",
        maxdepth=-1,
    )
    fig = go.Figure(trace)
    fig.update_layout(
        title={"text": _plotly_text(title)},
        margin={"t": 50, "l": 10, "r": 10, "b": 10},
        height=640,
    )
    return fig


def applications_sunburst(papers: Iterable[Paper]) -> tuple[go.Figure, SunburstTree]:
    """Figure 3a: category > sub_category_I > sub_category_II > task."""
    tree = sunburst_tree(papers, APPLICATION_LEVELS)
    return sunburst_figure(tree, "Applications: category > sub-category > task"), tree


def networks_sunburst(papers: Iterable[Paper]) -> tuple[go.Figure, SunburstTree]:
    """Figure 3b: sub_category_II > task > network type > network name."""
    tree = sunburst_tree(papers, NETWORK_LEVELS)
    return sunburst_figure(tree, "Networks: sub-category > task > type > name"), tree


def papers_per_year(papers: Iterable[Paper]) -> go.Figure:
    """Stacked bars of papers per year, coloured by network-type combination."""
    import plotly.graph_objects as go

    papers = [p for p in papers if p.year is not None]
    combos = count_by(papers, "network_type", combine=True)
    years = sorted({p.year for p in papers if p.year is not None})
    fig = go.Figure()
    for combo, _ in sorted(combos.items(), key=lambda kv: (-kv[1], kv[0])):
        per_year = Counter(
            p.year for p in papers if ("+".join(labels(p, "network_type")) or MISSING) == combo
        )
        fig.add_bar(name=_plotly_text(combo), x=years, y=[per_year[y] for y in years])
    fig.update_layout(
        barmode="stack",
        title={"text": "Papers per year by network type"},
        xaxis={"title": {"text": "year"}, "dtick": 2},
        yaxis={"title": {"text": "papers"}},
        height=460,
        margin={"t": 50, "l": 60, "r": 10, "b": 50},
    )
    return fig


def task_network_heatmap(papers: Iterable[Paper]) -> go.Figure:
    """Papers per task and network type (a paper counts in each of its cells)."""
    import plotly.graph_objects as go

    tasks, types, table = crosstab(papers, "task", "network_type")
    fig = go.Figure(
        go.Heatmap(
            z=table,
            x=[_plotly_text(t) for t in types],
            y=[_plotly_text(t) for t in tasks],
            colorscale="Viridis",
            hovertemplate="%{y} / %{x}: %{z} papers<extra></extra>",
            texttemplate="%{z}",
        )
    )
    fig.update_layout(
        title={"text": "Papers per task and network type"},
        yaxis={"autorange": "reversed"},
        height=max(420, 22 * len(tasks) + 120),
        margin={"t": 50, "l": 220, "r": 10, "b": 50},
    )
    return fig
