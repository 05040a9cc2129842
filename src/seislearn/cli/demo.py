"""``seislearn demo``: the whole toolkit on embedded synthetic data."""

from __future__ import annotations

import argparse

from seislearn.cli.common import formatter

EPILOG = """\
examples:
  seislearn demo --out demo-run            # 80-230 s on 2 CPU cores
  seislearn demo --out demo-run --resume   # run only the stages not finished yet
  seislearn demo --out demo-run --overwrite --steps azimuth,cluster
  seislearn demo --out quick-run --quick   # tiny sizes, about 30 s; numbers not meaningful
Each stage prints one line when it starts (with the time left) and one when it ends.
Open demo-run/report.html in a browser afterwards.
"""

STEP_NAMES = "azimuth, cluster, classify, images, papers"


def _steps(text: str) -> list[str]:
    from seislearn.demo import parse_steps
    from seislearn.errors import ConfigError

    try:
        steps = parse_steps(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return steps or []


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
    again = p.add_mutually_exclusive_group()
    again.add_argument(
        "--overwrite", action="store_true", help="replace an existing demo run, from the start"
    )
    again.add_argument(
        "--resume",
        action="store_true",
        help="continue the demo in --out: run only the stages not finished yet, keep the "
        "others, rewrite report.html (the settings must be the same)",
    )
    p.add_argument(
        "--n",
        type=int,
        default=400,
        help="synthetic events of the data and classify stages (default 400; the azimuth, "
        "cluster and images stages make their own)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    p.add_argument(
        "--steps",
        type=_steps,
        default=None,
        metavar="LIST",
        help=f"comma-separated workflow stages to run: {STEP_NAMES} (default: all)",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from seislearn.demo import run_demo

    report = run_demo(
        args.out,
        n=args.n,
        seed=args.seed,
        overwrite=args.overwrite,
        quick=args.quick,
        steps=args.steps,
        resume=args.resume,
    )
    print(f"report written to {report}")
    return 0
