"""Every command line and Python example of the README and of docs/ runs, in page order.

Each page is one tour: its commands and its ```` ```python ```` blocks run one after the
other in an empty folder beside ``../shared/data``, so each may use only what the data
sets hold and what the page's earlier steps made (the Python blocks of a page share one
namespace). The size switch (``SEISLEARN_SMALL=1``) keeps them to seconds.
A page that names an input nobody made, an option or a function that no longer exists,
or a command or example that fails, fails here.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("markdown_commands", HERE / "markdown_commands.py")
md = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("markdown_commands", md)
_spec.loader.exec_module(md)

PAGES = [p for p in md.doc_pages() if any(not c.skip_reason for c in md.steps(p))]
COMMAND_TIMEOUT_S = 600


SHELL_SYNTAX = set("|&;<>()$`*?")


def run_in_process(argv: list[str]) -> tuple[int, str, str]:
    """``seislearn ARGV`` through the command's own entry point, in this process (saves
    the seconds of importing torch and Lightning for each of the many commands)."""
    from seislearn.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: a bad option
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def run_python_block(block: md.PythonBlock, namespace: dict) -> None:
    """Execute one Python example in the page's namespace; its failure names the block."""
    code = compile(block.code, f"{block.where()} (python block)", "exec")
    start = time.perf_counter()
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            exec(code, namespace)
    except Exception as exc:
        raise AssertionError(
            f"{block.where()}: the python block fails: {type(exc).__name__}: {exc}\n"
            f"--- stdout\n{out.getvalue()[-2000:]}\n--- stderr\n{err.getvalue()[-3000:]}"
        ) from exc
    finally:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            plt.close("all")
    print(f"{time.perf_counter() - start:7.1f} s  {block.where()}  (python block)")


def run_page(page: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    work, env = md.prepare_workdir(root, small=True)
    monkeypatch.chdir(work)
    for key, value in env.items():
        if os.environ.get(key) != value:
            monkeypatch.setenv(key, value)
    ran = []
    namespace: dict = {"__name__": "__docs__"}
    for command in md.steps(page):
        if command.skip_reason:
            continue
        if isinstance(command, md.PythonBlock):
            run_python_block(command, namespace)
            ran.append(command.where())
            continue
        argv = shlex.split(command.text, comments=True)
        # In this process unless the shell is needed, or Lightning would start processes
        # (it relaunches sys.argv, which here is pytest).
        in_process = (
            argv[0] == "seislearn"
            and not SHELL_SYNTAX & set(command.text.split("#")[0])
            and "--strategy" not in argv
        )
        if in_process:
            start = time.perf_counter()
            code, stdout, stderr = run_in_process(argv[1:])
        else:
            start = time.perf_counter()
            result = subprocess.run(
                ["bash", "-o", "pipefail", "-c", command.text],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT_S,
                stdin=subprocess.DEVNULL,
            )
            code, stdout, stderr = result.returncode, result.stdout, result.stderr
        print(f"{time.perf_counter() - start:7.1f} s  {command.where()}  {command.text}")
        assert code == command.expected_exit, (
            f"{command.where()}: `{command.text}` exited {code}, "
            f"its page shows exit status {command.expected_exit}\n"
            f"--- stdout\n{stdout[-2000:]}\n--- stderr\n{stderr[-4000:]}"
        )
        ran.append(command.text)
    return ran


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_command_of_the_page_runs_in_order(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_page(page, tmp_path, monkeypatch)


def test_commands_sit_only_in_bash_or_console_blocks() -> None:
    # A command in an untagged or ```text block would never be run: every block that
    # shows a seislearn command must be bash (commands) or console ($ commands + output).
    hidden = []
    for page in md.doc_pages():
        for block in md.blocks(page):
            if block.lang in md.COMMAND_LANGS or block.lang in ("python", "yaml", "json"):
                continue
            for line in block.body.splitlines():
                stripped = line.strip().removeprefix("$ ")
                if stripped.startswith(("seislearn ", "python", "bash ", "mkdocs ")):
                    hidden.append(f"{page.name}:{block.line}: {stripped}")
    assert not hidden, "commands outside bash/console blocks:\n" + "\n".join(hidden)


def test_every_skipped_block_says_why() -> None:
    for page in md.doc_pages():
        for command in md.commands(page):
            if command.skip_reason is not None:
                assert len(command.skip_reason) > 10, command.where()


def test_extraction_joins_continuations_and_reads_console_prompts(tmp_path: Path) -> None:
    page = md.REPO / "tmp_docs_extraction_page.md"
    try:
        page.write_text(
            "```bash\n# a comment\nseislearn a \\\n    --b c   # why\n\nseislearn d\n```\n"
            "```console\n$ seislearn e\noutput line\n```\n"
            "<!-- docs-test: skip needs the network -->\n```bash\nseislearn f\n```\n"
            "```text\nseislearn g\n```\n"
        )
        found = md.commands(page)
    finally:
        page.unlink()
    assert [c.text for c in found] == [
        "seislearn a --b c   # why",
        "seislearn d",
        "seislearn e",
        "seislearn f",
    ]
    assert [c.line for c in found] == [3, 6, 9, 14]
    assert [c.skip_reason for c in found] == [None, None, None, "needs the network"]
    assert [c.expected_exit for c in found] == [0] * 4


def test_console_output_gives_the_expected_exit_status(tmp_path: Path) -> None:
    page = md.REPO / "tmp_docs_console_page.md"
    try:
        page.write_text(
            "```console\n$ seislearn x\nwrote\n$ seislearn x\nseislearn: error: exists\n"
            "$ seislearn y\nproblems\n[exit status 3]\n```\n"
        )
        found = md.commands(page)
    finally:
        page.unlink()
    assert [c.expected_exit for c in found] == [0, 1, 3]


def test_python_blocks_run_in_page_order_among_the_commands_and_share_names(tmp_path) -> None:
    page = md.REPO / "tmp_docs_python_page.md"
    try:
        page.write_text(
            "```bash\nseislearn a\n```\n```python\nx = 1\n```\n"
            "```bash\nseislearn b\n```\n```python\ny = x + 1\n```\n"
            "<!-- docs-test: skip needs a GPU for this example -->\n```python\nz = 1\n```\n"
        )
        found = md.steps(page)
    finally:
        page.unlink()
    kinds = [type(step).__name__ for step in found]
    assert kinds == ["Command", "PythonBlock", "Command", "PythonBlock", "PythonBlock"]
    namespace: dict = {}
    run_python_block(found[1], namespace)
    run_python_block(found[3], namespace)
    assert namespace["y"] == 2
    assert found[4].skip_reason == "needs a GPU for this example"


def test_a_stale_python_example_fails_with_its_page_and_line() -> None:
    block = md.PythonBlock("docs/x.md", 12, "from seislearn.io import no_such_function\n")
    with pytest.raises(AssertionError, match=r"docs/x.md:12: the python block fails: ImportError"):
        run_python_block(block, {})
