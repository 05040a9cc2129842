"""Search, counts and cross-tables."""

from __future__ import annotations

import pytest

from seislearn.errors import DataError
from seislearn.papers.query import MISSING, Query, count_by, crosstab, format_table, search


def refs(papers) -> list[str]:
    return [p.ref for p in papers]


def test_labels_match_case_insensitively_and_in_full(deep_table):
    found = search(deep_table, Query(filters={"task": ["phase picking"]}))
    assert len(found) == 50
    assert search(deep_table, Query(filters={"task": ["phase"]})) == []


def test_repeated_values_of_one_filter_mean_or(deep_table):
    both = search(deep_table, Query(filters={"task": ["Phase Picking", "Event Detection"]}))
    # 50 Phase Picking + 65 Event Detection - 12 papers with both tasks (counted once)
    assert len(both) == 50 + 65 - 12


def test_different_filters_mean_and(deep_table):
    found = search(
        deep_table,
        Query(filters={"category": ["Inverse Problems"], "network_type": ["RNN"]}),
    )
    assert found and all(
        p.category == "Inverse Problems" and "RNN" in p.network_type for p in found
    )


def test_year_range_is_inclusive_and_drops_papers_without_year(deep_table):
    found = search(deep_table, Query(year_min=2020, year_max=2020))
    assert len(found) == 213
    assert all(p.year == 2020 for p in found)


def test_free_text_needs_every_word_in_title_or_notes(deep_table):
    found = search(deep_table, Query(text="earthquake transformer"))
    assert "Mousavi_2020" in refs(found)
    assert all(
        "transformer" in f"{p.title} {p.notes}".lower()
        and "earthquake" in f"{p.title} {p.notes}".lower()
        for p in found
    )


def test_sort_descending_puts_missing_years_last(deep_table):
    found = search(deep_table, Query(sort="year", descending=True))
    assert found[0].year == 2022
    assert found[-1].year is None


def test_limit_cuts_the_sorted_list(deep_table):
    assert len(search(deep_table, Query(sort="title", limit=5))) == 5


def test_filtering_on_an_unknown_field_is_a_clear_error():
    with pytest.raises(DataError, match="cannot filter"):
        Query(filters={"colour": ["red"]})


def test_counts_by_a_list_field_count_each_label(deep_table):
    counts = count_by(deep_table, "network_type")
    assert (counts["CNN"], counts["FC"], counts["RNN"], counts["SOM"]) == (400, 333, 68, 14)
    assert counts[MISSING] == 29


def test_counts_by_year_include_missing_year(deep_table):
    counts = count_by(deep_table, "year")
    assert counts["2020"] == 213 and counts[MISSING] == 1


def test_task_by_network_type_table_sums_to_the_pairs(deep_table):
    tasks, types, table = crosstab(deep_table, "task", "network_type")
    assert "Seismic Denoising" in tasks and "CNN" in types
    assert table[tasks.index("Seismic Denoising")][types.index("CNN")] == 68
    pairs = sum(max(len(p.task), 1) * max(len(p.network_type), 1) for p in deep_table)
    assert sum(map(sum, table)) == pairs


def test_terminal_table_cuts_long_cells():
    text = format_table(["a"], [["x" * 100]], max_width=10)
    assert text.splitlines()[2] == "x" * 9 + "…"
