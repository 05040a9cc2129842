"""Options shared by several commands (stdlib only: imported at ``--help`` time)."""

from __future__ import annotations

import argparse
import contextlib


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
    add_streaming_option(parser)


def add_streaming_option(parser: argparse.ArgumentParser, what: str = "windows") -> None:
    """``--streaming auto|memory|stream`` (wins over the config key ``data.streaming``)."""
    sources = {
        "windows": "stream them from the archive through a feature-cache store",
        "patches": "read them from their files batch by batch by DataLoader workers",
    }
    parser.add_argument(
        "--streaming",
        choices=("auto", "memory", "stream"),
        default=None,
        help=f"hold the prepared {what} in memory or {sources.get(what, sources['windows'])} "
        f"(bounded memory); default auto: stream when they would take more than "
        "data.memory_fraction (0.25) of the available memory (config key data.streaming)",
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


def add_device_options(parser: argparse.ArgumentParser) -> None:
    """``--accelerator``, ``--devices``, ``--num-nodes``, ``--strategy``, ``--precision``.

    Passed to Lightning's ``Trainer`` (see ``seislearn.training.trainer``); they
    override the config's ``trainer.*`` keys. Unset options keep the config's value.
    """
    group = parser.add_argument_group(
        "devices and distribution (Lightning Trainer; override the trainer.* config keys)"
    )
    group.add_argument(
        "--accelerator",
        choices=("auto", "cpu", "gpu", "cuda", "mps", "tpu"),
        help="hardware (default auto: a GPU when present, else the CPU)",
    )
    group.add_argument(
        "--devices", metavar="N", help="devices per machine: a count, 'auto', -1 (all) or '0,1'"
    )
    group.add_argument(
        "--num-nodes", type=int, metavar="N", help="machines taking part (SLURM nodes; default 1)"
    )
    group.add_argument(
        "--strategy",
        metavar="NAME",
        help="Lightning strategy: auto (default), ddp, ddp_spawn, fsdp, ... "
        "(under SLURM: srun seislearn ... --strategy ddp)",
    )
    group.add_argument(
        "--precision",
        choices=("32-true", "bf16-mixed", "16-mixed", "64-true", "bf16-true", "16-true"),
        help="numeric precision (default 32-true; bf16-mixed works on CPU and recent GPUs)",
    )


def device_context(args: argparse.Namespace) -> contextlib.AbstractContextManager:
    """The trainer options and ``--streaming`` given on the command line, in force while a
    command runs."""
    names = ("accelerator", "devices", "num_nodes", "strategy", "precision")
    given = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    stack = contextlib.ExitStack()
    if given:
        from seislearn.training.trainer import device_options

        stack.enter_context(device_options(**given))
    if getattr(args, "streaming", None) is not None:  # --streaming wins over data.streaming
        from seislearn.data.memory import streaming_option

        stack.enter_context(streaming_option(args.streaming))
    return stack


def replica_outputs(args: argparse.Namespace) -> None:
    """Send the outputs of a non-zero rank of a distributed run to a scratch folder.

    Under ``--strategy ddp`` (and ``srun``) every rank runs the whole command; only
    rank 0 writes the run. The other ranks train and predict with it but write
    into a temporary folder removed when they exit; with ``--resume`` it links to
    the run's ``checkpoints/``, so every rank resumes from the same checkpoint.
    Their standard output is silenced (rank 0 reports).
    """
    from seislearn.training.trainer import is_replica

    if not hasattr(args, "out") or not is_replica():
        return
    import atexit
    import os
    import shutil
    import sys
    import tempfile
    from pathlib import Path

    scratch = Path(tempfile.mkdtemp(prefix="seislearn-replica-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    replica_out = scratch / "out"
    if getattr(args, "resume", False) and args.out is not None:
        replica_out.mkdir()
        (replica_out / "checkpoints").symlink_to(
            Path(args.out).resolve() / "checkpoints", target_is_directory=True
        )
    args.out = str(replica_out)
    # Rank 0 tells the user what was written; errors (stderr) still show from every rank.
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (for the life of the process)
