"""Progress of long work, and the one place where library noise is filtered.

Every stage that can take more than a few seconds (pretraining, DEC, SSL
training, feature extraction, UMAP, SHAP, picking, conversion) reports through
this module:

* on a terminal (standard error is a TTY), a tqdm bar with the rate and the
  time left (:func:`track`), or Lightning's own bar for training
  (:func:`lightning_callbacks`);
* elsewhere (a log file, a pipe, CI), one line per stage on standard error when
  it ends: ``seislearn: pretraining: 41 epochs in 12.3 s``;
* nothing at all when quiet (:func:`set_quiet`, the ``--quiet`` flag of the
  command line, or ``SEISLEARN_QUIET=1``).

:func:`silence_libraries` filters, in one place, what the libraries print that a
user cannot act on: Lightning's tips (``💡 Tip: ...``, litlogger), its GPU/TPU
availability lines and deprecation warnings raised inside the libraries.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import warnings
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_state: dict[str, bool | None] = {"quiet": None, "terminal": None}


def set_quiet(quiet: bool | None = True) -> None:
    """Switch every progress report of this process off (``True``) or on (``False``);
    ``None`` goes back to the ``SEISLEARN_QUIET`` variable."""
    _state["quiet"] = None if quiet is None else bool(quiet)


def is_quiet() -> bool:
    """Whether progress is off: :func:`set_quiet`, else the ``SEISLEARN_QUIET`` variable."""
    if _state["quiet"] is not None:
        return bool(_state["quiet"])
    return os.environ.get("SEISLEARN_QUIET", "").strip().lower() in ("1", "true", "yes")


def set_terminal(terminal: bool | None) -> None:
    """Force the terminal mode (bars) on or off; ``None`` asks standard error again."""
    _state["terminal"] = terminal


def on_terminal() -> bool:
    """Whether bars are drawn: standard error is a TTY (unless :func:`set_terminal` says)."""
    if _state["terminal"] is not None:
        return bool(_state["terminal"])
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def bars_enabled() -> bool:
    """Progress bars are drawn: not quiet and on a terminal."""
    return not is_quiet() and on_terminal()


def report(message: str) -> None:
    """One progress line on standard error (nothing when quiet)."""
    if not is_quiet():
        print(f"seislearn: {message}", file=sys.stderr, flush=True)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def track(
    iterable: Iterable[T], desc: str, total: int | None = None, unit: str = "it"
) -> Iterator[T]:
    """Iterate with progress: a tqdm bar on a terminal, else one line when done
    (count, duration, rate).

    Parameters
    ----------
    iterable : iterable to go through
    desc : str, name of the stage (``"spectrograms"``)
    total : int, optional, number of items (taken from ``len(iterable)`` when it has one)
    unit : str, what one item is (``"trace"``, ``"batch"``)
    """
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    with Bar(desc, total=total, unit=unit) as bar:
        for item in iterable:
            yield item
            bar.update()


class Bar:
    """Progress counted by hand (items done in chunks): a tqdm bar on a terminal, else a line.

    Use as ``with Bar("conversion", total=n, unit="trace") as bar: ... bar.update(k)``.
    Off a terminal it writes one line when the stage ends, with the count, the
    duration and the rate; nothing when quiet.

    Parameters
    ----------
    desc : str, name of the stage
    total : int, optional, number of items expected
    unit : str, what one item is
    enabled : bool, ``False`` reports nothing (for library calls that did not ask)
    """

    def __init__(
        self, desc: str, total: int | None = None, unit: str = "it", enabled: bool = True
    ) -> None:
        self.desc, self.total, self.unit, self.enabled = desc, total, unit, enabled
        self.count = 0
        self.start = 0.0
        self._bar: Any = None

    def __enter__(self) -> Bar:
        self.start = time.perf_counter()
        if self.enabled and bars_enabled():
            from tqdm.auto import tqdm

            self._bar = tqdm(
                desc=self.desc, total=self.total, unit=self.unit, leave=False, dynamic_ncols=True
            )
        return self

    def update(self, n: int = 1) -> None:
        """Count ``n`` more items done."""
        self.count += n
        if self._bar is not None:
            self._bar.update(n)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._bar is not None:
            self._bar.close()
        if exc_type is None and self.enabled and not is_quiet():
            elapsed = time.perf_counter() - self.start
            per_s = self.count / elapsed if elapsed > 0 else 0.0
            shown = f"{per_s:,.0f}" if per_s >= 10 else f"{per_s:.2g}"
            rate = f", {shown} {self.unit}s/s" if per_s > 0 else ""
            plural = "" if self.count == 1 else "s"
            report(f"{self.desc}: {self.count} {self.unit}{plural} in {_duration(elapsed)}{rate}")


class Stage:
    """A stage without items (e.g. UMAP): a line when it ends, with its duration.

    Use as ``with Stage("UMAP of 4,000 embeddings"): ...``.
    """

    def __init__(self, desc: str) -> None:
        self.desc = desc
        self.start = 0.0

    def __enter__(self) -> Stage:
        self.start = time.perf_counter()
        if bars_enabled():
            report(f"{self.desc} ...")
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            report(f"{self.desc}: done in {_duration(time.perf_counter() - self.start)}")


_HEADLINE = re.compile(r"^(train|val|dev)_[a-z]+$")


def lightning_callbacks(desc: str, unit: str = "epoch") -> list[Any]:
    """Progress callbacks for a Lightning ``Trainer`` of the stage ``desc``.

    On a terminal: Lightning's TQDM bar (rate and time left per epoch). Elsewhere:
    a callback that writes one line when training ends (epochs run, seconds, the
    last logged metrics). Empty when quiet. Pass ``enable_progress_bar=`` from
    :func:`bars_enabled`.
    """
    if is_quiet():
        return []
    import lightning as L

    if bars_enabled():
        from lightning.pytorch.callbacks import TQDMProgressBar

        return [TQDMProgressBar(leave=False)]

    class StageLine(L.Callback):
        """One line per training stage, for logs."""

        def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
            self.start = time.perf_counter()
            self.first_epoch = trainer.current_epoch

        def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
            epochs = trainer.current_epoch - self.first_epoch
            # The headline figures only (train_loss, val_loss, val_acc), not every term.
            metrics = {
                k: float(v)
                for k, v in trainer.callback_metrics.items()
                if _HEADLINE.match(k) and getattr(v, "numel", lambda: 1)() == 1
            }
            shown = " ".join(f"{k} {v:.4g}" for k, v in sorted(metrics.items()))
            report(
                f"{desc}: {epochs} {unit}{'' if epochs == 1 else 's'} in "
                f"{_duration(time.perf_counter() - self.start)}" + (f" ({shown})" if shown else "")
            )

    return [StageLine()]


#: Messages of the libraries that a user cannot act on (regular expressions).
NOISE_WARNINGS: tuple[str, ...] = (
    r".*LeafSpec.*is deprecated",
    r"Checkpoint directory .* exists and is not empty",
    r".*does not have many workers which may be a bottleneck.*",
    r".*Consider setting `persistent_workers=True`.*",
    r"The number of training batches .* is smaller than the logging interval.*",
    r".*n_jobs value .* overridden to 1 by setting random_state.*",
    r".*`torch.cuda.amp.*` is deprecated.*",
    r".*GPU available but not used.*",
    r".*litlogger.*",
    r".*[Tt]ip:.*",
)


class _NoiseFilter(logging.Filter):
    """Drops Lightning's tips and device-availability lines, whatever the level."""

    PREFIXES = ("GPU available", "TPU available", "HPU available", "IPU available")

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if "Tip:" in msg or "litlogger" in msg or "litmodels" in msg:
            return False
        return not msg.startswith(self.PREFIXES)


