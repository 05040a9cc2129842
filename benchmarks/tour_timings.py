"""Wall and CPU time of each README tour command at the tour's own sizes (no size switch).

Runs the README's command lines in order in a fresh folder beside ../shared/data, as
tests/docs does but at full size, and writes benchmarks/results/tour_timings.json.
Usage: python benchmarks/tour_timings.py [--page README.md] [--workdir DIR] [--timeout-s 300]
       python benchmarks/tour_timings.py --write-page   # the JSON's times into the README

With ``--timeout-s`` a command still running after that many seconds is stopped and
recorded as ``"over_s"`` (the tour's goal is every command under 5 minutes); a later
command that needed its output then fails and is recorded with its exit code.

Each row has the wall time (s), the CPU time of the command's whole process tree
(``cpu_s``: user + system seconds of every waited-for descendant, from
``resource.getrusage(RUSAGE_CHILDREN)``) and the 1-minute load average at its start
and end. On a shared machine the CPU seconds are the comparable figure: the wall
time grows with the other jobs' load, the CPU time hardly.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import resource
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
        cpu_before = children_cpu_s()
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
        cpu = round(children_cpu_s() - cpu_before, 1)
        rows.append(
            {
                "command": command.text,
                "line": command.line,
                "wall_s": seconds,
                "cpu_s": cpu,
                **({"cpu_s_note": DDP_CPU_NOTE} if "--strategy" in command.text else {}),
                "exit_code": result.returncode,
                "load_average_1min_at_start": round(load, 2),
                "load_average_1min_at_end": round(os.getloadavg()[0], 2),
                "stderr_tail": result.stderr[-400:] if result.returncode else "",
            }
        )
        print(
            f"{seconds:8.1f} s  cpu {cpu:7.1f} s  load {load:4.1f}  exit {result.returncode}  "
            f"{command.text}",
            flush=True,
        )
        write(args, rows)
    write(args, rows)
    return 0


def children_cpu_s() -> float:
    """User + system CPU seconds of every terminated, waited-for descendant so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def duration(seconds: float) -> str:
    """``under 1 s``, ``18 s`` below 2 minutes, else ``4 min 24 s``."""
    if seconds < 0.5:
        return "under 1 s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s"


#: Lightning's DDP launcher reaps the other ranks only by polling every 5 s, so a rank
#: that exits just before the main process is not counted in ``RUSAGE_CHILDREN``.
DDP_CPU_NOTE = "a lower bound: the other DDP ranks count only if Lightning reaped them"

#: From this 1-minute load average on (2 cores) the wall time shown says the load.
LOADED = 2.5
#: Commands shorter than this (s) show the wall time only.
SHORT_S = 20.0


def shown_time(row: dict) -> str:
    """The bracket shown after a command: ``[18 s]``, ``[4 min 24 s]``, or under load
    ``[3 min 5 s at load 4-6: 98 s of CPU]``; ``[over 5 min: stopped]`` when stopped."""
    if "over_s" in row:
        return f"[over {row['over_s'] / 60:.0f} min: stopped]"
    seconds = row["wall_s"]
    loads = [row[k] for k in ("load_average_1min_at_start", "load_average_1min_at_end") if k in row]
    if seconds < SHORT_S or "cpu_s" not in row or max(loads) < LOADED:
        return f"[{duration(seconds)}]"
    low, high = round(min(loads)), round(max(loads))
    load = f"{low}" if low == high else f"{low}-{high}"
    if "--strategy" in row["command"]:  # DDP_CPU_NOTE: the CPU time is incomplete
        return f"[{duration(seconds)} at load {load}]"
    return f"[{duration(seconds)} at load {load}: {duration(row['cpu_s'])} of CPU]"


BRACKET = re.compile(r"\s*\[(?:\d+ s|\d+ min \d+ s|under 1 s|over \d+ min: stopped)[^\]]*\]\s*$")
#: A shell comment already on the line (`` # ...`` or a bare `` #`` at its end).
COMMENT = re.compile(r"\s#(?:\s|$)")


def bare(command: str) -> str:
    """A command's text without its time and without a comment that only held the time
    (``seislearn x   # [3 s]`` -> ``seislearn x``): the key that matches a row to its line."""
    return re.sub(r"\s+#$", "", BRACKET.sub("", command)).rstrip()


def write_readme(results: Path, page: Path) -> int:
    """Put each measured time at the end of its command's last line on ``page``.

    Brackets written before (``[18 s]``) are removed from every command first; a
    command without a comment gets one. Commands not in ``results`` (skipped, not
    reached, failed) are left without a time.
    """
    rows = json.loads(results.read_text(encoding="utf-8"))["commands"]
    lines = page.read_text(encoding="utf-8").split("\n")
    # Matched by the command's text without its time: line numbers move as the page changes.
    where = {bare(c.text): c.line for c in md.commands(page) if not c.skip_reason}
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
        if row.get("exit_code", 0) != 0 or bare(row["command"]) not in where:
            continue
        last = where[bare(row["command"])] - 1
        while lines[last].rstrip().endswith("\\"):
            last += 1
        text = BRACKET.sub("", lines[last])
        if not COMMENT.search(text):
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
        "total_cpu_s": round(sum(r.get("cpu_s", 0.0) for r in rows), 1),
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
