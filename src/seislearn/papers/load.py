"""Read the database CSV into a cleaned, validated :class:`PaperTable`.

The CSV is read with the standard ``csv`` module, every cell as text, so the raw
value kept next to the clean one is exactly what the file holds.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seislearn.errors import DataError
from seislearn.papers.clean import Problem, clean_records, count_problems
from seislearn.papers.safe_output import restore_formula
from seislearn.papers.schema import CSV_TO_FIELD, Paper
from seislearn.papers.vocabulary import Vocabulary

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class PaperTable:
    """Cleaned papers with the problems found while cleaning them.

    Attributes
    ----------
    papers : list of Paper
    problems : list of Problem
    source : str or None
        The file the papers were read from.
    """

    papers: list[Paper]
    problems: list[Problem] = field(default_factory=list)
    source: str | None = None

    def __len__(self) -> int:
        return len(self.papers)

    def __iter__(self) -> Iterator[Paper]:
        return iter(self.papers)

    def problem_counts(self) -> dict[str, int]:
        """Number of problems of each kind."""
        return count_problems(self.problems)

    def to_frame(self, include_raw: bool = False) -> pd.DataFrame:
        """Return one row per paper; list fields stay Python lists.

        Parameters
        ----------
        include_raw : bool
            Add a ``raw_<field>`` column with the CSV text next to each clean column.
        """
        import pandas as pd

        records = []
        for paper in self.papers:
            record = paper.model_dump()
            if include_raw:
                for column, name in CSV_TO_FIELD.items():
                    record[f"raw_{name}"] = paper.raw.get(column, "")
            records.append(record)
        return pd.DataFrame.from_records(records)


def read_csv_rows(path: str | Path) -> list[dict[str, str]]:
    """Read a database CSV as text rows, checking its header.

    Raises
    ------
    DataError
        If the file cannot be read or lacks the database's columns.
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [c for c in CSV_TO_FIELD if c not in header]
            if missing:
                raise DataError(f"not a paper inventory CSV: missing columns {missing}", path=path)
            # An exported cell that would be a spreadsheet formula carries a leading "'".
            return [
                {k: restore_formula(v) if isinstance(v, str) else v for k, v in row.items()}
                for row in reader
            ]
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason})", path=path) from exc
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from exc
    except csv.Error as exc:
        raise DataError(f"malformed CSV: {exc}", path=path) from exc


def load_papers(path: str | Path, vocabulary: Vocabulary | None = None) -> PaperTable:
    """Read, clean and validate a database CSV (or a JSON / JSONL export of it).

    Parameters
    ----------
    path : str or Path
        ``paper_inventory_deep.csv``, ``paper_inventory_aggregated_allML.csv``, a CSV
        written by :func:`~seislearn.papers.export.write_csv`, or a ``.json`` /
        ``.jsonl`` export.
    vocabulary : Vocabulary, optional
        The cleaning table (the packaged one by default).

    Returns
    -------
    PaperTable
    """
    path = Path(path)
    if path.suffix.lower() in {".json", ".jsonl"}:
        return PaperTable(papers=read_json_papers(path), source=str(path))
    papers, problems = clean_records(read_csv_rows(path), vocabulary)
    return PaperTable(papers=papers, problems=problems, source=str(path))


def read_json_papers(path: str | Path) -> list[Paper]:
    """Read papers exported as JSON (a list) or JSONL (one object per line)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".jsonl":
            items: Sequence[Any] = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            items = json.loads(text)
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read papers JSON: {exc}", path=path) from exc
    from pydantic import ValidationError

    papers = []
    for number, item in enumerate(items, start=1):
        try:
            papers.append(Paper.model_validate(item))
        except ValidationError as exc:
            raise DataError(f"entry {number} is not a valid paper: {exc}", path=path) from exc
    return papers
