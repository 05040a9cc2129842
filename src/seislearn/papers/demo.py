"""Demo section of the ``papers`` workflow: the literature database, if it is at hand.

The database is not synthetic and not shipped: the section uses the cached copy
(``seislearn papers download``) or the CSV named by ``$SEISLEARN_PAPERS_CSV``,
and says how to get it when neither is there. It never downloads during a demo.
"""

from __future__ import annotations

import os
from pathlib import Path

from seislearn.errors import SeislearnError
from seislearn.report.html import Section
from seislearn.runs import RunDir


def demo_section(run: RunDir, data_dir: Path, seed: int, quick: bool) -> Section:
    """Clean and validate the database, count it, and write the explorer page."""
    from seislearn.papers.download import resolve_csv
    from seislearn.papers.load import load_papers
    from seislearn.papers.query import count_by
    from seislearn.papers.site import build_site

    section = Section("papers: the deep-learning seismology literature database")
    try:
        csv = resolve_csv(os.environ.get("SEISLEARN_PAPERS_CSV") or None, fetch=False)
    except SeislearnError as exc:
        section.add_text(
            "Skipped: the database is not available offline "
            f"({exc}). Run 'seislearn papers download' once, or set SEISLEARN_PAPERS_CSV."
        )
        return section
    table = load_papers(csv)
    counts = table.problem_counts()
    section.add_text(
        f"{len(table)} papers read from {csv}; problems found while cleaning: "
        + ", ".join(f"{k} {v}" for k, v in counts.items() if v)
        + "."
    )
    by_category = count_by(table.papers, "category").most_common()
    section.add_table("papers per category", ["category", "papers"], [list(r) for r in by_category])
    by_type = count_by(table.papers, "network_type", combine=True).most_common(6)
    section.add_table(
        "most common network types", ["network type", "papers"], [list(r) for r in by_type]
    )
    page, _ = build_site(table.papers, run.path / "papers", source=str(csv), overwrite=True)
    section.add_text(f"Interactive explorer (offline, one file): {page}")
    return section
