"""The reviewable cleaning table: spelling variants and closed vocabularies.

The table lives in ``vocabulary.json`` next to this module, so a reviewer reads one
file to see every merge the cleaning makes. A user may pass their own table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from seislearn.errors import DataError
from seislearn.papers.schema import QUERY_FIELDS


@dataclass(frozen=True)
class Vocabulary:
    """Spelling variants and known labels, by entry-model field name.

    Attributes
    ----------
    synonyms : dict of str to dict of str to str
        ``synonyms[field][variant] = canonical``; looked up after stripping spaces.
    known : dict of str to frozenset of str
        The closed vocabularies; a label outside them is reported, not dropped.
    """

    synonyms: dict[str, dict[str, str]] = field(default_factory=dict)
    known: dict[str, frozenset[str]] = field(default_factory=dict)

    def canonical(self, field_name: str, label: str) -> str:
        """Return the canonical spelling of ``label`` (itself if not a listed variant)."""
        return self.synonyms.get(field_name, {}).get(label, label)

    def is_known(self, field_name: str, label: str) -> bool:
        """Tell whether ``label`` is allowed (always true for open vocabularies)."""
        allowed = self.known.get(field_name)
        return allowed is None or label in allowed


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """Read a cleaning table (the packaged ``vocabulary.json`` by default).

    Parameters
    ----------
    path : str or Path, optional
        A JSON file with ``"synonyms"`` and ``"known"`` objects.

    Raises
    ------
    DataError
        If the file is not valid JSON or names a field the entry model lacks.
    """
    if path is None:
        text = resources.files("seislearn.papers").joinpath("vocabulary.json").read_text("utf-8")
        where = "seislearn/papers/vocabulary.json"
    else:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise DataError(f"cannot read the vocabulary: {exc.strerror}", path=path) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"not valid JSON: {exc}", path=where) from exc
    synonyms = {str(k): {str(a): str(b) for a, b in v.items()} for k, v in data["synonyms"].items()}
    known = {str(k): frozenset(str(x) for x in v) for k, v in data["known"].items()}
    unknown_fields = sorted((set(synonyms) | set(known)) - set(QUERY_FIELDS))
    if unknown_fields:
        raise DataError(f"the vocabulary names unknown fields {unknown_fields}", path=where)
    return Vocabulary(synonyms=synonyms, known=known)
