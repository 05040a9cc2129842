"""The validation report: counts by kind, missing values by field, the problem list."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from seislearn.errors import DataError, RunExistsError
from seislearn.papers.clean import PROBLEM_KINDS, Problem
from seislearn.papers.load import PaperTable
from seislearn.papers.query import format_table
from seislearn.papers.safe_output import neutralise_formula
from seislearn.papers.schema import CSV_TO_FIELD

PROBLEM_COLUMNS: tuple[str, ...] = ("row", "field", "kind", "severity", "message", "raw", "clean")


def missing_counts(table: PaperTable) -> dict[str, int]:
    """Papers with no value in each field after cleaning (fields with none left out)."""
    counts: Counter[str] = Counter()
    for paper in table.papers:
        for name in CSV_TO_FIELD.values():
            if getattr(paper, name) in (None, [], ""):
                counts[name] += 1
    return {name: counts[name] for name in CSV_TO_FIELD.values() if counts[name]}


def format_report(
    table: PaperTable, show_info: bool = False, kinds: Sequence[str] = (), max_width: int = 70
) -> str:
    """The validation report as text.

    Parameters
    ----------
    table : PaperTable
    show_info : bool
        List the ``info`` problems (fixed by cleaning) one by one too.
    kinds : sequence of str
        List only these kinds (all kinds when empty).
    max_width : int
        Longest cell in the problem list, characters.
    """
    unknown = sorted(set(kinds) - set(PROBLEM_KINDS))
    if unknown:
        raise DataError(f"unknown problem kinds {unknown}; kinds are {list(PROBLEM_KINDS)}")
    counts = table.problem_counts()
    lines = [f"{len(table)} papers read from {table.source}", ""]
    summary = [
        [kind, PROBLEM_KINDS[kind][0], counts.get(kind, 0), PROBLEM_KINDS[kind][1]]
        for kind in PROBLEM_KINDS
    ]
    lines.append(format_table(["kind", "severity", "count", "meaning"], summary, max_width=90))
    missing = missing_counts(table)
    lines += ["", "papers with no value after cleaning, by field:"]
    lines.append(", ".join(f"{name} {n}" for name, n in missing.items()) or "none")
    if kinds:
        listed = [p for p in table.problems if p.kind in kinds]
    else:
        listed = [p for p in table.problems if show_info or p.severity != "info"]
    what = ", ".join(kinds) if kinds else ("all problems" if show_info else "errors and warnings")
    lines += ["", f"{len(listed)} problems listed ({what}); rows are 1-based data rows:"]
    rows = [[p.row, p.field, p.kind, p.message, p.raw] for p in listed]
    lines.append(format_table(["row", "field", "kind", "message", "raw"], rows, max_width))
    return "\n".join(lines)


def problems_csv(problems: Iterable[Problem]) -> str:
    """Problems as CSV text with :data:`PROBLEM_COLUMNS`."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=PROBLEM_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for problem in problems:
        # Values come from the CSV as typed: a spreadsheet must show them, never run them.
        writer.writerow(
            {
                k: neutralise_formula(v) if isinstance(v, str) else v
                for k, v in problem.to_dict().items()
            }
        )
    return buffer.getvalue()


def write_problems(problems: Iterable[Problem], path: str | Path, overwrite: bool = False) -> Path:
    """Write problems to ``.csv`` or ``.json``; never replaces a file unless asked."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise RunExistsError(f"{path} exists; pass --overwrite to replace it")
    if path.suffix.lower() == ".json":
        text = json.dumps([p.to_dict() for p in problems], ensure_ascii=False, indent=2) + "\n"
    elif path.suffix.lower() == ".csv":
        text = problems_csv(problems)
    else:
        raise DataError("the problem list is written as .csv or .json", path=path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
