"""Devices, distribution and precision of every Lightning ``Trainer`` seislearn builds.

One place turns the ``trainer`` section of a workflow's config (and the
``--accelerator``, ``--devices``, ``--num-nodes``, ``--strategy``, ``--precision``
options of the command line) into ``Trainer`` keyword arguments. Distribution is
Lightning's own: ``strategy="ddp"`` launches one process per device on this
machine, and under SLURM (``srun seislearn ...``) Lightning reads the ranks from
SLURM's environment. Nothing here imports Lightning at module level, so the
config classes can be used at ``--help`` time.

Precedence: an option given on the command line (see :func:`device_options`)
wins over the config key, which wins over the default (one CPU or GPU process,
32-bit).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, Literal

from pydantic import Field, field_validator

from seislearn.config import StrictModel
from seislearn.errors import ConfigError

Accelerator = Literal["auto", "cpu", "gpu", "cuda", "mps", "tpu"]
Precision = Literal["64-true", "32-true", "16-mixed", "bf16-mixed", "16-true", "bf16-true"]

_DEVICES = re.compile(r"^(auto|-1|\d+|\d+(,\d+)*,?)$")


class TrainerConfig(StrictModel):
    """Where and how Lightning runs a model (``--set trainer.KEY=VALUE``).

    Attributes
    ----------
    accelerator : {"auto", "cpu", "gpu", "cuda", "mps", "tpu"}
        ``auto`` takes a GPU when one is present, else the CPU.
    devices : int or str
        Devices per node: a count, ``"auto"``, ``-1`` (all) or a list such as ``"0,1"``.
    num_nodes : int
        Machines (SLURM nodes) taking part.
    strategy : str
        A Lightning strategy name: ``auto``, ``ddp``, ``ddp_spawn``, ``fsdp``, ...
    precision : str
        ``32-true`` (default), ``bf16-mixed``, ``16-mixed`` (GPU), ``64-true``, ...
    """

    accelerator: Accelerator = "auto"
    devices: int | str = Field(1, description="devices per node (count, 'auto', -1, or '0,1')")
    num_nodes: int = Field(1, ge=1)
    strategy: str = "auto"
    precision: Precision = "32-true"

    @field_validator("devices")
    @classmethod
    def _check_devices(cls, value: int | str) -> int | str:
        text = str(value).strip()
        if not _DEVICES.match(text):
            raise ValueError("devices must be a count, 'auto', -1, or a list of ids like '0,1'")
        if text.lstrip("-").isdigit():
            if int(text) == 0:
                raise ValueError("devices must be a positive count, -1 (all) or 'auto'")
            return int(text)
        return text


#: Options given on the command line for the command now running (unset: None).
_COMMAND_LINE: ContextVar[tuple[tuple[str, Any], ...]] = ContextVar(
    "seislearn_trainer_options", default=()
)


@contextlib.contextmanager
def device_options(**options: Any) -> Iterator[None]:
    """Use these trainer options (``None`` values are ignored) inside the block.

    The CLI wraps each command in it; they override the config's ``trainer`` keys
    and reach the Trainers of ``predict``, ``evaluate`` and ``explain`` too,
    which have no training config.

    Raises
    ------
    ConfigError
        When an option is not valid (e.g. ``devices=0``).
    """
    given = {k: v for k, v in options.items() if v is not None}
    from seislearn.config import parse_config

    parse_config(TrainerConfig, given, "command-line trainer options")
    token = _COMMAND_LINE.set(tuple({**dict(_COMMAND_LINE.get()), **given}.items()))
    try:
        yield
    finally:
        _COMMAND_LINE.reset(token)


def use_config(configured: TrainerConfig) -> contextlib.AbstractContextManager:
    """Put a config's ``trainer`` section in force (command-line options still win).

    For code that builds its Trainers without the config at hand (the cluster
    estimator, the images encoder).
    """
    return device_options(**resolve(configured).model_dump())


def resolve(configured: TrainerConfig | None = None) -> TrainerConfig:
    """The options in force: ``configured`` (or the defaults) updated by the command line."""
    base = configured.model_dump() if configured is not None else {}
    from seislearn.config import parse_config

    return parse_config(TrainerConfig, {**base, **dict(_COMMAND_LINE.get())}, "trainer options")


def trainer_kwargs(configured: TrainerConfig | None = None) -> dict[str, Any]:
    """Keyword arguments for ``lightning.Trainer``: accelerator, devices, nodes, strategy, precision.

    Parameters
    ----------
    configured : TrainerConfig, optional
        The workflow config's ``trainer`` section; the command line overrides it.

    Returns
    -------
    dict
        ``{"accelerator", "devices", "num_nodes", "strategy", "precision"}``.
    """
    options = resolve(configured)
    return {
        "accelerator": options.accelerator,
        "devices": options.devices,
        "num_nodes": options.num_nodes,
        "strategy": options.strategy,
        "precision": options.precision,
    }


def build_trainer(
    configured: TrainerConfig | None = None, stage: str | None = None, **kwargs: Any
) -> Any:
    """A ``lightning.Trainer`` with the device options and the workflow's own ``kwargs``.

    seislearn writes its own metrics and run files, so no Lightning logger and no
    model summary are made unless ``kwargs`` asks for them, and Lightning's tips,
    device lines and deprecation warnings are filtered
    (:func:`seislearn.progress.silence_libraries`), for library calls too.

    Parameters
    ----------
    configured : TrainerConfig, optional
        The workflow config's ``trainer`` section; the command line overrides it.
    stage : str, optional
        Name of the training stage (``"azimuth training"``): the Trainer then shows
        progress the one seislearn way (:func:`seislearn.progress.lightning_callbacks`):
        Lightning's bar with rate and time left on a terminal, one line when the
        stage ends otherwise, nothing when quiet. ``enable_progress_bar=False`` in
        ``kwargs`` turns it off for this Trainer. Without ``stage`` the Trainer
        shows what ``kwargs`` asks for.
    **kwargs
        Passed to ``lightning.Trainer``.

    Raises
    ------
    ConfigError
        A device, strategy or precision Lightning cannot use here (no GPU, an
        unknown strategy name, 16-bit on CPU), naming the option, not a
        Lightning traceback.
    """
    import lightning as L
    from lightning.fabric.utilities.exceptions import MisconfigurationException

    from seislearn.progress import silence_libraries

    # Library calls (not only the command line) get no tips, device lines or deprecations.
    silence_libraries()
    device_kwargs = trainer_kwargs(configured)
    kwargs = {"logger": False, "enable_model_summary": False, **kwargs}
    if stage is not None:
        from seislearn import progress

        show = bool(kwargs.pop("enable_progress_bar", True)) and not progress.is_quiet()
        callbacks = list(kwargs.pop("callbacks", None) or [])
        if show:
            callbacks += progress.lightning_callbacks(stage)
        kwargs["callbacks"] = callbacks
        kwargs["enable_progress_bar"] = show and progress.on_terminal()
    try:
        return L.Trainer(**device_kwargs, **kwargs)
    except (MisconfigurationException, ValueError) as exc:
        shown = ", ".join(f"{k}={v!r}" for k, v in device_kwargs.items())
        raise ConfigError(f"Lightning cannot run with {shown}: {exc}") from None


def runs_in_one_process(configured: TrainerConfig | None = None) -> bool:
    """True when the options ask for one 32-bit CPU process (no Trainer needed to predict)."""
    options = resolve(configured)
    if options.num_nodes != 1 or options.devices not in (1, "1") or options.precision != "32-true":
        return False
    if options.strategy not in ("auto", "single_device"):
        return False
    if options.accelerator == "cpu":
        return True
    if options.accelerator != "auto":
        return False
    import torch

    return not torch.cuda.is_available() and not (
        getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    )


def is_replica() -> bool:
    """True in a process that is not the global rank 0 of a distributed run.

    Read from the environment Lightning's launcher, ``torchrun`` and SLURM set:
    ``RANK``, ``LOCAL_RANK``, ``NODE_RANK``/``GROUP_RANK``, and ``SLURM_PROCID`` when
    SLURM runs more than one task of a batch job (as Lightning's
    ``SLURMEnvironment`` does). Usable before any Trainer exists.
    """
    env = os.environ
    for key in ("RANK", "LOCAL_RANK", "NODE_RANK", "GROUP_RANK"):
        if _int(env.get(key)) > 0:
            return True
    slurm_tasks = _int(env.get("SLURM_NTASKS"))
    interactive = env.get("SLURM_JOB_NAME") in ("bash", "interactive")
    return slurm_tasks > 1 and not interactive and _int(env.get("SLURM_PROCID")) > 0


def _int(value: str | None) -> int:
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0
