"""Reports in a real headless Chromium (Debian's /usr/bin/chromium via Playwright).

The browser comes from the ``chromium`` fixture of tests/conftest.py: skipped when
Chromium or Playwright is missing, except in CI (``CI=true``), where a missing browser is
a failure (``.ci/install-browser.sh`` installs both).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seislearn.report.html import Headline, Section, write_report
from seislearn.report.interactive import save_interactive, scatter_figure
from seislearn.report.plots import new_figure

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror='window.__pwned = 1'>"


def inspect_report(browser, path: Path) -> dict:
    """Open a report; its console errors, figures, TOC links and whether hostile text ran."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    result = page.evaluate(
        """() => {
          const figures = [...document.querySelectorAll('figure')].map(f => {
            const img = f.querySelector('img');
            const plot = f.querySelector('.plotly-figure');
            return {
              id: f.id,
              kind: img ? 'png' : plot ? 'plotly' : 'none',
              width: img ? img.naturalWidth : plot ? plot.getBoundingClientRect().width : 0,
              points: plot ? plot.querySelectorAll('.point, .scatterlayer path').length : 0,
              caption: (f.querySelector('figcaption') || {}).textContent || '',
            };
          });
          const links = [...document.querySelectorAll('nav.toc a')].map(a => a.hash.slice(1));
          return {
            figures: figures,
            links: links,
            missing: links.filter(id => !document.getElementById(id)),
            pwned: window.__pwned === undefined ? null : window.__pwned,
            overflow: document.documentElement.scrollWidth > window.innerWidth,
          };
        }"""
    )
    page.close()
    result["errors"] = errors
    return result


@pytest.fixture(scope="module")
def small_report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    fig, ax = new_figure()
    ax.plot([0, 1], [0, 1])
    png = root / "line.png"
    fig.savefig(png)
    twin = root / "scatter.png"
    fig.savefig(twin)
    rng = np.random.default_rng(0)
    save_interactive(
        twin,
        scatter_figure(
            rng.normal(size=50),
            rng.normal(size=50),
            title=HOSTILE,
            x_label="latent 1",
            y_label="latent 2",
            color=rng.uniform(0, 360, 50),
            color_label="back-azimuth (deg)",
            hover=[HOSTILE] * 50,
        ),
    )
    section = Section(HOSTILE).add_text(HOSTILE).add_figure(png, HOSTILE).add_figure(twin, "map")
    section.add_headline(Headline("azimuth", "MAE (deg)", "model", 1.0, HOSTILE, 2.0, False))
    return write_report(root / "report.html", HOSTILE, [section, Section("second")])


def test_report_with_png_and_plotly_figures_loads_clean(chromium, small_report):
    result = inspect_report(chromium, small_report)
    assert result["errors"] == []
    assert [f["kind"] for f in result["figures"]] == ["png", "plotly"]
    assert all(f["width"] > 100 for f in result["figures"])
    assert result["figures"][1]["points"] >= 50
    assert result["links"] == ["summary", "img-src-x-onerror-window-pwned-1", "second"]
    assert result["missing"] == []
    assert result["pwned"] is None


@pytest.mark.slow
def test_quick_demo_report_loads_with_every_figure_and_working_contents(
    chromium, tmp_path, monkeypatch
):
    from seislearn.demo import run_demo

    monkeypatch.setenv("SEISLEARN_PAPERS_CSV", str(tmp_path / "absent.csv"))
    report = run_demo(tmp_path / "demo", n=60, seed=0, quick=True)
    result = inspect_report(chromium, report)
    assert result["errors"] == []
    assert len(result["figures"]) >= 10
    empty = [f["id"] for f in result["figures"] if f["width"] < 100]
    assert empty == []
    assert any(f["kind"] == "plotly" for f in result["figures"])
    assert all(f["caption"].strip() for f in result["figures"])
    assert "summary" in result["links"] and result["missing"] == []
    assert not result["overflow"]
