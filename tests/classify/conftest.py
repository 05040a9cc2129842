"""Fixtures of the classify tests: one tiny dataset on disk and one tiny trained run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch


@pytest.fixture(scope="package", autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(scope="package")
def events_dir(tmp_path_factory: pytest.TempPathFactory, synthetic_small) -> Path:
    """The 120 synthetic events written as a SeisBench folder."""
    from seislearn.io.seisbench import write_seisbench

    path = tmp_path_factory.mktemp("classify") / "events"
    write_seisbench(synthetic_small, path)
    return path


@pytest.fixture(scope="package")
def tiny_config():
    from seislearn.workflows.classify_config import ClassifyConfig

    return ClassifyConfig(
        target="source_type", model={"channels": [8, 16]}, training={"epochs": 2, "batch_size": 16}
    )


@pytest.fixture(scope="package")
def trained_run(tmp_path_factory: pytest.TempPathFactory, events_dir: Path, tiny_config) -> Path:
    """A P64 source_type run trained for two epochs."""
    from seislearn.workflows.classify import train

    out = tmp_path_factory.mktemp("classify") / "run"
    train(events_dir, tiny_config, out)
    return out
