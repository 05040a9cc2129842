"""Adding entries to a user's CSV, and diffing two versions of the database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from seislearn.errors import DataError
from seislearn.papers.contribute import add_entries, diff_tables
from seislearn.papers.load import load_papers

ENTRY = {
    "ref": "Doe_2023",
    "title": "A brand new picker",
    "journal": "SRL",
    "category": "Data Processing Automation",
    "sub_category_I": "Passive Seismology",
    "sub_category_II": "Seismic Monitoring",
    "task": ["Phase Picking"],
    "network_type": ["RNN", "CNN"],
    "training_process": ["Supervised_Learning"],
}


def write_entry(tmp_path: Path, entry: object) -> Path:
    path = tmp_path / "entry.json"
    path.write_text(json.dumps(entry), encoding="utf-8")
    return path


def test_a_valid_entry_is_appended_to_a_copy_without_final_newline(deep_csv, tmp_path: Path):
    mine = tmp_path / "mine.csv"
    shutil.copy(deep_csv, mine)  # the published file ends without a newline
    added, _ = add_entries(write_entry(tmp_path, {**ENTRY, "author": "Doe", "year": 2023}), mine)
    table = load_papers(mine)
    assert added == 1 and len(table) == 640
    assert table.papers[-1].network_type == ["CNN", "RNN"]
    assert table.papers[-2].title == load_papers(deep_csv).papers[-1].title


def test_field_errors_are_listed_one_per_line(tmp_path: Path):
    bad = {**ENTRY, "year": "soon", "task": "Phase Picking", "colour": "red"}
    with pytest.raises(DataError) as info:
        add_entries(write_entry(tmp_path, bad), tmp_path / "mine.csv")
    message = str(info.value)
    assert "year:" in message and "task:" in message and "colour:" in message
    assert not (tmp_path / "mine.csv").exists()


def test_an_entry_without_year_is_refused(tmp_path: Path):
    with pytest.raises(DataError, match="year is empty"):
        add_entries(write_entry(tmp_path, ENTRY), tmp_path / "mine.csv")


def test_the_cache_is_never_written_to(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SEISLEARN_CACHE", str(tmp_path))
    entry = write_entry(tmp_path, {**ENTRY, "year": 2023})
    with pytest.raises(DataError, match="never added to the cache"):
        add_entries(entry, tmp_path / "papers" / "paper_inventory_deep.csv")


def test_a_title_already_present_is_refused(tmp_path: Path):
    entry = write_entry(tmp_path, {**ENTRY, "year": 2023})
    add_entries(entry, tmp_path / "mine.csv")
    with pytest.raises(DataError, match="already in row 1"):
        add_entries(entry, tmp_path / "mine.csv")


def test_diff_lists_added_removed_and_changed_papers(write_csv, make_row):
    old = write_csv([make_row(title="kept"), make_row(title="gone")], "old.csv")
    new = write_csv(
        [make_row(title="Kept", neuralNetwork_type="['RNN']"), make_row(title="new")], "new.csv"
    )
    result = diff_tables(old, new)
    assert result["counts"] == {"added": 1, "removed": 1, "changed": 1}
    assert result["changed"][0]["changes"]["network_type"] == [["CNN"], ["RNN"]]
    assert "title" in result["changed"][0]["changes"]  # the case of the title changed
