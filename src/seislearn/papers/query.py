"""Search, count and cross-tabulate papers.

Matching rules, the same everywhere (the explorer page uses them too):

- labels match case-insensitively and in full (``--task "phase picking"``);
- a list field matches if any of its labels matches;
- several values for one field mean OR; different fields mean AND;
- free text matches when every word occurs in the title or the notes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from seislearn.errors import DataError
from seislearn.papers.safe_output import strip_control
from seislearn.papers.schema import QUERY_FIELDS, Paper

#: Label written for a missing value in counts and figures.
MISSING = "(missing)"

#: Columns of the terminal table by default.
DEFAULT_COLUMNS: tuple[str, ...] = ("ref", "year", "task", "network_type", "network_name", "title")

SORT_KEYS: tuple[str, ...] = ("year", "ref", "title", "author", "journal", "category", "row")


@dataclass
class Query:
    """A search over papers.

    Attributes
    ----------
    filters : dict of str to list of str
        Field name -> accepted labels (OR within a field, AND across fields).
    year_min, year_max : int, optional
        Inclusive year range; papers with no year are left out when either is set.
    text : str, optional
        Words that must all occur in the title or the notes (case-insensitive).
    sort : str
        A field of :data:`SORT_KEYS`.
    descending : bool
    limit : int, optional
    """

    filters: dict[str, list[str]] = field(default_factory=dict)
    year_min: int | None = None
    year_max: int | None = None
    text: str | None = None
    sort: str = "year"
    descending: bool = False
    limit: int | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set(self.filters) - set(QUERY_FIELDS))
        if unknown:
            raise DataError(f"cannot filter on {unknown}; fields are {list(QUERY_FIELDS)}")
        if self.sort not in SORT_KEYS:
            raise DataError(f"cannot sort by {self.sort!r}; choose from {list(SORT_KEYS)}")

    def matches(self, paper: Paper) -> bool:
        """Tell whether one paper passes every filter."""
        for name, wanted in self.filters.items():
            if not wanted:
                continue
            accepted = {w.strip().casefold() for w in wanted}
            if not accepted & {label.casefold() for label in labels(paper, name)}:
                return False
        if self.year_min is not None or self.year_max is not None:
            if paper.year is None:
                return False
            if self.year_min is not None and paper.year < self.year_min:
                return False
            if self.year_max is not None and paper.year > self.year_max:
                return False
        if self.text:
            haystack = f"{paper.title} {paper.notes or ''}".casefold()
            if not all(word in haystack for word in self.text.casefold().split()):
                return False
        return True


def labels(paper: Paper, name: str) -> list[str]:
    """The labels of one field as strings; ``[]`` when missing."""
    value = paper.value(name)
    if value is None:
        return []
    if isinstance(value, list):
        return [MISSING if v is None else str(v) for v in value]
    return [str(value)]


def search(papers: Iterable[Paper], query: Query) -> list[Paper]:
    """Return the papers matching ``query``, sorted, at most ``query.limit`` of them."""
    found = [p for p in papers if query.matches(p)]

    def key(paper: Paper) -> tuple[bool, Any]:
        value = getattr(paper, query.sort)
        # Missing values sort last whichever the direction.
        missing = value is None
        return (missing != query.descending, value if not missing else 0)

    found.sort(key=key, reverse=query.descending)
    return found[: query.limit] if query.limit is not None else found


def count_by(papers: Iterable[Paper], name: str, combine: bool = False) -> Counter[str]:
    """Count papers by the labels of one field.

    Parameters
    ----------
    name : str
        Any field (``category``, ``task``, ``network_type``, ``year``, ...).
    combine : bool
        For list fields: count each combination once (``CNN+FC``) instead of
        counting the paper under each of its labels.

    Returns
    -------
    Counter
        Label -> number of papers; missing values under :data:`MISSING`.
    """
    if name not in QUERY_FIELDS:
        raise DataError(f"cannot count by {name!r}; fields are {list(QUERY_FIELDS)}")
    counts: Counter[str] = Counter()
    for paper in papers:
        found = labels(paper, name)
        if not found:
            counts[MISSING] += 1
        elif combine:
            counts["+".join(found)] += 1
        else:
            counts.update(dict.fromkeys(found, 1))
    return counts


def crosstab(
    papers: Iterable[Paper], rows: str, columns: str, combine: bool = False
) -> tuple[list[str], list[str], list[list[int]]]:
    """Count papers by two fields at once (a paper counts in every cell it belongs to).

    Returns
    -------
    row_labels, column_labels : list of str
        Sorted by total count, largest first.
    counts : list of list of int
        ``counts[i][j]`` papers with row label i and column label j.
    """
    papers = list(papers)
    pairs: Counter[tuple[str, str]] = Counter()
    for paper in papers:
        left = labels(paper, rows) or [MISSING]
        right = labels(paper, columns) or [MISSING]
        if combine:
            right = ["+".join(right)]
        for a in dict.fromkeys(left):
            for b in dict.fromkeys(right):
                pairs[a, b] += 1
    row_totals: Counter[str] = Counter()
    col_totals: Counter[str] = Counter()
    for (a, b), n in pairs.items():
        row_totals[a] += n
        col_totals[b] += n
    row_labels = [k for k, _ in sorted(row_totals.items(), key=lambda kv: (-kv[1], kv[0]))]
    col_labels = [k for k, _ in sorted(col_totals.items(), key=lambda kv: (-kv[1], kv[0]))]
    table = [[pairs[a, b] for b in col_labels] for a in row_labels]
    return row_labels, col_labels, table


def cell_text(value: object, width: int | None = None) -> str:
    """A value as one line of text for a table (lists joined with ``, ``)."""
    if value is None:
        text = ""
    elif isinstance(value, list):
        text = ", ".join("?" if v is None else str(v) for v in value)
    else:
        text = str(value)
    text = " ".join(strip_control(text, keep_newlines=False).split())
    if width is not None and len(text) > width:
        text = text[: max(width - 1, 0)] + "…"
    return text


def format_table(
    header: Sequence[str], rows: Sequence[Sequence[object]], max_width: int = 48
) -> str:
    """A plain-text table with aligned columns; long cells are cut at ``max_width``."""
    cells = [[cell_text(v, max_width) for v in row] for row in rows]
    widths = [len(h) for h in header]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def rows_for(papers: Sequence[Paper], columns: Sequence[str]) -> list[list[object]]:
    """Values of ``columns`` for each paper, in order."""
    unknown = [c for c in columns if c not in QUERY_FIELDS]
    if unknown:
        raise DataError(f"unknown columns {unknown}; fields are {list(QUERY_FIELDS)}")
    return [[p.value(c) for c in columns] for p in papers]


def counts_as_records(counts: Mapping[str, int], name: str) -> list[dict[str, Any]]:
    """Counts as ``[{name: label, "papers": n}, ...]``, largest first."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{name: label, "papers": n} for label, n in ordered]


def dumps(records: Any) -> str:
    """JSON text for the command line (UTF-8 kept readable)."""
    return json.dumps(records, ensure_ascii=False, indent=2)
