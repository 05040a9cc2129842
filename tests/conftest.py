"""Shared fixtures: the real data sets in ../shared/data, and small synthetic data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """``../shared/data`` relative to the repository root (or $SEISLEARN_SHARED_DATA)."""
    env = os.environ.get("SEISLEARN_SHARED_DATA")
    return Path(env) if env else (REPO_ROOT.parent / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real test data sets; the test is skipped where it is absent."""
    path = shared_data_dir()
    if not path.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"shared test data not found at {path}")
        pytest.skip(f"shared test data not found at {path}")
    return path


@pytest.fixture(scope="session")
def synthetic_small():
    """120 synthetic events (in memory), seed 7."""
    from seislearn.data.synthetic import make_events

    return make_events(120, seed=7)


@pytest.fixture(scope="session")
def synthetic_archive(tmp_path_factory: pytest.TempPathFactory):
    """Factory: ``synthetic_archive(n, seed, **synthetic_config)`` -> a SeisBench folder.

    ``n`` synthetic events of ``make_events`` (``seed``; keyword arguments go to
    ``SyntheticConfig``) written once per session and shared by every test that
    asks for the same ones. Tests read these folders; one that must change its
    data writes a copy.
    """
    made: dict[tuple, Path] = {}

    def make(n: int, seed: int, **config: object) -> Path:
        key = (n, seed, tuple(sorted(config.items())))
        if key not in made:
            from seislearn.data.synthetic import SyntheticConfig, make_events
            from seislearn.io.seisbench import write_seisbench

            events = make_events(n, seed=seed, config=SyntheticConfig(**config))
            path = tmp_path_factory.mktemp(f"synthetic_{n}_{seed}") / "events"
            write_seisbench(events, path)
            made[key] = path
        return made[key]

    return make


@pytest.fixture(scope="module")
def monkeypatch_module():
    """A ``MonkeyPatch`` undone when the test module ends (for module-scoped fixtures)."""
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture
def count_training_steps(monkeypatch):
    """Patch a LightningModule class so each training step is recorded.

    Call the fixture with the class; it returns the list the batch indices are
    appended to (one entry per optimization step that really ran).
    """

    def patch(module_class: type) -> list[int]:
        steps: list[int] = []
        original = module_class.training_step

        def counting_step(self, batch, batch_idx):
            steps.append(batch_idx)
            return original(self, batch, batch_idx)

        monkeypatch.setattr(module_class, "training_step", counting_step)
        return steps

    return patch


# -- a tiny classify run, shared by the classify and explain tests ------------------
@pytest.fixture(scope="session")
def events_dir(tmp_path_factory: pytest.TempPathFactory, synthetic_small) -> Path:
    """The 120 synthetic events written as a SeisBench folder."""
    from seislearn.io.seisbench import write_seisbench

    path = tmp_path_factory.mktemp("classify") / "events"
    write_seisbench(synthetic_small, path)
    return path


@pytest.fixture(scope="session")
def tiny_config():
    from seislearn.classify.config import ClassifyConfig

    return ClassifyConfig(
        target="source_type", model={"channels": [8, 16]}, training={"epochs": 2, "batch_size": 16}
    )


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, events_dir: Path, tiny_config) -> Path:
    """A P64 source_type run trained for two epochs."""
    from seislearn.classify.api import train

    out = tmp_path_factory.mktemp("classify") / "run"
    train(events_dir, tiny_config, out)
    return out


# -- a seislearn command in its own process (Lightning's DDP launcher re-runs it per rank) --
@pytest.fixture(scope="session")
def seislearn_process():
    """Run ``python -m seislearn ARGS`` with this checkout's sources; returns the result.

    Keyword arguments are extra environment variables. Any rank variables of
    the calling process are removed, so the command starts as global rank 0.
    """
    import os
    import subprocess
    import sys

    src = str(Path(__file__).resolve().parents[1] / "src")

    def run(*args: str, **env_vars: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": src, "OMP_NUM_THREADS": "1", **env_vars}
        for key in ("LOCAL_RANK", "NODE_RANK", "RANK", "WORLD_SIZE", "MASTER_PORT"):
            env.pop(key, None)
        return subprocess.run(
            [sys.executable, "-m", "seislearn", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )

    return run


#: Debian's Chromium, driven by Playwright in the browser tests (``pytest -m browser``).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_browser(chromium: str = CHROMIUM):
    """Playwright's ``sync_playwright``, or a skip (a failure in CI) naming what is missing.

    Skipped when Chromium or Playwright is missing, except in CI (``CI=true``), where a
    missing browser is a failure: ``.ci/install-browser.sh`` installs both.
    """
    import shutil

    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "playwright is not installed (pip install playwright)"
    if missing is None and not (Path(chromium).exists() or shutil.which("chromium")):
        missing = f"{chromium} is missing (apt-get install chromium)"
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser test cannot run in CI: {missing}; run .ci/install-browser.sh")
        pytest.skip(missing)
    return sync_playwright


@pytest.fixture(scope="module")
def chromium():
    """A headless Chromium (Playwright ``Browser``), one per test module, closed after it."""
    sync_playwright = require_browser()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
