"""The explorer page in a real headless Chromium (Debian's /usr/bin/chromium via Playwright).

The browser comes from the ``chromium`` fixture of tests/conftest.py: skipped when
Chromium or Playwright is missing, except in CI (``CI=true``), where a missing browser is
a failure (``.ci/install-browser.sh`` installs both).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from seislearn.papers.clean import clean_records
from seislearn.papers.site import PAGE_SIZE, build_site

pytestmark = pytest.mark.browser

HOSTILE_TITLE = "<script>window.__pwned = 1</script><img src=x onerror='window.__pwned = 2'>"


@pytest.fixture(scope="module")
def explorer(deep_table, tmp_path_factory) -> tuple[Path, int, int]:
    """The explorer for the 639 papers plus one paper with a hostile title."""
    row = {column: "" for column in deep_table.papers[0].raw}
    row.update(
        author="Mallory",
        year="2021",
        category="Inverse Problems",
        sub_category_I="Active Seismology",
        sub_category_II="Subsurface Characterization",
        task="['Velocity Model Building']",
        title=HOSTILE_TITLE,
        neuralNetwork_type="['CNN']",
    )
    hostile, _ = clean_records([row])
    papers = [*deep_table.papers, *hostile]
    inverse = sum(p.category == "Inverse Problems" for p in papers)
    path, _ = build_site(papers, tmp_path_factory.mktemp("explorer"))
    return path, len(papers), inverse


@pytest.fixture(scope="module")
def page(chromium, explorer):
    path = explorer[0]
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    page.console_errors = []
    page.on(
        "console",
        lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    page.goto(path.as_uri())
    for figure in ("fig-applications", "fig-networks", "fig-years", "fig-heatmap"):
        page.wait_for_selector(f"#{figure}[data-ready='1']", timeout=30_000)
    yield page
    page.close()


def shown(page) -> int:
    return int(page.get_attribute("body", "data-shown"))


def test_page_loads_without_console_errors(page):
    assert page.console_errors == []


def test_both_sunbursts_render_as_svg_paths(page):
    for figure in ("fig-applications", "fig-networks"):
        assert page.locator(f"#{figure} svg g.slice path").count() > 50


def test_table_starts_with_every_paper(page, explorer):
    assert shown(page) == explorer[1]
    assert page.locator("#papers-body tr").count() == PAGE_SIZE
    assert f"of {explorer[1]} (page 1 of" in page.inner_text("#page-label")


def test_typing_in_the_search_box_filters_the_table(page, explorer):
    page.fill("#search", "")
    page.locator("#search").type("transformer")
    assert 0 < shown(page) < explorer[1]
    assert page.locator("#papers-body tr").count() == min(shown(page), PAGE_SIZE)
    assert "Earthquake Transformer" in page.inner_text("#papers-body")
    page.fill("#search", "")
    assert shown(page) == explorer[1]


def test_the_table_pages_through_every_matching_paper(page, explorer):
    first = page.inner_text("#papers-body tr >> nth=0")
    page.click("#page-next")
    assert "rows 51-100" in page.inner_text("#page-label")
    assert page.inner_text("#papers-body tr >> nth=0") != first
    page.click("#page-prev")
    assert page.inner_text("#papers-body tr >> nth=0") == first
    assert page.locator("#page-prev").is_disabled()


def test_filters_are_labelled_in_words_not_field_names(page):
    labels = page.evaluate(
        "() => [...document.querySelectorAll('div.filters label')]"
        ".map(label => label.firstChild.textContent.trim())"
    )
    assert "Sub-category I" in labels and "Network type" in labels
    assert not any("_" in label for label in labels), labels


def test_a_hostile_title_shows_as_text_and_never_runs(page):
    page.fill("#search", "pwned")
    assert shown(page) == 1
    cell = page.locator("#papers-body td.col-title").first
    assert cell.text_content() == HOSTILE_TITLE
    assert page.evaluate("window.__pwned") is None
    page.fill("#search", "")


def test_clicking_a_sector_filters_the_table(page, explorer):
    figure = page.locator("#fig-applications")
    figure.scroll_into_view_if_needed()
    sector = figure.locator("g.slice", has_text="Inverse Problems").first
    box = sector.locator("text").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    if shown(page) == explorer[1]:  # a real click missed: fall back to plotly's event
        warnings.warn("real click did not reach the sector; emitting plotly_click", stacklevel=1)
        page.evaluate(
            """() => {
                const div = document.getElementById('fig-applications');
                const trace = div.data[0];
                const i = trace.labels.indexOf('Inverse Problems');
                div.emit('plotly_click', {points: [{id: trace.ids[i], label: trace.labels[i]}]});
            }"""
        )
    assert shown(page) == explorer[2]
    assert "Inverse Problems" in page.inner_text("#sector-filter")
    categories = page.locator("#papers-body td.col-category").all_text_contents()
    assert set(categories) == {"Inverse Problems"}
    page.click("#clear-filters")
    assert shown(page) == explorer[1]
    assert page.console_errors == []


def click_sector(page, figure_id: str, label: str) -> None:
    figure = page.locator(f"#{figure_id}")
    figure.scroll_into_view_if_needed()
    text = figure.locator("g.slice", has_text=label).first.locator("text")
    box = text.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(800)  # plotly's zoom transition


def test_clicking_the_centre_zooms_out_and_widens_the_filter(page, explorer):
    click_sector(page, "fig-networks", "Seismic Monitoring")
    monitoring = shown(page)
    assert 0 < monitoring < explorer[1]
    click_sector(page, "fig-networks", "Phase Picking")
    assert 0 < shown(page) < monitoring
    click_sector(page, "fig-networks", "Phase Picking")  # now the centre: back up one level
    assert shown(page) == monitoring
    click_sector(page, "fig-networks", "Seismic Monitoring")  # the centre again: everything
    assert shown(page) == explorer[1]
    assert page.inner_text("#sector-filter") == ""
