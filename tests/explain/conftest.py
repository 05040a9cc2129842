"""The explain tests run on one thread (their data and run fixtures are in tests/conftest.py)."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="package", autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)
