"""The demo, end to end, at its smallest size: every workflow section lands in one report."""

from __future__ import annotations

import io
import json
import re

import pytest

from seislearn.cli.demo import STEP_NAMES
from seislearn.demo import DEMO_STEPS, parse_steps, run_demo
from seislearn.errors import ConfigError, RunExistsError


@pytest.mark.slow
def test_quick_demo_writes_one_report_with_every_workflow_section(
    tmp_path, monkeypatch, shared_data
):
    csv = shared_data / "paper_inventory" / "paper_inventory_deep.csv"
    if csv.is_file():
        monkeypatch.setenv("SEISLEARN_PAPERS_CSV", str(csv))
    progress = io.StringIO()
    report = run_demo(tmp_path / "demo", n=120, seed=0, quick=True, stream=progress)
    page = report.read_text(encoding="utf-8")
    headings = re.findall(r"<h2 id='[^']+'>(.*?)</h2>", page)
    for workflow in ("summary", "data", "azimuth", "cluster", "classify", "images", "papers"):
        assert any(h.lower().startswith(workflow) for h in headings), (workflow, headings)
    summary = page.split("id='summary'")[1].split("</table>")[0]
    for workflow in ("azimuth", "cluster", "classify", "images"):
        assert f"<td>{workflow}" in summary, workflow
    manifest = json.loads((tmp_path / "demo" / "manifest.json").read_text())
    assert manifest["seed"] == 0 and manifest["data_fingerprint"] and manifest["finished"]
    assert set(manifest["cpu_s"]) == {"data", *DEMO_STEPS}
    assert (tmp_path / "demo" / "figures" / "waveform_0.png").stat().st_size > 1000
    lines = progress.getvalue().splitlines()
    assert lines[0].startswith("[1/6] data:") and "left)" in lines[0]
    assert lines[-1].startswith("[6/6] papers: done in")


def test_demo_refuses_to_overwrite_an_earlier_run_and_names_resume(tmp_path):
    run_demo(tmp_path / "demo", n=6, seed=0, quick=True, steps=[], stream=io.StringIO())
    with pytest.raises(RunExistsError, match="--resume"):
        run_demo(tmp_path / "demo", n=6, seed=0, quick=True, steps=[], stream=io.StringIO())


def test_demo_resume_keeps_finished_stages_and_overwrite_runs_them_again(tmp_path):
    out = tmp_path / "demo"
    run_demo(out, n=6, seed=0, quick=True, steps=[], stream=io.StringIO())
    waveform = out / "figures" / "waveform_0.png"
    mtime = waveform.stat().st_mtime_ns
    progress = io.StringIO()
    run_demo(out, n=6, seed=0, quick=True, steps=[], resume=True, stream=progress)
    assert "data: already finished" in progress.getvalue()
    assert waveform.stat().st_mtime_ns == mtime
    progress = io.StringIO()
    run_demo(out, n=6, seed=0, quick=True, steps=[], overwrite=True, stream=progress)
    assert "data: done in" in progress.getvalue()


def test_demo_resume_with_other_settings_is_refused_naming_the_change(tmp_path):
    run_demo(tmp_path / "demo", n=6, seed=0, quick=True, steps=[], stream=io.StringIO())
    with pytest.raises(RunExistsError, match="n 6 -> 7"):
        run_demo(tmp_path / "demo", n=7, seed=0, quick=True, steps=[], resume=True)


def test_unknown_demo_step_is_an_error_that_lists_the_valid_steps():
    with pytest.raises(ConfigError, match=r"'azimut'.*valid steps: azimuth, cluster"):
        parse_steps("azimut,cluster")
    assert parse_steps("images, azimuth") == ["azimuth", "images"]


def test_cli_lists_the_same_steps_as_the_demo():
    assert ", ".join(DEMO_STEPS) == STEP_NAMES


def test_time_left_scales_the_expected_times_by_the_speed_of_finished_stages():
    from seislearn.demo import StageProgress

    stream = io.StringIO()
    progress = StageProgress(["a", "b", "c"], {"a": 10, "b": 20, "c": 30}, stream)
    progress.start(0, "a", "first")
    progress.finish(0, "a", 20.0)  # twice as slow as expected
    progress.start(1, "b", "second")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "[1/3] a: first (about 10 s; demo about 1 min 00 s left)"
    assert lines[1] == "[1/3] a: done in 20 s"
    assert lines[2] == "[2/3] b: second (about 40 s; demo about 1 min 40 s left)"