_FILTER = _NoiseFilter()


def silence_libraries(import_lightning: bool = True) -> None:
    """Filter the libraries' tips, banners and deprecation warnings (idempotent).

    Lightning's loggers stay at WARNING (they announce devices and tips at INFO),
    its tip and device lines are dropped at any level, and ``DeprecationWarning``,
    ``FutureWarning`` and the warnings in :data:`NOISE_WARNINGS` raised inside
    third-party code are ignored. seislearn's own warnings (e.g. a deprecated
    parameter) still show. Lightning sets its loggers to INFO when it is
    imported, so it is imported first (``import_lightning``), or this is called
    again right after its import (the command line's hook does so).
    """
    if import_lightning:
        import lightning.pytorch  # noqa: F401

    for pattern in NOISE_WARNINGS:
        warnings.filterwarnings("ignore", message=pattern)
    for module in (
        "lightning",
        "torch",
        "sklearn",
        "umap",
        "numba",
        "shap",
        "captum",
        "pynndescent",
    ):
        for category in (DeprecationWarning, FutureWarning, UserWarning):
            if category is UserWarning and module not in ("lightning", "umap", "pynndescent"):
                continue
            warnings.filterwarnings("ignore", category=category, module=rf"{module}(\.|$)")
    for name in ("lightning", "lightning.pytorch", "lightning.fabric", "pytorch_lightning"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)
    # Tips and device lines come from the rank-zero helpers' loggers: filtered at
    # the source, they are dropped even when a user raises Lightning's level.
    for name in (
        "lightning",
        "lightning.pytorch",
        "lightning.fabric",
        "lightning.pytorch.utilities.rank_zero",
        "lightning.fabric.utilities.rank_zero",
        "lightning.pytorch.accelerators.cuda",
    ):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
