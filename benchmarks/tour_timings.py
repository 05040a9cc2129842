"""Wall time of each README tour command at the tour's own sizes (no size switch).

Runs the README's command lines in order in a fresh folder beside ../shared/data, as
tests/docs does but at full size, and writes benchmarks/results/tour_timings.json.
Usage: python benchmarks/tour_timings.py [--page README.md] [--workdir DIR] [--timeout-s 300]
       python benchmarks/tour_timings.py --write-page   # the JSON's times into the README

With ``--timeout-s`` a command still running after that many seconds is stopped and
recorded as ``"over_s"`` (the tour's goal is every command under 5 minutes); a later
command that needed its output then fails and is recorded with its exit code.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location(
    "markdown_commands", REPO / "tests" / "docs" / "markdown_commands.py"
)
md = importlib.util.module_from_spec(spec)
sys.modules.setdefault("markdown_commands", md)
spec.loader.exec_module(md)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", default="README.md")
    parser.add_argument("--workdir", type=Path, help="folder to run in (default: a new temp dir)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/tour_timings.json")
    parser.add_argument("--timeout-s", type=float, default=None, help="stop a command after this")
    parser.add_argument(
        "--write-page",
        action="store_true",
        help="measure nothing: write the times of --out's JSON into --page, next to each command",
    )
    args = parser.parse_args()
    if args.write_page:
        return write_readme(args.out, REPO / args.page)
    args.argv = sys.argv
    args.commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    root = args.workdir or Path(tempfile.mkdtemp(prefix="tour_"))
    work, env = md.prepare_workdir(root, small=False)
    rows = []
    for command in md.commands(REPO / args.page):
        if command.skip_reason:
            rows.append({"command": command.text, "skipped": command.skip_reason})
            continue
        load = os.getloadavg()[0]
        start = time.perf_counter()
        process = subprocess.Popen(
            ["bash", "-o", "pipefail", "-c", command.text],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, stopped as a whole
        )
        try:
            stdout, stderr = process.communicate(timeout=args.timeout_s)
            result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            rows.append(
                {
                    "command": command.text,
                    "line": command.line,
                    "over_s": args.timeout_s,
                    "load_average_1min_at_start": round(load, 2),
                }
            )
            print(f"   > {args.timeout_s:.0f} s  stopped  {command.text}", flush=True)
            write(args, rows)
            continue
        seconds = round(time.perf_counter() - start, 1)
        rows.append(
            {
                "command": command.text,
                "line": command.line,
                "wall_s": seconds,
                "exit_code": result.returncode,
                "load_average_1min_at_start": round(load, 2),
                "stderr_tail": result.stderr[-400:] if result.returncode else "",
            }
        )
        print(f"{seconds:8.1f} s  exit {result.returncode}  {command.text}", flush=True)
        write(args, rows)
    write(args, rows)
    return 0


def shown_time(row: dict) -> str:
    """``[18 s]``, ``[4 min 24 s]``, or ``[over 5 min: stopped]`` for a row of the JSON."""
    if "over_s" in row:
        return f"[over {row['over_s'] / 60:.0f} min: stopped]"
    seconds = row["wall_s"]
    if seconds < 120:
        return f"[{seconds:.0f} s]"
    return f"[{int(seconds // 60)} min {seconds % 60:.0f} s]"


BRACKET = re.compile(r"\s*\[(?:\d+ s|\d+ min \d+ s|over \d+ min: stopped)[^\]]*\]\s*$")


def write_readme(results: Path, page: Path) -> int:
    """Put each measured time at the end of its command's last line on ``page``.

    Brackets written before (``[18 s]``) are removed from every command first; a
    command without a comment gets one. Commands not in ``results`` (skipped, not
    reached, failed) are left without a time.
    """
    rows = json.loads(results.read_text(encoding="utf-8"))["commands"]
    lines = page.read_text(encoding="utf-8").split("\n")
    # Matched by the command's text without its time: line numbers move as the page changes.
    where = {BRACKET.sub("", c.text): c.line for c in md.commands(page) if not c.skip_reason}
    # Times of an earlier run go: every time shown is from this run.
    for number in where.values():
        last = number - 1
        while lines[last].rstrip().endswith("\\"):
            last += 1
        lines[last] = BRACKET.sub("", lines[last])
    changed = 0
    for row in rows:
        if "wall_s" not in row and "over_s" not in row:
            continue
        if row.get("exit_code", 0) != 0 or BRACKET.sub("", row["command"]) not in where:
            continue
        last = where[BRACKET.sub("", row["command"])] - 1
        while lines[last].rstrip().endswith("\\"):
            last += 1
        text = BRACKET.sub("", lines[last])
        if "#" not in text.split("'")[0].split('"')[0] and "  # " not in text:
            text += "   #"
        lines[last] = f"{text} {shown_time(row)}"
        changed += 1
    page.write_text("\n".join(lines), encoding="utf-8")
    print(f"{changed} commands of {page} given their measured time")
    return 0


def write(args: argparse.Namespace, rows: list[dict]) -> None:
    """Write the JSON (after every command, so a stopped run keeps what it measured)."""
    out = {
        "benchmark": "tour_timings",
        "page": args.page,
        "conditions": f"{os.cpu_count()} CPU cores shared with other engineers' jobs, "
        f"niceness {os.nice(0)}, per-command limit {args.timeout_s} s",
        "command_line": " ".join(args.argv),
        "commit": args.commit,
        "platform": platform.platform(),
        "commands": rows,
        "total_s": round(sum(r.get("wall_s", 0.0) for r in rows), 1),
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
