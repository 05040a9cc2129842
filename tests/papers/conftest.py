"""Fixtures of the papers tests: the shared database CSVs and tiny hand-made rows."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from seislearn.papers.load import PaperTable, load_papers
from seislearn.papers.schema import CSV_TO_FIELD

REPO_ROOT = Path(__file__).resolve().parents[2]
# The shared README calls the folder paper_inventory/; on disk it is dl_seismology/.
DATA_DIRS = ("dl_seismology", "paper_inventory")
DEEP_CSV = "paper_inventory_deep.csv"
ALLML_CSV = "paper_inventory_aggregated_allML.csv"


def shared_csv(name: str) -> Path:
    """Path of a database CSV in ../shared/data, or skip the test when it is absent."""
    for folder in DATA_DIRS:
        path = REPO_ROOT / ".." / "shared" / "data" / folder / name
        if path.is_file():
            return path.resolve()
    pytest.skip(f"{name} not found under ../shared/data/{{{','.join(DATA_DIRS)}}}")


@pytest.fixture(scope="session")
def deep_csv() -> Path:
    return shared_csv(DEEP_CSV)


@pytest.fixture(scope="session")
def allml_csv() -> Path:
    return shared_csv(ALLML_CSV)


@pytest.fixture(scope="session")
def deep_table(deep_csv: Path) -> PaperTable:
    return load_papers(deep_csv)


GOOD_ROW: dict[str, str] = {
    "author": "Yang",
    "year": "2019",
    "category": "Inverse Problems",
    "sub_category_I": "Active Seismology",
    "sub_category_II": "Subsurface Characterization",
    "task": "['Velocity Model Building']",
    "sub_task": "Prestack",
    "title": "Deep-learning inversion: A next-generation seismic velocity model building method",
    "journal": "Geophysics",
    "ml_type": "['ANN']",
    "neuralNetwork_type": "['CNN']",
    "neuralNetwork_name": "['U-Net']",
    "hiddenLayers": "[64, 64, 128]",
    "training_process": "['Supervised_Learning', 'Transfer_Learning']",
    "inputs": "['multishot gathers']",
    "outputs": "['predicted velocity model']",
    "data_domain": "['time']",
    "data_type": "['synthetic']",
    "data_size": "[1600]",
    "performance_metrice": "[]",
    "performance_score": "[]",
    "baseline": "['FWI']",
    "notes": "The main contribution of this paper is the use of U-Net.",
}


@pytest.fixture
def make_row() -> Callable[..., dict[str, str]]:
    """Build a valid CSV row (as text) with some cells replaced: ``make_row(year="202")``."""

    def make(**changes: str) -> dict[str, str]:
        return {**GOOD_ROW, **changes}

    return make


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write rows (dicts of CSV text) to a CSV with the database's header."""

    def write(rows: list[dict[str, str]], name: str = "papers.csv") -> Path:
        path = tmp_path / name
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(CSV_TO_FIELD))
            writer.writeheader()
            writer.writerows(rows)
        return path

    return write
