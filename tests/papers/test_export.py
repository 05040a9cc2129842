"""The entry model follows the published JSON structure; exports load back unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seislearn.errors import RunExistsError
from seislearn.papers import export
from seislearn.papers.load import load_papers
from seislearn.papers.schema import CSV_TO_FIELD, Paper

PUBLISHED_KEYS = [
    "ref", "title", "journal", "category", "sub_category_I", "sub_category_II", "task",
    "sub_task", "ml_type", "network_type", "network_name", "architecture", "training_process",
    "inputs", "outputs", "data_domain", "data_type", "data_size", "performance_metrice",
    "performance_score", "baseline", "notes",
]  # fmt: skip


def test_json_entries_have_every_key_of_the_published_structure(deep_table):
    entry = deep_table.papers[0].to_json_dict()
    assert set(PUBLISHED_KEYS) <= set(entry)
    assert "raw" not in entry


def test_every_csv_column_maps_to_a_model_field():
    assert set(CSV_TO_FIELD.values()) <= set(Paper.model_fields)
    assert CSV_TO_FIELD["neuralNetwork_type"] == "network_type"
    assert CSV_TO_FIELD["hiddenLayers"] == "architecture"


def test_the_published_example_entry_validates():
    example = {
        "ref": "Yang_2019_yang2019deep",
        "title": "Deep-learning inversion",
        "journal": "Geophysics",
        "task": ["Velocity Model Building"],
        "architecture": [64, 64, 128],
        "performance_metrice": [],
        "data_size": [1600],
    }
    assert Paper.model_validate(example).architecture == [64, 64, 128]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_export_loads_back_to_the_same_papers(deep_table, tmp_path: Path, fmt: str):
    path = export.write(deep_table.papers, tmp_path / f"papers.{fmt}")
    again = load_papers(path)
    drop = {"row", "ref"}
    assert [p.model_dump(exclude=drop) for p in again] == [
        p.model_dump(exclude=drop) for p in deep_table
    ]


def test_clean_csv_export_has_no_problems_left_but_the_unfixable(deep_table, tmp_path: Path):
    path = export.write(deep_table.papers, tmp_path / "clean.csv")
    left = load_papers(path).problem_counts()
    assert set(left) <= {"missing_required", "duplicate_title", "hierarchy_conflict",
                         "length_mismatch"}  # fmt: skip


def test_include_raw_keeps_the_csv_text_in_json(deep_table):
    item = json.loads(export.to_jsonl(deep_table.papers[:1], include_raw=True))
    assert item["raw"]["neuralNetwork_type"] == "['FC']"


def test_export_never_replaces_a_file_without_overwrite(deep_table, tmp_path: Path):
    path = tmp_path / "papers.json"
    path.write_text("keep", encoding="utf-8")
    with pytest.raises(RunExistsError):
        export.write(deep_table.papers, path)
    assert path.read_text(encoding="utf-8") == "keep"
    export.write(deep_table.papers, path, overwrite=True)
    assert len(json.loads(path.read_text(encoding="utf-8"))) == 639
