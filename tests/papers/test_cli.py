"""The ``seislearn papers`` command: real command lines, exit codes and outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from seislearn.cli.main import main


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(["papers", *argv])
    return code, capsys.readouterr().out


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from seislearn.cli.main import build_parser; build_parser(); "
        "print(sorted(m for m in ('pandas', 'plotly', 'pydantic', 'seislearn.papers.load') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pandas" not in out.stdout and "plotly" not in out.stdout
    assert "seislearn.papers.load" not in out.stdout


def test_papers_help_lists_every_action(capsys):
    code, out = run(capsys)
    assert code == 0
    for action in ("validate", "search", "stats", "export", "site", "download", "add", "diff"):
        assert action in out


def test_validate_reports_counts_and_fails_on_the_impossible_year(capsys, deep_csv: Path):
    code, out = run(capsys, "validate", "--csv", str(deep_csv))
    assert code == 1
    assert "639 papers read" in out
    assert "impossible_year" in out and "580" in out


def test_validate_can_pass_when_told_to_fail_on_nothing(capsys, deep_csv: Path):
    code, _ = run(capsys, "validate", "--csv", str(deep_csv), "--fail-on", "never")
    assert code == 0


def test_validate_writes_every_problem_to_csv(capsys, deep_csv: Path, tmp_path: Path):
    out_file = tmp_path / "problems.csv"
    run(capsys, "validate", "--csv", str(deep_csv), "--out", str(out_file))
    lines = out_file.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "row,field,kind,severity,message,raw,clean"
    assert len(lines) > 1000


def test_search_prints_a_table_and_a_count(capsys, deep_csv: Path):
    code, out = run(
        capsys, "search", "--csv", str(deep_csv), "--task", "Phase Picking",
        "--network-type", "RNN", "--year-from", "2020",
    )  # fmt: skip
    assert code == 0
    assert "Mousavi_2020" in out and out.rstrip().endswith("7 of 639 papers")


def test_search_as_json_gives_published_entries(capsys, deep_csv: Path):
    _, out = run(
        capsys, "search", "--csv", str(deep_csv), "--text", "transformer", "--format", "json"
    )
    entries = json.loads(out)
    assert entries and {"ref", "network_type", "performance_metrice"} <= set(entries[0])


def test_search_csv_with_columns(capsys, deep_csv: Path):
    _, out = run(
        capsys, "search", "--csv", str(deep_csv), "--category", "Exploratory Data Analysis",
        "--format", "csv", "--columns", "ref,year",
    )  # fmt: skip
    lines = out.splitlines()
    assert lines[0] == "ref,year" and len(lines) == 1 + 9


def test_stats_crosstab_as_json(capsys, deep_csv: Path):
    _, out = run(
        capsys, "stats", "--csv", str(deep_csv), "--crosstab", "task", "network_type",
        "--format", "json",
    )  # fmt: skip
    data = json.loads(out)
    assert data["papers"] == 639
    rows = data["task x network_type"]
    denoising = next(r for r in rows if r["task \\ network_type"] == "Seismic Denoising")
    assert denoising["CNN"] == 68


def test_stats_by_category(capsys, deep_csv: Path):
    _, out = run(capsys, "stats", "--csv", str(deep_csv), "--by", "category")
    assert "Data Processing Automation  411" in out


def test_export_and_site_write_files(capsys, deep_csv: Path, tmp_path: Path):
    code, out = run(capsys, "export", "--csv", str(deep_csv), "--to", str(tmp_path / "p.jsonl"))
    assert code == 0 and len((tmp_path / "p.jsonl").read_text().splitlines()) == 639
    code, out = run(capsys, "site", "--csv", str(deep_csv), "--out", str(tmp_path / "site"))
    assert code == 0 and "applications 84, networks 446" in out


def test_site_without_overwrite_is_an_error_exit(capsys, deep_csv: Path, tmp_path: Path):
    (tmp_path / "index.html").write_text("mine", encoding="utf-8")
    code = main(["papers", "site", "--csv", str(deep_csv), "--out", str(tmp_path)])
    assert code == 1
    assert "--overwrite" in capsys.readouterr().err
    assert (tmp_path / "index.html").read_text(encoding="utf-8") == "mine"


def test_offline_without_cache_is_an_error_that_says_where_to_put_the_file(
    capsys, tmp_path: Path, monkeypatch
):
    monkeypatch.setenv("SEISLEARN_CACHE", str(tmp_path))

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr("urllib.request.urlopen", offline)
    code = main(["papers", "stats"])
    err = capsys.readouterr().err
    assert code == 1
    assert str(tmp_path / "papers" / "paper_inventory_deep.csv") in err
