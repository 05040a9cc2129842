"""Write papers as JSON, JSONL or CSV.

JSON and JSONL follow the database's published structure (``network_type``,
``architecture``, ``performance_metrice``, ...). CSV keeps the source layout (the
original column names, lists as Python literals) so that it loads back
unchanged, except that a cell a spreadsheet would run as a formula (starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading ``'``
unless ``keep_formulas`` (see :mod:`seislearn.papers.safe_output`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

from seislearn.errors import DataError, RunExistsError
from seislearn.papers.safe_output import neutralise_formula
from seislearn.papers.schema import CSV_TO_FIELD, Paper

FORMATS: tuple[str, ...] = ("json", "jsonl", "csv")


def to_json(papers: Iterable[Paper], include_raw: bool = False) -> str:
    """Papers as one JSON array, indented."""
    items = [p.to_json_dict(include_raw=include_raw) for p in papers]
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def to_jsonl(papers: Iterable[Paper], include_raw: bool = False) -> str:
    """Papers as JSON Lines, one paper per line."""
    lines = [
        json.dumps(p.to_json_dict(include_raw=include_raw), ensure_ascii=False) for p in papers
    ]
    return "".join(line + "\n" for line in lines)


def to_csv(papers: Iterable[Paper], keep_formulas: bool = False) -> str:
    """Papers in the source CSV layout, with clean values.

    Lists are written as Python literals (``['CNN', 'FC']``), the form the source
    uses, and missing text as an empty cell; line breaks in a cell are written
    as ``\\n``. A cell starting like a spreadsheet formula gets a leading ``'``
    unless ``keep_formulas``.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_TO_FIELD)
    for paper in papers:
        row = []
        for name in CSV_TO_FIELD.values():
            value = getattr(paper, name)
            if isinstance(value, list):
                row.append(repr(value))
            else:
                row.append("" if value is None else str(value))
        # A bare carriage return is not quoted by the csv module with "\n" line ends, and
        # would split the row when read back: line breaks in a cell are written as "\n".
        row = [c.replace("\r\n", "\n").replace("\r", "\n") for c in row]
        writer.writerow(row if keep_formulas else [neutralise_formula(c) for c in row])
    return buffer.getvalue()


def render(
    papers: Iterable[Paper], fmt: str, include_raw: bool = False, keep_formulas: bool = False
) -> str:
    """Papers as text in ``fmt`` (``json``, ``jsonl`` or ``csv``)."""
    if fmt == "json":
        return to_json(papers, include_raw)
    if fmt == "jsonl":
        return to_jsonl(papers, include_raw)
    if fmt == "csv":
        return to_csv(papers, keep_formulas)
    raise DataError(f"unknown format {fmt!r}; choose from {list(FORMATS)}")


def write(
    papers: Iterable[Paper],
    path: str | Path,
    fmt: str | None = None,
    *,
    include_raw: bool = False,
    overwrite: bool = False,
    keep_formulas: bool = False,
) -> Path:
    """Write papers to ``path``; the format defaults to the file's suffix.

    Raises
    ------
    RunExistsError
        If ``path`` exists and ``overwrite`` is false.
    """
    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".").lower()
    if path.exists() and not overwrite:
        raise RunExistsError(f"{path} exists; pass --overwrite to replace it")
    from seislearn.runs import write_text_atomic

    return write_text_atomic(path, render(papers, fmt, include_raw, keep_formulas))
