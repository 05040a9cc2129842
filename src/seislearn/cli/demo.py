"""``seislearn demo``: the whole toolkit on embedded synthetic data."""

from __future__ import annotations

import argparse

from seislearn.cli.common import formatter

EPILOG = """\
examples:
  seislearn demo --out demo-run            # a few minutes on a laptop CPU
  seislearn demo --out demo-run --overwrite --steps azimuth,cluster
Open demo-run/report.html in a browser afterwards.
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo",
        help="run every workflow on synthetic data and write report.html",
        description="Generate synthetic events, read them back, run each workflow briefly, "
        "and write one run directory with report.html.",
        epilog=EPILOG,
        formatter_class=formatter(),
    )
    p.add_argument(
        "--out", default="demo-run", metavar="RUN", help="run directory (default demo-run)"
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing demo run")
    p.add_argument("--n", type=int, default=400, help="number of synthetic events (default 400)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    p.add_argument(
        "--steps", default=None, help="comma-separated workflow sections to run (default: all)"
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from seislearn.demo import run_demo

    steps = args.steps.split(",") if args.steps else None
    report = run_demo(
        args.out, n=args.n, seed=args.seed, overwrite=args.overwrite, quick=args.quick, steps=steps
    )
    print(f"report written to {report}")
    return 0
