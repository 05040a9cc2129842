"""Clean and validate rows of the literature database, reporting every problem.

Cleaning never hides a change: each one is a :class:`Problem` with the row and the
field, and each :class:`~seislearn.papers.schema.Paper` keeps the untouched CSV text
in ``raw``. List cells are parsed with :func:`ast.literal_eval` (never ``eval``).
"""

from __future__ import annotations

import ast
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from seislearn.papers.schema import (
    CSV_TO_FIELD,
    LABEL_LIST_FIELDS,
    LIST_FIELDS,
    Paper,
    Scalar,
)
from seislearn.papers.vocabulary import Vocabulary, load_vocabulary

#: kind -> (severity, what it means). ``info`` problems are fixed by cleaning;
#: ``warning`` problems are kept as they are and need a human; ``error`` problems
#: left a value missing.
PROBLEM_KINDS: dict[str, tuple[str, str]] = {
    "parse_error": ("error", "a list cell is not a Python literal list; kept as one label"),
    "impossible_year": ("error", "the year is not a plausible publication year; set missing"),
    "missing_required": ("warning", "a field every paper should have is empty"),
    "duplicate_title": ("warning", "the same title (ignoring case and punctuation) twice"),
    "hierarchy_conflict": ("warning", "a label sits under more than one parent in the hierarchy"),
    "unknown_value": ("warning", "a label outside the field's closed vocabulary"),
    "stray_token": ("warning", "a leftover code such as 'C53' at the start of the notes; removed"),
    "length_mismatch": ("warning", "performance metrics and scores differ in number"),
    "placeholder": ("info", "a placeholder such as '?' became missing"),
    "whitespace": ("info", "stray spaces around a value were removed"),
    "spelling_variant": ("info", "a spelling variant was merged by the vocabulary table"),
    "list_order": ("info", "a label list was sorted into its canonical order"),
    "duplicate_label": ("info", "a label repeated within one list was kept once"),
}

#: Fields every paper should have.
REQUIRED_FIELDS: tuple[str, ...] = (
    "year",
    "title",
    "category",
    "sub_category_I",
    "sub_category_II",
    "task",
)

#: (child, parent) levels whose child should have exactly one parent. Only the task
#: level is checked: sub_category_I repeats under every category by design.
HIERARCHY_CHECKS: tuple[tuple[str, str], ...] = (("task", "sub_category_II"),)

#: Generic labels that may sit under any parent without being a conflict.
GENERIC_LABELS: frozenset[str] = frozenset({"Other"})

#: Cell values that mean "unknown". The empty list ``[]`` is handled as an empty list.
PLACEHOLDERS: frozenset[str] = frozenset({"?", "??", "-", "nan", "NaN", "None", "N/A"})

FIRST_YEAR = 1900
_STRAY_TOKEN = re.compile(r"^\s*C\d+\b\s*[-,:;]?\s*")
_TITLE_KEY = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Problem:
    """One problem found in one cell (or one row, for row-level checks).

    Attributes
    ----------
    row : int or None
        1-based data row of the CSV (the header is not counted).
    field : str
        Entry-model field name (``network_type``, not ``neuralNetwork_type``).
    kind : str
        A key of :data:`PROBLEM_KINDS`.
    message : str
        What is wrong, for a person.
    raw : str
        The value as the CSV had it (or the offending label).
    clean : str
        What cleaning made of it (``""`` when it became missing).
    """

    row: int | None
    field: str
    kind: str
    message: str
    raw: str = ""
    clean: str = ""

    @property
    def severity(self) -> str:
        """``error``, ``warning`` or ``info`` (see :data:`PROBLEM_KINDS`)."""
        return PROBLEM_KINDS[self.kind][0]

    def to_dict(self) -> dict[str, Any]:
        """Return the problem as a JSON-ready dict, with its severity."""
        return {**asdict(self), "severity": self.severity}


