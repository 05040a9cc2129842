"""Shared tail of the benchmark scripts: the command line and the JSON result file.

Every script prints its result and writes it to ``benchmarks/results/<name>.json``
(or to the ``--out`` path it was given); these two functions are that tail, once.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def command_line() -> str:
    """This process's command line, quoted for a shell: ``python benchmarks/NAME.py ARGS``."""
    return "python " + shlex.join(["benchmarks/" + Path(sys.argv[0]).name, *sys.argv[1:]])


def machine() -> dict[str, Any]:
    """The machine a figure was measured on: CPU count and Python version."""
    return {"cpus": os.cpu_count(), "python": platform.python_version()}


def write_json(
    result: Mapping[str, Any],
    path: str | os.PathLike[str],
    *,
    echo: bool = False,
    default: Callable[[Any], Any] | None = None,
) -> Path:
    """Write ``result`` as indented JSON to ``path`` (parents made) and say where.

    Parameters
    ----------
    result
        What the benchmark measured (JSON-serializable).
    path
        The file to write.
    echo
        Print the whole JSON to standard output before writing it.
    default
        ``json.dumps``'s ``default``: how to show values JSON has no type for
        (``None``: such a value is an error).

    Returns
    -------
    Path
        The file written.
    """
    text = json.dumps(result, indent=2, default=default)
    if echo:
        print(text)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return out


def save_result(name: str, result: Mapping[str, Any], **kwargs: Any) -> Path:
    """:func:`write_json` to ``benchmarks/results/<name>.json``; ``kwargs`` go to it."""
    return write_json(result, RESULTS / f"{name}.json", **kwargs)
