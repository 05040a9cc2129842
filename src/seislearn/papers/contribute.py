"""Contribute to the database: add validated entries to your own CSV, diff two versions."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from seislearn.errors import DataError
from seislearn.papers.clean import Problem, clean_record
from seislearn.papers.download import cache_dir
from seislearn.papers.load import PaperTable, load_papers, read_csv_rows
from seislearn.papers.schema import CSV_TO_FIELD, FIELD_TO_CSV, LIST_FIELDS, Paper

#: Problems that stop an entry from being added (the others are printed as warnings).
BLOCKING_KINDS: frozenset[str] = frozenset({"parse_error", "impossible_year", "missing_required"})

_TITLE_KEY = re.compile(r"[\W_]+")


def title_key(title: str) -> str:
    """A title reduced for matching: lower case, punctuation and spaces collapsed."""
    return _TITLE_KEY.sub(" ", title.casefold()).strip()


def entry_to_csv_row(entry: Paper) -> dict[str, str]:
    """An entry as CSV text in the source layout (lists as Python literals)."""
    row = {}
    for name, column in FIELD_TO_CSV.items():
        value = getattr(entry, name)
        if name in LIST_FIELDS:
            row[column] = repr(list(value))
        else:
            row[column] = "" if value is None else str(value)
    return row


def validate_entry(data: Any, number: int = 1) -> tuple[dict[str, str], list[Problem]]:
    """Check one JSON entry against the entry model, then run the cleaning checks on it.

    Returns
    -------
    row : dict of str to str
        The entry as a CSV row (clean values).
    problems : list of Problem
        Warnings that do not block the entry.

    Raises
    ------
    DataError
        With one line per bad field.
    """
    from pydantic import ValidationError

    if not isinstance(data, dict):
        raise DataError(f"entry {number} is not a JSON object")
    data = {"ref": "", **data}
    try:
        entry = Paper.model_validate(data)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise DataError(f"entry {number} is not valid:\n" + "\n".join(lines)) from None
    values, problems = clean_record(entry_to_csv_row(entry), row=None)
    blocking = [p for p in problems if p.kind in BLOCKING_KINDS]
    if blocking:
        lines = [f"  {p.field}: {p.message}" for p in blocking]
        raise DataError(f"entry {number} is not valid:\n" + "\n".join(lines))
    cleaned = Paper(ref="", **values)
    return entry_to_csv_row(cleaned), [p for p in problems if p.severity != "info"]


def add_entries(entry_path: str | Path, csv_path: str | Path) -> tuple[int, list[Problem]]:
    """Validate the entries in a JSON file and append them to the user's CSV.

    Parameters
    ----------
    entry_path : str or Path
        JSON with one entry object or a list of them (published JSON structure).
    csv_path : str or Path
        The user's own CSV; created with the header if missing. Never the cache.

    Returns
    -------
    added : int
    warnings : list of Problem
        Non-blocking problems (unknown labels, ...).
    """
    csv_path = Path(csv_path).expanduser()
    if csv_path.resolve().is_relative_to(cache_dir().resolve()):
        raise DataError(
            "entries are never added to the cache; copy the CSV elsewhere and add there",
            path=csv_path,
        )
    try:
        data = json.loads(Path(entry_path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read the entry: {exc}", path=entry_path) from exc
    items = data if isinstance(data, list) else [data]
    existing = read_csv_rows(csv_path) if csv_path.exists() else []
    seen = {title_key(row.get("title", "")): n for n, row in enumerate(existing, start=1)}
    rows, warnings = [], []
    for number, item in enumerate(items, start=1):
        row, found = validate_entry(item, number)
        key = title_key(row["title"])
        if key in seen:
            raise DataError(f"entry {number}: the title is already in row {seen[key]}")
        seen[key] = len(existing) + number
        rows.append(row)
        warnings.extend(found)
    _append_rows(csv_path, rows)
    return len(rows), warnings


def _append_rows(path: Path, rows: list[dict[str, str]]) -> None:
    newline = "\n"
    prefix = ""
    if path.exists() and path.stat().st_size:
        head = path.read_bytes()
        newline = "\r\n" if b"\r\n" in head[:4096] else "\n"
        # The published CSV has no final newline; start the new row on its own line.
        if not head.endswith((b"\n", b"\r")):
            prefix = newline
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_TO_FIELD), lineterminator=newline)
    if not path.exists() or not path.stat().st_size:
        writer.writeheader()
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8", newline="") as handle:
        handle.write(prefix + buffer.getvalue())


def _keyed(table: PaperTable) -> dict[str, Paper]:
    keyed: dict[str, Paper] = {}
    for paper in table.papers:
        key = title_key(paper.title)
        n = 2
        base = key
        while key in keyed:  # duplicate titles inside one version stay distinct
            key = f"{base} #{n}"
            n += 1
        keyed[key] = paper
    return keyed


def diff_tables(old: PaperTable | str | Path, new: PaperTable | str | Path) -> dict[str, Any]:
    """Papers added, removed and changed between two versions, matched by title.

    Returns
    -------
    dict
        ``{"added": [...], "removed": [...], "changed": [{"title", "ref", "changes":
        {field: [old, new]}}], "counts": {...}}``.
    """
    old_table = old if isinstance(old, PaperTable) else load_papers(old)
    new_table = new if isinstance(new, PaperTable) else load_papers(new)
    before, after = _keyed(old_table), _keyed(new_table)
    ignore = {"ref", "row", "raw"}
    changed = []
    for key in before.keys() & after.keys():
        a = before[key].model_dump(mode="json", exclude=ignore)
        b = after[key].model_dump(mode="json", exclude=ignore)
        changes = {f: [a[f], b[f]] for f in a if a[f] != b[f]}
        if changes:
            changed.append({"title": after[key].title, "ref": after[key].ref, "changes": changes})

    def brief(paper: Paper) -> dict[str, Any]:
        return {"title": paper.title, "ref": paper.ref, "year": paper.year}

    added = [brief(after[k]) for k in after if k not in before]
    removed = [brief(before[k]) for k in before if k not in after]
    changed.sort(key=lambda c: c["title"])
    return {
        "old": old_table.source,
        "new": new_table.source,
        "counts": {"added": len(added), "removed": len(removed), "changed": len(changed)},
        "added": added,
        "removed": removed,
        "changed": changed,
    }


def format_diff(result: dict[str, Any]) -> str:
    """A diff as text, one paper per line and one line per changed field."""
    counts = result["counts"]
    lines = [
        f"{result['old']} -> {result['new']}: {counts['added']} added, "
        f"{counts['removed']} removed, {counts['changed']} changed"
    ]
    for item in result["added"]:
        lines.append(f"+ {item['ref']}: {item['title']}")
    for item in result["removed"]:
        lines.append(f"- {item['ref']}: {item['title']}")
    for item in result["changed"]:
        lines.append(f"~ {item['ref']}: {item['title']}")
        for name, (a, b) in item["changes"].items():
            lines.append(f"    {name}: {a!r} -> {b!r}")
    return "\n".join(lines)
