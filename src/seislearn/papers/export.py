"""Write papers as JSON, JSONL or CSV.

JSON and JSONL follow the database's published structure (``network_type``,
``architecture``, ``performance_metrice``, ...). CSV keeps the source layout (the
original column names, lists as Python literals) so that it loads back unchanged.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

from seislearn.errors import DataError, RunExistsError
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


def to_csv(papers: Iterable[Paper]) -> str:
    """Papers in the source CSV layout, with clean values.

    Lists are written as Python literals (``['CNN', 'FC']``), the form the source
    uses, and missing text as an empty cell.
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
        writer.writerow(row)
    return buffer.getvalue()


def render(papers: Iterable[Paper], fmt: str, include_raw: bool = False) -> str:
    """Papers as text in ``fmt`` (``json``, ``jsonl`` or ``csv``)."""
    if fmt == "json":
        return to_json(papers, include_raw)
    if fmt == "jsonl":
        return to_jsonl(papers, include_raw)
    if fmt == "csv":
        return to_csv(papers)
    raise DataError(f"unknown format {fmt!r}; choose from {list(FORMATS)}")


def write(
    papers: Iterable[Paper],
    path: str | Path,
    fmt: str | None = None,
    *,
    include_raw: bool = False,
    overwrite: bool = False,
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
    text = render(papers, fmt, include_raw)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
