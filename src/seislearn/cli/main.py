"""The ``seislearn`` command: a thin argparse layer over the library.

Each command group lives in its own module ``seislearn.cli.<group>`` and exposes
``add_parser(subparsers)``. Those modules import only the standard library at
module level, so ``seislearn --help`` answers without loading torch.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from seislearn import __version__
from seislearn.cli.common import device_context, replica_outputs
from seislearn.errors import SeislearnError
from seislearn.sizes import SMALL_ENV, small_sizes

#: Command groups in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "seislearn.cli.demo",
    "seislearn.cli.data",
    "seislearn.cli.azimuth",
    "seislearn.cli.cluster",
    "seislearn.cli.classify",
    "seislearn.cli.explain",
    "seislearn.cli.images",
    "seislearn.cli.papers",
)


#: Commands that train or run models with Lightning (they import it anyway).
TRAINING_COMMANDS = frozenset({"demo", "azimuth", "cluster", "classify", "explain", "images"})


def _quiet_lightning() -> None:
    """Filter the libraries' tips and deprecation noise unless -vv was asked for.

    Lightning sets its loggers to INFO when it is imported, so the levels are
    set right after that import, whenever it happens: a command that refuses
    its configuration or its data before training never pays for importing
    Lightning (seconds), and one that trains shows no banner.
    The filters are :func:`seislearn.progress.silence_libraries` (one place for
    every command), applied now and again right after Lightning's import.
    """
    from seislearn.progress import silence_libraries

    silence_libraries(import_lightning=False)

    def quiet() -> None:
        silence_libraries(import_lightning=False)

    if "lightning.pytorch" in sys.modules:
        quiet()
    else:
        _after_import("lightning.pytorch", quiet)


def _after_import(module: str, action: Any) -> None:
    """Run ``action()`` once, right after ``module`` is first imported (a meta-path hook)."""
    import importlib.abc
    import importlib.util

    class _Hook(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
            if name != module:
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            if spec is None or spec.loader is None:
                return spec
            original = spec.loader.exec_module

            def exec_module(mod: Any) -> None:
                original(mod)
                action()

            spec.loader.exec_module = exec_module  # type: ignore[method-assign]
            return spec

    sys.meta_path.insert(0, _Hook())


def build_parser() -> argparse.ArgumentParser:
    """Build the full argument parser (cheap: no heavy imports)."""
    parser = argparse.ArgumentParser(
        prog="seislearn",
        description=(
            "Deep learning on seismic signals: read waveforms (SeisBench HDF5, STEAD, "
            "NPZ, MiniSEED/SAC), embed, cluster, classify and explain them, and explore "
            "the deep-learning seismology literature."
        ),
        epilog="Run 'seislearn COMMAND --help' for the options of one command. In its "
        "examples, names starting with YOUR_ (YOUR_MSEED_FOLDER, YOUR_PICKS.csv) stand for "
        "your own files; every other input is one of the small data sets in ../shared/data "
        "(next to the repository) or is made by an example before it (or by the README tour).",
    )
    parser.add_argument("--version", action="version", version=f"seislearn {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    parser.add_argument(
        "-q",
        "--quiet",
        dest="quiet_all",
        action="store_true",
        help="no progress bars or progress lines (errors and warnings still show)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a workflow not installed in this build
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``seislearn`` command; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    from seislearn.progress import set_quiet

    # Each call decides for itself (main() may run several commands in one process).
    set_quiet(True if args.quiet_all else None)
    if args.command in TRAINING_COMMANDS and args.verbose < 2:
        _quiet_lightning()
    if small_sizes() and getattr(args, "func", None):
        print(
            f"seislearn: {SMALL_ENV} is set: tiny sizes and few epochs, for testing only",
            file=sys.stderr,
        )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2 if args.command is None else 0
    try:
        if args.command in TRAINING_COMMANDS:
            replica_outputs(args)
        with device_context(args):
            result = args.func(args)
    except SeislearnError as exc:
        print(f"seislearn: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        # A training interruption says what was kept and how to resume (see
        # seislearn.training.checkpoints.fit); anything else kept its finished files.
        detail = str(exc) or "finished results were kept; files being written were not"
        print(f"seislearn: interrupted: {detail}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into e.g. `head`, which closed early: not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        # The last net under every path the library did not name itself: one line, the path.
        where = exc.filename or "a file"
        print(f"seislearn: error: {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
