"""The browser test skips on a laptop without Chromium but fails in CI."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BROWSER_TEST = Path(__file__).with_name("test_browser.py")


def load_browser_module():
    spec = importlib.util.spec_from_file_location("papers_browser_test", BROWSER_TEST)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_chromium_skips_outside_ci(monkeypatch, tmp_path: Path):
    module = load_browser_module()
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(module, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setattr(module.shutil, "which", lambda name: None)
    with pytest.raises(pytest.skip.Exception):
        module._require_browser()


def test_missing_chromium_fails_in_ci(monkeypatch, tmp_path: Path):
    module = load_browser_module()
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(module, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setattr(module.shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="install-browser"):
        module._require_browser()
