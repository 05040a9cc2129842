"""Cleaning: every change is reported with its row and field, and the raw text is kept."""

from __future__ import annotations

from pathlib import Path

from seislearn.papers.clean import clean_record, clean_records
from seislearn.papers.vocabulary import Vocabulary, load_vocabulary


def kinds(problems) -> list[str]:
    return [p.kind for p in problems]


def test_list_fields_are_parsed_as_python_literals(make_row):
    values, problems = clean_record(make_row(neuralNetwork_type="['CNN', 'FC']"))
    assert values["network_type"] == ["CNN", "FC"]
    assert problems == []


def test_code_in_a_list_cell_is_never_executed(tmp_path: Path, make_row):
    marker = tmp_path / "pwned"
    cell = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    values, problems = clean_record(make_row(task=cell), row=3)
    assert not marker.exists()
    assert values["task"] == [cell]
    assert next((p.row, p.field, p.kind) for p in problems) == (3, "task", "parse_error")


def test_list_fields_in_different_order_become_one(make_row):
    a, _ = clean_record(make_row(neuralNetwork_type="['FC', 'CNN']"))
    b, _ = clean_record(make_row(neuralNetwork_type="['CNN', 'FC']"))
    assert a["network_type"] == b["network_type"] == ["CNN", "FC"]


def test_reordering_a_list_is_reported_as_list_order(make_row):
    _, problems = clean_record(make_row(neuralNetwork_type="['FC', 'CNN']"), row=7)
    assert [(p.row, p.field, p.kind) for p in problems] == [(7, "network_type", "list_order")]


def test_ordered_lists_keep_their_order(make_row):
    values, _ = clean_record(
        make_row(performance_metrice="['Recall', 'Precision']", performance_score="[0.9, 0.8]")
    )
    assert values["performance_metric"] == ["Recall", "Precision"]
    assert values["performance_score"] == [0.9, 0.8]


def test_stray_spaces_are_stripped_and_reported(make_row):
    values, problems = clean_record(make_row(journal=" Computers and Geosciences "), row=2)
    assert values["journal"] == "Computers & Geosciences"
    assert kinds(problems) == ["whitespace", "spelling_variant"]


def test_question_mark_placeholder_becomes_missing(make_row):
    values, problems = clean_record(make_row(training_process="['?']"))
    assert values["training_process"] == []
    assert kinds(problems) == ["placeholder"]


def test_unknown_layer_sizes_keep_their_place_as_none(make_row):
    values, problems = clean_record(make_row(hiddenLayers="['?', '?', 128]"))
    assert values["architecture"] == [None, None, 128]
    assert kinds(problems) == ["placeholder"]


def test_empty_list_is_missing_without_a_problem_for_optional_fields(make_row):
    values, problems = clean_record(make_row(baseline="[]"))
    assert values["baseline"] == []
    assert problems == []


def test_empty_task_is_reported_as_missing_required(make_row):
    _, problems = clean_record(make_row(task="[]"), row=5)
    assert [(p.row, p.field, p.kind) for p in problems] == [(5, "task", "missing_required")]


def test_spelling_variants_are_merged_by_the_vocabulary_table(make_row):
    values, problems = clean_record(make_row(training_process="['Supervisedd Learning']"))
    assert values["training_process"] == ["Supervised_Learning"]
    assert kinds(problems) == ["spelling_variant"]


def test_a_custom_vocabulary_replaces_the_packaged_one(make_row):
    vocabulary = Vocabulary(synonyms={"network_name": {"UNet": "U-Net"}})
    values, _ = clean_record(make_row(neuralNetwork_name="['UNet']"), vocabulary=vocabulary)
    assert values["network_name"] == ["U-Net"]


def test_the_packaged_vocabulary_never_maps_a_label_to_a_variant():
    vocabulary = load_vocabulary()
    for field, table in vocabulary.synonyms.items():
        assert not set(table.values()) & set(table), field


def test_impossible_year_is_an_error_and_becomes_missing(make_row):
    values, problems = clean_record(make_row(year="202"), row=580)
    assert values["year"] is None
    assert [(p.row, p.field, p.kind, p.severity) for p in problems] == [
        (580, "year", "impossible_year", "error")
    ]


def test_unknown_label_is_kept_and_reported(make_row):
    values, problems = clean_record(make_row(neuralNetwork_type="['LSTM']"))
    assert values["network_type"] == ["LSTM"]
    assert kinds(problems) == ["unknown_value"]


def test_leading_code_in_notes_is_removed_and_reported(make_row):
    values, problems = clean_record(make_row(notes=" C31 - We apply a method"))
    assert values["notes"] == "We apply a method"
    assert "stray_token" in kinds(problems)


def test_metric_and_score_counts_that_differ_are_reported(make_row):
    _, problems = clean_record(
        make_row(performance_metrice="['Recall', 'Precision']", performance_score="[0.9]")
    )
    assert kinds(problems) == ["length_mismatch"]


def test_raw_text_is_kept_next_to_the_clean_value(make_row):
    papers, _ = clean_records([make_row(neuralNetwork_type="['FC', 'CNN']", year=" 2019")])
    assert papers[0].network_type == ["CNN", "FC"]
    assert papers[0].raw["neuralNetwork_type"] == "['FC', 'CNN']"
    assert papers[0].raw["year"] == " 2019"


def test_duplicate_titles_are_reported_on_the_later_row(make_row):
    rows = [make_row(), make_row(title=make_row()["title"].upper() + ".")]
    _, problems = clean_records(rows)
    dupes = [p for p in problems if p.kind == "duplicate_title"]
    assert [(p.row, p.field) for p in dupes] == [(2, "title")]
    assert "row 1" in dupes[0].message


def test_a_task_under_two_parents_is_reported_on_the_unusual_rows(make_row):
    rows = [make_row(title=f"t{i}") for i in range(3)]
    rows.append(make_row(title="odd", sub_category_II="Seismic Monitoring"))
    _, problems = clean_records(rows)
    conflicts = [p for p in problems if p.kind == "hierarchy_conflict"]
    assert [(p.row, p.field, p.raw) for p in conflicts] == [(4, "task", "Velocity Model Building")]


def test_papers_sharing_author_and_year_get_distinct_refs(make_row):
    papers, _ = clean_records([make_row(title="a"), make_row(title="b"), make_row(title="c")])
    assert [p.ref for p in papers] == ["Yang_2019", "Yang_2019_b", "Yang_2019_c"]