class _RowCleaner:
    """Cleans the cells of one row and collects the problems met on the way."""

    def __init__(self, row: int | None, vocabulary: Vocabulary) -> None:
        self.row = row
        self.vocabulary = vocabulary
        self.problems: list[Problem] = []

    def report(self, field: str, kind: str, message: str, raw: object = "", clean: object = ""):
        self.problems.append(Problem(self.row, field, kind, message, _text(raw), _text(clean)))

    def label(self, field: str, raw: str) -> str | None:
        """Strip, drop placeholders, merge variants and check the vocabulary."""
        value = raw.strip()
        if value != raw and value:
            self.report(field, "whitespace", "stray spaces removed", raw, value)
        if not value:
            return None
        if value in PLACEHOLDERS:
            self.report(field, "placeholder", f"placeholder {value!r} set missing", raw)
            return None
        canonical = self.vocabulary.canonical(field, value)
        if canonical != value:
            self.report(field, "spelling_variant", f"{value!r} merged into {canonical!r}", value)
            value = canonical
        if not self.vocabulary.is_known(field, value):
            self.report(field, "unknown_value", f"{value!r} is not a known {field}", value, value)
        return value

    def text(self, field: str, raw: str) -> str | None:
        value = self.label(field, raw)
        if field == "notes" and value is not None:
            match = _STRAY_TOKEN.match(value)
            if match:
                rest = value[match.end() :].strip() or None
                token = match.group(0).strip()
                self.report(field, "stray_token", f"leading token {token!r} removed", raw, rest)
                value = rest
        return value

    def year(self, raw: str) -> int | None:
        value = raw.strip()
        if not value or value in PLACEHOLDERS:
            return None
        latest = date.today().year + 1
        if value.isdigit() and FIRST_YEAR <= int(value) <= latest:
            return int(value)
        self.report(
            "year",
            "impossible_year",
            f"{value!r} is not a year between {FIRST_YEAR} and {latest}; set missing",
            raw,
        )
        return None

    def items(self, field: str, raw: str) -> list[Scalar | None]:
        """Parse a list cell and clean each element."""
        text = raw.strip()
        if not text or text in PLACEHOLDERS:
            if text:
                self.report(field, "placeholder", f"placeholder {text!r} set missing", raw)
            return []
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            self.report(field, "parse_error", "not a Python literal list", raw, [text])
            parsed = [text]
        if isinstance(parsed, tuple | set):
            parsed = list(parsed)
        if not isinstance(parsed, list):
            if not isinstance(parsed, str | int | float):
                self.report(field, "parse_error", "not a list of labels or numbers", raw)
                parsed = [str(parsed)]
            parsed = [parsed]
        values: list[Scalar | None] = []
        placeholders = 0
        for element in parsed:
            if element is None:
                # Already-clean data (our own CSV export) writes an unknown slot as None.
                if field not in LABEL_LIST_FIELDS:
                    values.append(None)
                continue
            if isinstance(element, bool) or not isinstance(element, str | int | float):
                self.report(field, "parse_error", f"element {element!r} kept as text", raw)
                element = str(element)
            if isinstance(element, str) and element.strip() in PLACEHOLDERS:
                placeholders += 1
                # In ordered lists a '?' still says "one layer of unknown size": keep the slot.
                if field not in LABEL_LIST_FIELDS:
                    values.append(None)
            elif isinstance(element, str):
                cleaned = self.label(field, element)
                if cleaned is not None:
                    values.append(cleaned)
            else:
                values.append(element)
        if placeholders:
            what = "dropped" if field in LABEL_LIST_FIELDS else "set to null in place"
            message = f"{placeholders} placeholder element(s) {what}"
            self.report(field, "placeholder", message, raw, values)
        if field in LABEL_LIST_FIELDS:
            return self._canonical_labels(field, raw, [v for v in values if v is not None])
        return values

    def _canonical_labels(
        self, field: str, raw: str, values: list[Scalar | None]
    ) -> list[Scalar | None]:
        labels = [str(v) for v in values]
        unique = list(dict.fromkeys(labels))
        if len(unique) != len(labels):
            repeated = sorted(k for k, n in Counter(labels).items() if n > 1)
            self.report(field, "duplicate_label", f"repeated {repeated} kept once", raw, unique)
        ordered = sorted(unique, key=str.casefold)
        if ordered != unique:
            self.report(field, "list_order", "labels sorted into canonical order", raw, ordered)
        return list(ordered)


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else repr(value)


