"""The command lines of a Markdown page, and a folder to run them in as a user would.

A page's commands are, in order, every line of its ```` ```bash ```` blocks (``\\``
continuations joined, comments and blank lines dropped) and every ``$ `` line of its
```` ```console ```` blocks (the other lines there are output; a command whose output
shows ``seislearn: error:`` must fail with exit status 1, and one whose output ends in
``[exit status N]`` must exit with N). Its Python examples are its ```` ```python ````
blocks, each run as a whole, in page order among the commands, in one namespace per
page (a block may use what an earlier block defined). A block right after
``<!-- docs-test: skip REASON -->`` is not run; REASON says why (the command needs the
network, or is the test suite itself).

Used by tests/docs/test_commands.py (tiny sizes, ``SEISLEARN_SMALL=1``) and by
benchmarks/tour_timings.py (the tour's own sizes).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```[ \t]*$", re.S | re.M)
SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s+(?P<reason>.+?)\s*-->\s*$")
COMMAND_LANGS = ("bash", "console")
EXIT_LINE = re.compile(r"^\[exit status (?P<code>\d+)\]$")


@dataclass(frozen=True)
class Command:
    """One command line of a page: its text, where it is, and whether it is run."""

    page: str
    line: int
    text: str
    skip_reason: str | None = None
    expected_exit: int = 0

    def where(self) -> str:
        return f"{self.page}:{self.line}"


@dataclass(frozen=True)
class Block:
    """One fenced code block: its language tag (may be empty), first line, body."""

    lang: str
    line: int
    body: str
    skip_reason: str | None


@dataclass(frozen=True)
class PythonBlock:
    """One ```` ```python ```` block of a page: run as a whole, in the page's namespace."""

    page: str
    line: int
    code: str
    skip_reason: str | None = None

    def where(self) -> str:
        return f"{self.page}:{self.line}"


def doc_pages() -> list[Path]:
    """README.md and every page of docs/, in a fixed order."""
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = SKIP.search(before)
        found.append(Block(match["lang"], line, match["body"], skip["reason"] if skip else None))
    return found


def _logical_lines(body: str, first_line: int) -> list[tuple[int, str]]:
    """Lines with ``\\`` continuations joined, each with its line number in the page."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for offset, raw in enumerate(body.splitlines()):
        if not pending:
            start = first_line + 1 + offset
        if raw.rstrip().endswith("\\"):
            pending.append(raw.rstrip()[:-1])
            continue
        pending.append(raw)
        out.append((start, " ".join(part.strip() for part in pending)))
        pending = []
    return out


def commands(path: Path) -> list[Command]:
    """The page's command lines, in order (see the module docstring)."""
    page = str(path.relative_to(REPO))
    found = []
    for block in blocks(path):
        if block.lang not in COMMAND_LANGS:
            continue
        lines = _logical_lines(block.body, block.line)
        for i, (line, text) in enumerate(lines):
            expected_exit = 0
            if block.lang == "console":
                if not text.startswith("$ "):
                    continue
                # The output shown under a console command tells whether it fails.
                output = []
                for _, after in lines[i + 1 :]:
                    if after.startswith("$ "):
                        break
                    output.append(after)
                shown = [EXIT_LINE.match(o) for o in output]
                codes = [int(m["code"]) for m in shown if m]
                if codes:
                    expected_exit = codes[0]
                elif any(o.startswith("seislearn: error:") for o in output):
                    expected_exit = 1
                text = text[2:]
            text = text.strip()
            if not text or text.startswith("#"):
                continue
            found.append(Command(page, line, text, block.skip_reason, expected_exit))
    return found


def python_blocks(path: Path) -> list[PythonBlock]:
    """The page's ```` ```python ```` blocks, in order."""
    page = str(path.relative_to(REPO))
    return [
        PythonBlock(page, block.line, block.body, block.skip_reason)
        for block in blocks(path)
        if block.lang == "python"
    ]


def steps(path: Path) -> list[Command | PythonBlock]:
    """Command lines and Python blocks of the page, in the order the page shows them."""
    return sorted([*commands(path), *python_blocks(path)], key=lambda step: step.line)


def prepare_workdir(root: Path, small: bool) -> tuple[Path, dict[str, str]]:
    """A folder laid out like a user's: ``root/repo`` (the working directory) beside
    ``root/shared/data`` (the real data sets), and the environment to run commands in.

    The ``seislearn`` command is this checkout's (``python -m seislearn`` with ``src/`` on
    the path); the papers cache holds the database as ``seislearn papers download`` leaves
    it, since the tests run offline. ``small`` turns on the size switch
    (``SEISLEARN_SMALL=1``).
    """
    from seislearn.papers.download import DATASETS

    work = root / "repo"
    work.mkdir(parents=True)
    shared = REPO.parent / "shared"
    (root / "shared").symlink_to(shared, target_is_directory=True)
    for name in ("scripts", "benchmarks", "pyproject.toml"):
        (work / name).symlink_to(REPO / name)
    bin_dir = root / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "seislearn"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m seislearn "$@"\n')
    launcher.chmod(0o755)
    (bin_dir / "python").symlink_to(sys.executable)
    (bin_dir / "python3.11").symlink_to(sys.executable)
    cache = root / "cache"
    papers_cache = cache / "papers"
    papers_cache.mkdir(parents=True)
    database = shared / "data" / "dl_seismology" / DATASETS["deep"].filename
    shutil.copy(database, papers_cache / database.name)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(REPO / "src"),
        "SEISLEARN_CACHE": str(cache),
        "SEISLEARN_CACHE_DIR": str(cache),  # feature-cache stores of streamed commands
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
        "NO_COLOR": "1",
    }
    env.pop("SEISLEARN_PAPERS_CSV", None)
    if small:
        env["SEISLEARN_SMALL"] = "1"
    else:
        env.pop("SEISLEARN_SMALL", None)
    return work, env
