"""The browser tests skip on a laptop without Chromium but fail in CI."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


def load_require_browser():
    """The shared gate of the ``chromium`` fixture (tests/conftest.py)."""
    spec = importlib.util.spec_from_file_location("tests_root_conftest", CONFTEST)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.require_browser


def test_missing_chromium_skips_outside_ci(monkeypatch, tmp_path: Path):
    require_browser = load_require_browser()
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.skip.Exception):
        require_browser(str(tmp_path / "no-chromium"))


def test_missing_chromium_fails_in_ci(monkeypatch, tmp_path: Path):
    require_browser = load_require_browser()
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="install-browser"):
        require_browser(str(tmp_path / "no-chromium"))
