"""Loading the published CSVs: every row loads and the counts match the paper's database."""

from __future__ import annotations

from pathlib import Path

import pytest

from seislearn.errors import DataError
from seislearn.papers.load import load_papers
from seislearn.papers.query import count_by


def test_all_639_deep_learning_rows_load(deep_table):
    assert len(deep_table) == 639
    assert [p.row for p in deep_table][:3] == [1, 2, 3]


def test_all_809_rows_of_the_all_ml_file_load(allml_csv):
    assert len(load_papers(allml_csv)) == 809


def test_category_counts_match_the_database(deep_table):
    assert dict(count_by(deep_table, "category")) == {
        "Data Processing Automation": 411,
        "Inverse Problems": 138,
        "Forward Modeling": 81,
        "Exploratory Data Analysis": 9,
    }


def test_network_type_combinations_merge_reordered_lists(deep_table):
    combos = count_by(deep_table, "network_type", combine=True)
    # 144 rows say ['CNN', 'FC'] and 7 say ['FC', 'CNN']: one combination after cleaning.
    assert (combos["CNN"], combos["FC"], combos["CNN+FC"]) == (220, 158, 151)


def test_the_published_flaws_are_all_reported(deep_table):
    counts = deep_table.problem_counts()
    assert counts["impossible_year"] == 1
    assert counts["duplicate_title"] == 5
    assert counts["missing_required"] == 5
    year = next(p for p in deep_table.problems if p.kind == "impossible_year")
    assert (year.row, year.raw) == (580, "202")


def test_every_problem_names_a_row_and_a_field(deep_table):
    assert all(p.row is not None and p.field for p in deep_table.problems)


def test_a_csv_without_the_database_columns_is_rejected(tmp_path: Path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing columns"):
        load_papers(path)


def test_a_missing_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(DataError, match="cannot read"):
        load_papers(tmp_path / "absent.csv")


def test_to_frame_puts_raw_columns_next_to_clean_ones(deep_table):
    frame = deep_table.to_frame(include_raw=True)
    assert len(frame) == 639
    assert frame.loc[0, "network_type"] == ["FC"]
    assert frame.loc[0, "raw_network_type"] == "['FC']"
