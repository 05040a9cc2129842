"""Time the papers workflow on the shared CSVs: load + clean, search, stats, site.

Usage: python benchmarks/papers_timings.py [--out results.json]
Prints JSON with wall-clock seconds (best of ``--repeat`` runs) and sizes.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seislearn.papers.load import load_papers
from seislearn.papers.query import Query, count_by, crosstab, search
from seislearn.papers.site import build_site

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def find_csv(name: str) -> Path:
    for folder in ("dl_seismology", "paper_inventory"):
        path = DATA / folder / name
        if path.is_file():
            return path.resolve()
    raise SystemExit(f"{name} not found under {DATA}")


def best_of(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    for name in ("paper_inventory_deep.csv", "paper_inventory_aggregated_allML.csv"):
        seconds, table = best_of(args.repeat, lambda n=name: load_papers(find_csv(n)))
        results[name] = {
            "papers": len(table),
            "problems": len(table.problems),
            "load_clean_validate_s": round(seconds, 4),
        }
    table = load_papers(find_csv("paper_inventory_deep.csv"))
    query = Query(filters={"task": ["Phase Picking"]}, text="network", year_min=2018)
    results["search_s"] = round(best_of(args.repeat, lambda: search(table, query))[0], 5)
    results["stats_s"] = round(
        best_of(
            args.repeat,
            lambda: (count_by(table, "year"), crosstab(table, "task", "network_type")),
        )[0],
        5,
    )
    with tempfile.TemporaryDirectory() as tmp:
        seconds, (_path, summary) = best_of(
            args.repeat, lambda: build_site(table.papers, tmp, overwrite=True)
        )
        results["site_s"] = round(seconds, 4)
        results["site_bytes"] = summary["bytes"]
        results["sectors"] = summary["sectors"]
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
