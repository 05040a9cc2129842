"""The documentation site builds strictly, covers every module, and its results page is
generated from the benchmark JSON files."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "seislearn"


def load_results_page():
    spec = importlib.util.spec_from_file_location(
        "results_page", REPO / "scripts" / "results_page.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mkdocs_build_strict_succeeds(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    results_html = (tmp_path / "site" / "results" / "index.html").read_text()
    assert "classify_variants.json" in results_html
    api_html = (tmp_path / "site" / "api" / "cluster" / "index.html").read_text()
    assert "DeepEmbeddedClustering" in api_html


def load_api_pages():
    spec = importlib.util.spec_from_file_location("api_pages", REPO / "scripts" / "api_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_module_outside_the_cli_is_on_a_generated_api_page() -> None:
    pages = "\n".join(load_api_pages().pages().values())
    documented = set(re.findall(r"^::: (seislearn[\w.]*)", pages, flags=re.M))
    missing = []
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        if (
            "cli" in parts
            or parts[-1] == "__main__"
            or (parts[-1].startswith("_") and parts[-1] != "__init__")
        ):
            continue
        if len(parts) == 2 and parts[-1] == "__init__":
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name not in documented:
            missing.append(name)
    assert not missing, f"modules missing from the API pages: {missing}"
    assert not (REPO / "docs" / "api").exists()  # generated, never edited by hand


def test_results_page_is_generated_not_committed() -> None:
    assert not (REPO / "docs" / "results.md").exists()
    assert "scripts/results_page.py" in (REPO / "mkdocs.yml").read_text()


def test_results_page_shows_every_result_file_with_its_script(tmp_path: Path) -> None:
    results = tmp_path / "benchmarks" / "results"
    results.mkdir(parents=True)
    (tmp_path / "benchmarks" / "cluster_digits.py").write_text("")
    (results / "cluster_digits_ablation_x.json").write_text(
        json.dumps({"conditions": "idle", "summary": {"dec": {"acc": {"mean": 0.87654321}}}})
    )
    (results / "zzz_other.json").write_text(
        json.dumps([{"variant": "P64", "balanced_accuracy": 0.5}])
    )
    page = load_results_page().render(results)
    assert "Written by `benchmarks/cluster_digits.py`." in page
    assert "| `summary.dec.acc.mean` | 0.8765 |" in page
    assert "**conditions**: idle" in page
    assert "## other" in page
    assert "| `[P64].balanced_accuracy` | 0.5 |" in page


def test_results_page_covers_every_committed_result_file() -> None:
    page = load_results_page().render()
    files = sorted((REPO / "benchmarks" / "results").glob("*.json"))
    assert files
    assert all(f"### `{f.name}`" in page for f in files)


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.123456, "0.1235"), (3, "3"), (True, "true"), ("a|b", "a\\|b"), (list(range(20)), None)],
)
def test_results_page_formats_leaves_as_safe_table_text(value, text) -> None:
    shown = load_results_page().format_value(value)
    if text is not None:
        assert shown == text
    else:
        assert shown.endswith("(20 values)]")
