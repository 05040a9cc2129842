"""The demo, end to end, at its smallest size: every workflow section lands in one report."""

from __future__ import annotations

import json
import re

import pytest

from seislearn.demo import run_demo
from seislearn.errors import RunExistsError


@pytest.mark.slow
def test_quick_demo_writes_one_report_with_every_workflow_section(
    tmp_path, monkeypatch, shared_data
):
    csv = shared_data / "dl_seismology" / "paper_inventory_deep.csv"
    if csv.is_file():
        monkeypatch.setenv("SEISLEARN_PAPERS_CSV", str(csv))
    report = run_demo(tmp_path / "demo", n=120, seed=0, quick=True)
    headings = re.findall(r"<h2>(.*?)</h2>", report.read_text(encoding="utf-8"))
    for workflow in ("data", "azimuth", "cluster", "classify", "images", "papers"):
        assert any(h.lower().startswith(workflow) for h in headings), (workflow, headings)
    manifest = json.loads((tmp_path / "demo" / "manifest.json").read_text())
    assert manifest["seed"] == 0 and manifest["data_fingerprint"]
    assert (tmp_path / "demo" / "figures" / "waveform_0.png").stat().st_size > 1000


def test_demo_refuses_to_overwrite_an_earlier_run(tmp_path):
    run_demo(tmp_path / "demo", n=6, seed=0, quick=True, steps=[])
    with pytest.raises(RunExistsError):
        run_demo(tmp_path / "demo", n=6, seed=0, quick=True, steps=[])
