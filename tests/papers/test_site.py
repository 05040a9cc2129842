"""The explorer page: one file, plotly.js once, data escaped, nothing overwritten."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from seislearn.errors import RunExistsError
from seislearn.papers.clean import clean_records
from seislearn.papers.site import build_page, build_site, json_for_script

EVIL_TITLE = '</script><script>alert("x")</script><!-- & <img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def deep_page(deep_table) -> tuple[str, dict]:
    return build_page(deep_table.papers, source="paper_inventory_deep.csv")


def test_plotly_js_is_embedded_exactly_once(deep_page):
    page, _ = deep_page
    assert page.count("* plotly.js v") == 1
    from plotly.offline import get_plotlyjs

    # one loop of ours draws every figure (the bundle's own help texts may mention the call)
    assert page.count("Plotly.newPlot(") - get_plotlyjs().count("Plotly.newPlot(") == 1
    assert "<script src=" not in page  # nothing loaded from the network


def test_page_reports_sector_counts(deep_page):
    _, summary = deep_page
    assert summary["papers"] == 639
    assert summary["sectors"] == {"applications": 84, "networks": 446}


def test_json_for_script_cannot_close_the_script_block():
    text = json_for_script({"title": EVIL_TITLE})
    assert "</" not in text and "<" not in text and ">" not in text
    assert json.loads(text) == {"title": EVIL_TITLE}


def test_a_hostile_title_never_reaches_the_markup(make_row):
    papers, _ = clean_records([make_row(title=EVIL_TITLE, category="<b>bold</b>")])
    page, _ = build_page(papers)
    data_block = re.search(
        r'<script type="application/json" id="papers-data">(.*?)</script>', page, re.S
    )
    assert data_block is not None
    assert json.loads(data_block.group(1))["papers"][0]["title"] == EVIL_TITLE
    outside = page.replace(data_block.group(0), "")
    assert 'alert("x")' not in outside
    assert "<img src=x" not in outside and "<b>bold</b>" not in outside


def test_site_refuses_to_overwrite_without_overwrite(make_row, tmp_path: Path):
    papers, _ = clean_records([make_row()])
    path, _ = build_site(papers, tmp_path / "site")
    assert path == tmp_path / "site" / "index.html"
    with pytest.raises(RunExistsError, match="--overwrite"):
        build_site(papers, tmp_path / "site")
    build_site(papers, tmp_path / "site", overwrite=True)
