"""Run tests/robustness and write the README's robustness table from what ran.

Usage::

    python3.11 scripts/robustness_table.py            # print the table
    python3.11 scripts/robustness_table.py --write    # and replace it in README.md

One row per test: the input class (the test module's first docstring line),
the fault injected and the behaviour required (the test's name), how many
inputs were tried (examples hypothesis generated, or 1 per parametrized case)
and the outcome of this run. Nothing in the table is typed by hand.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- robustness-table:start -->", "<!-- robustness-table:end -->"


class Ledger:
    """A pytest plugin counting the inputs each robustness test tried and its outcome."""

    def __init__(self) -> None:
        self.inputs: dict[str, int] = defaultdict(int)
        self.outcome: dict[str, str] = {}
        self.module_doc: dict[str, str] = {}
        self.test_of: dict[str, str] = {}

    def pytest_collection_modifyitems(self, items: list) -> None:
        for item in items:
            function = item.function.__name__
            self.test_of[item.nodeid] = f"{item.module.__name__}::{function}"
            doc = (item.module.__doc__ or item.module.__name__).strip().splitlines()[0]
            self.module_doc[item.module.__name__] = doc
            handle = getattr(item.obj, "hypothesis", None)
            if handle is not None and not getattr(handle, "_counted", False):
                inner = handle.inner_test
                key = self.test_of[item.nodeid]

                def counted(*args, _inner=inner, _key=key, **kwargs):
                    self.inputs[_key] += 1
                    return _inner(*args, **kwargs)

                handle.inner_test = counted
                handle._counted = True

    def pytest_runtest_logreport(self, report) -> None:
        key = self.test_of.get(report.nodeid)
        if key is None:
            return
        if report.when == "call" and report.outcome != "skipped" and not self._is_hypothesis(key):
            self.inputs[key] += 1  # one input per (parametrized) case
        rank = {"passed": 0, "skipped": 1, "failed": 2}
        if report.when == "call" or report.outcome != "passed":
            previous = self.outcome.get(key, "passed")
            self.outcome[key] = max(previous, report.outcome, key=rank.__getitem__)

    def _is_hypothesis(self, key: str) -> bool:
        module, function = key.split("::")
        obj = getattr(sys.modules.get(module), function, None)
        return getattr(obj, "hypothesis", None) is not None


def _human(function: str) -> str:
    return function.removeprefix("test_").replace("_", " ")


def table(ledger: Ledger) -> str:
    """The Markdown table of one run."""
    rows = [
        "| input class | fault injected, and the result required | inputs tried | outcome |",
        "|---|---|---:|---|",
    ]
    total_inputs, total_tests, passed, skipped = 0, 0, 0, 0
    for key in sorted(ledger.outcome, key=lambda k: (k.split("::")[0], k)):
        module, function = key.split("::")
        n = ledger.inputs.get(key, 0)
        outcome = ledger.outcome[key]
        rows.append(f"| {ledger.module_doc[module]} | {_human(function)} | {n} | {outcome} |")
        total_inputs += n
        total_tests += 1
        passed += outcome == "passed"
        skipped += outcome == "skipped"
    failed = total_tests - passed - skipped
    summary = f"{total_tests} behaviours: {passed} held, {failed} failed, {skipped} skipped"
    rows.append(f"| **all** | {summary} | {total_inputs} | |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace the table in README.md")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments")
    args = parser.parse_args()
    ledger = Ledger()
    code = pytest.main(
        [str(ROOT / "tests" / "robustness"), "-q", "-p", "no:cacheprovider", *args.pytest_args],
        plugins=[ledger],
    )
    text = table(ledger)
    print(text)
    if args.write:
        readme = ROOT / "README.md"
        content = readme.read_text(encoding="utf-8")
        pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
        if not pattern.search(content):
            raise SystemExit(f"{readme} has no {START} ... {END} markers")
        block = f"{START}\n{text}\n{END}"
        readme.write_text(pattern.sub(lambda _: block, content), encoding="utf-8")
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
