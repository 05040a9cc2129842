"""The typed entry model of the literature database and its mapping from the CSV.

The published JSON structure of the database (dl_seismology ``docs/index.md``) uses
other names than the CSV header (``network_type`` for ``neuralNetwork_type``,
``architecture`` for ``hiddenLayers``, ...). :data:`CSV_TO_FIELD` is the one place
where the two meet. The JSON keeps the database's own spelling
``performance_metrice``; the Python attribute is ``performance_metric``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: CSV column name -> entry-model field name, in CSV column order.
CSV_TO_FIELD: dict[str, str] = {
    "author": "author",
    "year": "year",
    "category": "category",
    "sub_category_I": "sub_category_I",
    "sub_category_II": "sub_category_II",
    "task": "task",
    "sub_task": "sub_task",
    "title": "title",
    "journal": "journal",
    "ml_type": "ml_type",
    "neuralNetwork_type": "network_type",
    "neuralNetwork_name": "network_name",
    "hiddenLayers": "architecture",
    "training_process": "training_process",
    "inputs": "inputs",
    "outputs": "outputs",
    "data_domain": "data_domain",
    "data_type": "data_type",
    "data_size": "data_size",
    "performance_metrice": "performance_metric",
    "performance_score": "performance_score",
    "baseline": "baseline",
    "notes": "notes",
}

#: Entry-model field name -> CSV column name.
FIELD_TO_CSV: dict[str, str] = {field: column for column, field in CSV_TO_FIELD.items()}

#: Fields stored in the CSV as Python-literal lists (``"['CNN', 'FC']"``).
LIST_FIELDS: tuple[str, ...] = (
    "task",
    "ml_type",
    "network_type",
    "network_name",
    "architecture",
    "training_process",
    "inputs",
    "outputs",
    "data_domain",
    "data_type",
    "data_size",
    "performance_metric",
    "performance_score",
    "baseline",
)

#: List fields that are sets of labels: their order carries no meaning, so they are
#: sorted into one canonical form. The others keep their order because it matters
#: (layer sizes follow the network; metric i goes with score i; data sizes with data types).
LABEL_LIST_FIELDS: tuple[str, ...] = (
    "task",
    "ml_type",
    "network_type",
    "network_name",
    "training_process",
    "data_domain",
    "data_type",
    "baseline",
)

#: Single-valued text fields.
TEXT_FIELDS: tuple[str, ...] = (
    "author",
    "category",
    "sub_category_I",
    "sub_category_II",
    "sub_task",
    "title",
    "journal",
    "notes",
)

#: The application hierarchy, from the root down.
HIERARCHY: tuple[str, ...] = ("category", "sub_category_I", "sub_category_II", "task", "sub_task")

Scalar = int | float | str
#: An element of an ordered list; ``None`` keeps the place of a '?' (a layer of unknown size).
OptionalScalar = int | float | str | None


class Paper(BaseModel):
    """One paper of the database, cleaned.

    Field names follow the database's published JSON structure; ``author``,
    ``year`` and ``row`` are added because the CSV has them and queries need them.
    Missing values are ``None`` (text) or ``[]`` (lists).

    Attributes
    ----------
    ref : str
        ``<Author>_<year>``, with ``_b``, ``_c``, ... appended when two papers share it.
    row : int or None
        1-based data row in the source CSV (the header is not counted); ``None`` for
        entries that did not come from a CSV.
    raw : dict of str to str
        The source CSV text of every column, untouched, so that each cleaned value
        can be checked against what the file said. Not exported unless asked.
    """

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    ref: str
    row: int | None = None
    author: str | None = None
    year: int | None = None
    title: str
    journal: str | None = None
    category: str | None = None
    sub_category_I: str | None = None
    sub_category_II: str | None = None
    task: list[str] = Field(default_factory=list)
    sub_task: str | None = None
    ml_type: list[str] = Field(default_factory=list)
    network_type: list[str] = Field(default_factory=list)
    network_name: list[str] = Field(default_factory=list)
    architecture: list[OptionalScalar] = Field(default_factory=list)
    training_process: list[str] = Field(default_factory=list)
    inputs: list[str] = Field(default_factory=list)
    outputs: list[str] = Field(default_factory=list)
    data_domain: list[str] = Field(default_factory=list)
    data_type: list[str] = Field(default_factory=list)
    data_size: list[OptionalScalar] = Field(default_factory=list)
    performance_metric: list[str] = Field(default_factory=list, alias="performance_metrice")
    performance_score: list[OptionalScalar] = Field(default_factory=list)
    baseline: list[str] = Field(default_factory=list)
    notes: str | None = None
    raw: dict[str, str] = Field(default_factory=dict, exclude=True, repr=False)

    def to_json_dict(self, include_raw: bool = False) -> dict[str, Any]:
        """Return the entry in the published JSON structure.

        Parameters
        ----------
        include_raw : bool
            Also include the untouched CSV text under ``"raw"``.
        """
        data = self.model_dump(by_alias=True, mode="json")
        if include_raw:
            data["raw"] = dict(self.raw)
        return data

    def value(self, field: str) -> Any:
        """Return a field by its entry-model name (``performance_metric``) or CSV name."""
        name = CSV_TO_FIELD.get(field, field)
        if name == "performance_metrice":
            name = "performance_metric"
        return getattr(self, name)


#: Every field a user may name in a filter, a sort or a count.
QUERY_FIELDS: tuple[str, ...] = tuple(name for name in Paper.model_fields if name not in {"raw"})
