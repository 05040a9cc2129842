"""Every example in every ``--help`` parses and names only inputs a user has or made.

An example may read one of the small data sets in ``../shared/data``, a path that an
example (of any ``--help``) or a command of the README/docs tour writes (``--out``, a
``convert`` destination, ``--to``), or a placeholder for the user's own file, spelled
``YOUR_...`` as ``seislearn --help`` says. A name such as ``new_events/`` that nothing
makes, or an option that no longer exists, fails here.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shlex
import sys
from pathlib import Path, PurePosixPath

import pytest

from seislearn.cli.main import build_parser

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("markdown_commands", HERE / "markdown_commands.py")
md = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("markdown_commands", md)
_spec.loader.exec_module(md)

#: Argument destinations that name something the command reads.
INPUTS = (
    "config", "csv", "data", "entry", "init_from", "inventory", "model", "new", "old",
    "noise_from", "path", "picks", "src", "vocabulary", "weights",
)  # fmt: skip
#: Argument destinations that name something the command writes.
OUTPUTS = ("out", "dst", "to")
PLACEHOLDER = re.compile(r"^YOUR_[A-Z0-9_]+(\.[A-Za-z0-9]+)?/?$")
SHARED = md.REPO.parent / "shared" / "data"


def _parsers(parser: argparse.ArgumentParser, name: str = "seislearn"):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {sub_name}")


def help_examples() -> list[tuple[str, str]]:
    """``(help page, command)`` for every ``seislearn ...`` line of every epilog."""
    found = []
    for name, parser in _parsers(build_parser()):
        lines = (parser.epilog or "").splitlines()
        joined: list[str] = []
        pending = ""
        for raw in lines:
            text = pending + raw.strip()
            if text.endswith("\\"):
                pending = text[:-1] + " "
                continue
            pending = ""
            joined.append(text)
        found += [(name, line) for line in joined if line.startswith("seislearn ")]
    return found


def _argv(command: str) -> list[str]:
    argv = shlex.split(command, comments=True)
    for i, token in enumerate(argv):
        if token in (">", "|", "&&", ";"):
            return argv[1:i]
    return argv[1:]


def _parse(command: str) -> argparse.Namespace:
    try:
        return build_parser().parse_args(_argv(command))
    except SystemExit as exc:
        raise AssertionError(f"`{command}` does not parse (exit {exc.code})") from None


def _values(namespace: argparse.Namespace, dests: tuple[str, ...]) -> list[str]:
    out = []
    for dest in dests:
        value = getattr(namespace, dest, None)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item:
                out.append(item)
    return out


def _norm(path: str) -> PurePosixPath:
    return PurePosixPath(path.rstrip("/"))


def made_paths() -> set[PurePosixPath]:
    """Everything an example or a tour command writes."""
    made = set()
    tour = [c.text for page in md.doc_pages() for c in md.commands(page) if not c.skip_reason]
    commands = [c for _, c in help_examples()] + [c for c in tour if c.startswith("seislearn ")]
    for command in commands:
        made.update(_norm(v) for v in _values(_parse(command), OUTPUTS))
    # Folders a tour makes with other tools (mkdir) count too.
    for command in tour:
        if command.startswith("mkdir "):
            made.update(_norm(a) for a in shlex.split(command)[1:] if not a.startswith("-"))
    return made


def unknown_inputs(command: str, made: set[PurePosixPath]) -> list[str]:
    """The inputs of ``command`` that are neither shared data, made, nor a placeholder."""
    bad = []
    for value in _values(_parse(command), INPUTS):
        path = _norm(value)
        if PLACEHOLDER.match(value):
            continue
        if (
            value.startswith("../shared/data/")
            and (SHARED / value[len("../shared/data/") :]).exists()
        ):
            continue
        if any(path == m or m in path.parents for m in made):
            continue
        bad.append(value)
    return bad


EXAMPLES = help_examples()
MADE = made_paths()


def test_every_help_page_with_commands_has_examples() -> None:
    pages = {name for name, _ in EXAMPLES}
    for group in ("data", "azimuth", "cluster", "classify", "explain", "images", "papers"):
        assert f"seislearn {group}" in pages


@pytest.mark.parametrize(("page", "command"), EXAMPLES, ids=[c for _, c in EXAMPLES])
def test_help_example_parses_and_reads_only_what_a_user_has_or_made(
    page: str, command: str
) -> None:
    bad = unknown_inputs(command, MADE)
    assert not bad, (
        f"`{page} --help` example `{command}` reads {bad}: nothing in ../shared/data, no "
        "example and no tour command makes it; name a tour path or a YOUR_... placeholder"
    )


def test_the_placeholder_convention_is_told_in_the_main_help() -> None:
    text = build_parser().format_help()
    assert "YOUR_" in text and "../shared/data" in text


def test_an_input_nobody_made_is_caught() -> None:
    made = {PurePosixPath("synth")}
    command = "seislearn azimuth evaluate --model az_run --data other_synth"
    assert sorted(unknown_inputs(command, made)) == ["az_run", "other_synth"]
    assert unknown_inputs("seislearn azimuth train --data synth --out az_run", made) == []
    assert unknown_inputs("seislearn data check YOUR_STEAD_FOLDER", made) == []
    assert unknown_inputs("seislearn data info ../shared/data/no_such_set", made) == [
        "../shared/data/no_such_set"
    ]
