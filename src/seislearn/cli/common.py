"""Options shared by several commands (stdlib only: imported at ``--help`` time)."""

from __future__ import annotations

import argparse


def formatter() -> type[argparse.HelpFormatter]:
    """Help formatter that keeps the epilog's examples as written."""
    return argparse.RawDescriptionHelpFormatter


def add_run_options(parser: argparse.ArgumentParser, out_required: bool = True) -> None:
    """``--out``, ``--overwrite``, ``--seed``."""
    parser.add_argument(
        "--out", required=out_required, metavar="RUN", help="run directory to write (created)"
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing run in --out (never by default)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="random seed, recorded in the run (default 0)"
    )


def add_data_options(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """``--data``, ``--format``, ``--on-error``."""
    parser.add_argument(
        "--data",
        required=required,
        metavar="PATH",
        help="dataset: SeisBench folder, STEAD CSV+HDF5, NPZ folder, or MiniSEED/SAC files",
    )
    parser.add_argument(
        "--format",
        default="auto",
        choices=("auto", "seisbench", "stead", "npz", "obspy"),
        help="dataset format (default: detected from the files)",
    )
    parser.add_argument(
        "--on-error",
        default="raise",
        choices=("raise", "skip"),
        help="a bad trace stops the run (raise, default) or is skipped and listed (skip)",
    )


def add_config_options(
    parser: argparse.ArgumentParser, example: str = "training.epochs=20"
) -> None:
    """``--config FILE`` and repeated ``--set key=value``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand parser.
    example : str
        A valid ``key=value`` of this workflow, shown in the help text.
    """
    parser.add_argument("--config", metavar="FILE", help="YAML config (see the workflow's docs)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"override one config key, e.g. --set {example} (repeatable)",
    )
