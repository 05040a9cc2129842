"""Cells of the literature CSV never drive the terminal nor run as spreadsheet formulas.

Generated strings (terminal escape sequences, C1 controls, bidi overrides,
formula prefixes, arbitrary Unicode) go through the two output guards, and
through ``papers search`` and ``papers export`` end to end.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seislearn.cli.main import main
from seislearn.papers.safe_output import FORMULA_PREFIXES, neutralise_formula, strip_control

FAST = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ESCAPES = [
    "\x1b[31m",  # ANSI colour
    "\x1b[2J",  # clear screen
    "\x1b]8;;http://evil.example\x1b\\",  # OSC 8 hyperlink
    "\x1b]0;title\x07",  # OSC window title
    "\x9b31m",  # 8-bit CSI
    "\u202e",  # right-to-left override
    "\x07",
    "\x7f",
]
hostile = st.lists(
    st.one_of(st.sampled_from(ESCAPES), st.text(min_size=0, max_size=8)), max_size=8
).map("".join)


def _no_controls(text: str) -> bool:
    return not any(
        (unicodedata.category(c) == "Cc" and c not in "\n\t") or c in "\u202a\u202e\u2066"
        for c in text
    )


@FAST
@given(text=hostile)
def test_stripped_text_holds_no_control_character_and_keeps_the_rest(text: str) -> None:
    out = strip_control(text)
    assert _no_controls(out)
    assert strip_control(out) == out
    printable = [c for c in text if unicodedata.category(c)[0] in "LNPS" and c != "\x7f"]
    assert [c for c in out if unicodedata.category(c)[0] in "LNPS"] == printable


@FAST
@given(
    cell=st.one_of(
        st.sampled_from(FORMULA_PREFIXES).flatmap(lambda p: st.text().map(p.__add__)), st.text()
    )
)
def test_no_exported_cell_starts_like_a_formula_and_the_text_is_kept(cell: str) -> None:
    out = neutralise_formula(cell)
    assert not out.startswith(FORMULA_PREFIXES)
    assert out == cell or out == "'" + cell


CSV_HEADER = [
    "author",
    "year",
    "category",
    "sub_category_I",
    "sub_category_II",
    "task",
    "sub_task",
    "title",
    "journal",
    "ml_type",
    "neuralNetwork_type",
    "neuralNetwork_name",
    "hiddenLayers",
    "training_process",
    "inputs",
    "outputs",
    "data_domain",
    "data_type",
    "data_size",
    "performance_metrice",
    "performance_score",
    "baseline",
    "notes",
]


def _write_db(path: Path, title: str, author: str) -> None:
    """A one-paper database in the published layout (the first row of the real one)."""
    row = [
        author, "1995", "Data Processing Automation", "Passive Seismology", "Seismic Monitoring",
        "['Event Detection']", " ", title, "BSSA", "['ANN']", "['FC']", "[]", "['?']",
        "['Supervised_Learning']", "['STA/LTA']", "['earthquakes']", "['time']", "['field']",
        "[50]", "['Precision']", "[0.98]", "[]", "developed one of the first AI-based detectors",
    ]  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    writer.writerow(row)
    path.write_text(buffer.getvalue(), encoding="utf-8")


@FAST
@given(title=hostile, author=hostile)
def test_papers_search_prints_no_escape_sequence(
    tmp_path_factory, capsys: pytest.CaptureFixture, title: str, author: str
) -> None:
    db = tmp_path_factory.mktemp("papers") / "db.csv"
    _write_db(db, "A" + title, author or "x")
    code = main(["papers", "search", "--csv", str(db), "--columns", "title,author,year"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert _no_controls(out.out) and _no_controls(out.err)
    assert "1 of 1 papers" in out.out


@FAST
@given(
    title=st.sampled_from(FORMULA_PREFIXES).flatmap(lambda p: st.text(max_size=10).map(p.__add__))
)
def test_papers_export_csv_neutralises_formulas_unless_asked_to_keep_them(
    tmp_path_factory, capsys: pytest.CaptureFixture, title: str
) -> None:
    folder = tmp_path_factory.mktemp("export")
    _write_db(folder / "db.csv", f"A title{title}", f"{title}")
    args = ["papers", "export", "--csv", str(folder / "db.csv")]
    assert main([*args, "--to", str(folder / "safe.csv")]) == 0
    assert main([*args, "--to", str(folder / "raw.csv"), "--keep-formulas"]) == 0
    capsys.readouterr()
    for path, keep in ((folder / "safe.csv", False), (folder / "raw.csv", True)):
        with open(path, newline="", encoding="utf-8") as f:
            cells = [c for row in csv.reader(f) for c in row]
        if not keep:
            assert not any(c.startswith(FORMULA_PREFIXES) for c in cells)
    with open(folder / "raw.csv", newline="", encoding="utf-8") as f:
        raw = list(csv.DictReader(f))
    with open(folder / "safe.csv", newline="", encoding="utf-8") as f:
        safe = list(csv.DictReader(f))
    assert [neutralise_formula(v) for v in raw[0].values()] == list(safe[0].values())
    from seislearn.papers.load import load_papers

    assert load_papers(folder / "safe.csv").papers == load_papers(folder / "raw.csv").papers