def clean_record(
    raw: Mapping[str, str], row: int | None = None, vocabulary: Vocabulary | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """Clean one CSV row.

    Parameters
    ----------
    raw : mapping of str to str
        The row as text, keyed by CSV column name; missing columns count as empty.
    row : int, optional
        1-based data row number, used in the problems.
    vocabulary : Vocabulary, optional
        The cleaning table (the packaged one by default).

    Returns
    -------
    values : dict
        Clean values keyed by entry-model field name (without ``ref``).
    problems : list of Problem
        Everything found in the row's cells.
    """
    cleaner = _RowCleaner(row, vocabulary or load_vocabulary())
    values: dict[str, Any] = {}
    for column, field in CSV_TO_FIELD.items():
        cell = raw.get(column) or ""
        if field == "year":
            values[field] = cleaner.year(cell)
        elif field in LIST_FIELDS:
            values[field] = cleaner.items(field, cell)
        else:
            values[field] = cleaner.text(field, cell)
    metrics, scores = values["performance_metric"], values["performance_score"]
    if metrics and scores and len(metrics) != len(scores):
        cleaner.report(
            "performance_score",
            "length_mismatch",
            f"{len(metrics)} metrics but {len(scores)} scores",
            raw.get("performance_score", ""),
        )
    for field in REQUIRED_FIELDS:
        if values[field] in (None, []) and not any(
            p.field == field and p.kind == "impossible_year" for p in cleaner.problems
        ):
            cleaner.report(field, "missing_required", f"{field} is empty", raw.get(field, ""))
    values["title"] = values["title"] or ""
    return values, cleaner.problems


def make_refs(papers: Sequence[Mapping[str, Any]]) -> list[str]:
    """Build ``<Author>_<year>`` references, unique by ``_b``, ``_c``, ... suffixes."""
    bases = [f"{(p.get('author') or 'Unknown').split()[0]}_{p.get('year') or 'nd'}" for p in papers]
    seen: Counter[str] = Counter()
    refs = []
    for base in bases:
        seen[base] += 1
        n = seen[base]
        refs.append(base if n == 1 else f"{base}_{_letters(n)}")
    return refs


def _letters(n: int) -> str:
    """1 -> a, 2 -> b, ..., 27 -> aa."""
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(ord("a") + rem) + out
    return out


def find_duplicate_titles(papers: Sequence[Paper]) -> list[Problem]:
    """Report each paper whose title repeats an earlier one (ignoring case and punctuation)."""
    groups: dict[str, list[Paper]] = defaultdict(list)
    for paper in papers:
        key = _TITLE_KEY.sub(" ", paper.title.casefold()).strip()
        if key:
            groups[key].append(paper)
    problems = []
    for group in groups.values():
        rows = [p.row for p in group]
        for paper in group[1:]:
            problems.append(
                Problem(
                    paper.row,
                    "title",
                    "duplicate_title",
                    f"same title as row {group[0].row} (rows {rows})",
                    paper.title,
                    paper.title,
                )
            )
    return problems


def find_hierarchy_conflicts(
    papers: Sequence[Paper], checks: Iterable[tuple[str, str]] = HIERARCHY_CHECKS
) -> list[Problem]:
    """Report labels found under more than one parent.

    Each paper whose (label, parent) pair is not the label's most frequent one gets
    a problem naming all the parents with their counts, so the reviewer sees the
    likely intended parent next to the odd one.
    """
    problems = []
    for child, parent in checks:
        pairs: dict[str, Counter[str]] = defaultdict(Counter)
        for paper in papers:
            for label in _labels(paper, child):
                for up in _labels(paper, parent):
                    pairs[label][up] += 1
        for paper in papers:
            for label in _labels(paper, child):
                parents = pairs[label]
                if len(parents) < 2 or label in GENERIC_LABELS:
                    continue
                usual = parents.most_common(1)[0][0]
                for up in _labels(paper, parent):
                    if up == usual:
                        continue
                    listing = ", ".join(f"{k!r} ({n})" for k, n in parents.most_common())
                    problems.append(
                        Problem(
                            paper.row,
                            child,
                            "hierarchy_conflict",
                            f"{child} {label!r} is under {parent} {up!r} here; "
                            f"its parents are {listing}",
                            label,
                            label,
                        )
                    )
    return problems


def _labels(paper: Paper, field: str) -> list[str]:
    value = getattr(paper, field)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def clean_records(
    rows: Iterable[Mapping[str, str]], vocabulary: Vocabulary | None = None, first_row: int = 1
) -> tuple[list[Paper], list[Problem]]:
    """Clean all rows of a table and run the checks that need the whole table.

    Parameters
    ----------
    rows : iterable of mapping
        CSV rows as text keyed by column name.
    vocabulary : Vocabulary, optional
        The cleaning table.
    first_row : int
        Number given to the first row (1 = first data row).

    Returns
    -------
    papers : list of Paper
    problems : list of Problem
        Sorted by row, then field.
    """
    vocabulary = vocabulary or load_vocabulary()
    cleaned, problems = [], []
    raws = []
    for number, raw in enumerate(rows, start=first_row):
        values, found = clean_record(raw, number, vocabulary)
        values["row"] = number
        cleaned.append(values)
        raws.append({k: ("" if v is None else str(v)) for k, v in raw.items()})
        problems.extend(found)
    refs = make_refs(cleaned)
    papers = [
        Paper(ref=ref, raw=raw, **values)
        for ref, raw, values in zip(refs, raws, cleaned, strict=True)
    ]
    problems.extend(find_duplicate_titles(papers))
    problems.extend(find_hierarchy_conflicts(papers))
    problems.sort(key=lambda p: (p.row or 0, p.field, p.kind))
    return papers, problems


def count_problems(problems: Iterable[Problem]) -> dict[str, int]:
    """Count problems by kind, in the order of :data:`PROBLEM_KINDS`."""
    counts = Counter(p.kind for p in problems)
    return {kind: counts[kind] for kind in PROBLEM_KINDS if counts[kind]}
