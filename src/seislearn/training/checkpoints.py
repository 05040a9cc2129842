"""Checkpoints a run can trust: written atomically, checksummed, verified on resume.

One mechanism for every workflow's training:

* :class:`ModelCheckpoint` (Lightning's, same name and state key, so older
  checkpoints restore) writes each checkpoint to a temporary file and moves it
  into place, so a kill or a full disk never leaves a truncated ``.ckpt``;
  records its sha256 in ``checksums.json`` beside it (copied into the run
  manifest at the end); and on restore rebases the best/last paths onto its
  own folder, so a copied run folder never loads the other run's weights
  through an absolute ``best_model_path``.
* :func:`latest_epoch_checkpoint` writes ``last.ckpt`` after every epoch
  (Lightning 2.6 writes it only with a new best) and keeps the previous one as
  ``last.prev.ckpt`` to fall back on.
* :func:`verify_checkpoint` checks a file against its recorded checksum, loads
  it with ``weights_only=True`` and compares its keys and shapes with the
  model; :func:`resume_checkpoint` picks the newest good one, says which, and
  why any other was passed over; :func:`load_checkpoint_weights` loads the
  best weights only after the same checks.
* :func:`fit` runs ``trainer.fit`` so that Ctrl-C becomes a
  :class:`KeyboardInterrupt` saying what was kept and how to resume
  (Lightning catches the signal and calls ``sys.exit(1)`` itself), and so that
  a Ctrl-C Python drops inside a finalizer still stops at the next batch.

Imports Lightning at module level: import it only where training happens.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
from pathlib import Path
from typing import Any

from lightning.pytorch.callbacks import Callback
from lightning.pytorch.callbacks import ModelCheckpoint as _LightningModelCheckpoint

from seislearn.errors import DataError
from seislearn.runs import atomic_path, write_json_atomic

log = logging.getLogger(__name__)

#: File beside the checkpoints holding ``{file name: sha256}`` of each one written.
CHECKSUMS = "checksums.json"
#: Suffix of the previous ``last`` checkpoint kept to fall back on.
PREVIOUS = ".prev"


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_checksums(folder: str | os.PathLike) -> dict[str, list[str]] | None:
    """``{file name: accepted sha256s}`` recorded in ``folder``, or ``None`` when nothing was.

    A name has one digest, or two while a new checkpoint replaces the old one
    (see :meth:`ModelCheckpoint._save_checkpoint`).
    """
    try:
        sums = json.loads((Path(folder) / CHECKSUMS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(sums, dict):
        return None
    return {
        str(k): [str(d) for d in v] if isinstance(v, list) else [str(v)] for k, v in sums.items()
    }


def _record(folder: Path, updates: dict[str, list[str] | None]) -> None:
    sums = read_checksums(folder) or {}
    for name, digests in updates.items():
        if not digests:
            sums.pop(name, None)
        else:
            sums[name] = list(dict.fromkeys(digests))
    written = {k: v[0] if len(v) == 1 else v for k, v in sorted(sums.items())}
    write_json_atomic(folder / CHECKSUMS, written)


class ModelCheckpoint(_LightningModelCheckpoint):
    """Lightning's ``ModelCheckpoint``, written atomically, checksummed, restored in place.

    Parameters
    ----------
    keep_previous : bool
        Keep the checkpoint being replaced as ``NAME.prev.ckpt`` (for the
        every-epoch ``last`` checkpoint), to fall back on if the newer one is bad.
    **kwargs
        As for :class:`lightning.pytorch.callbacks.ModelCheckpoint`.
    """

    def __init__(
        self, *args: Any, keep_previous: bool = False, at_train_end: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.keep_previous = keep_previous
        self.at_train_end = at_train_end

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        """With ``at_train_end``, save once more when training ends (not when interrupted).

        A stage that stops inside an epoch (DEC converging at a target update)
        keeps that decision only in a checkpoint written after it.
        """
        super().on_train_end(trainer, pl_module)
        if self.at_train_end and self.dirpath and not trainer.interrupted:
            self._save_checkpoint(
                trainer, os.path.join(self.dirpath, f"{self.filename}{self.FILE_EXTENSION}")
            )

    def _save_checkpoint(self, trainer: Any, filepath: str) -> None:
        if not trainer.is_global_zero:  # only rank 0 writes; the call is collective
            trainer.save_checkpoint(filepath, self.save_weights_only)
        else:
            target = Path(filepath)
            sums = read_checksums(target.parent) or {}
            old = sums.get(target.name, [])
            previous = target.with_name(f"{target.stem}{PREVIOUS}{target.suffix}")
            keep = self.keep_previous and target.is_file()
            with atomic_path(target) as tmp:
                trainer.save_checkpoint(tmp, self.save_weights_only)
                new = [sha256_file(tmp)]
                # Until the files are in place either version may be on disk: both digests
                # are accepted, so Ctrl-C between a move and its record never makes a good
                # checkpoint look replaced.
                pending = {target.name: old + new}
                if keep:
                    pending[previous.name] = sums.get(previous.name, []) + old
                _record(target.parent, pending)
                if keep:
                    os.replace(target, previous)
            _record(target.parent, {target.name: new, **({previous.name: old} if keep else {})})
        self._last_global_step_saved = trainer.global_step
        self._last_checkpoint_saved = filepath

    def _remove_checkpoint(self, trainer: Any, filepath: str) -> None:
        super()._remove_checkpoint(trainer, filepath)
        if trainer.is_global_zero and Path(filepath).parent.is_dir():
            _record(Path(filepath).parent, {Path(filepath).name: None})

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore, with every recorded path moved into this callback's own folder."""
        own = Path(self.dirpath) if self.dirpath else None

        def rebase(path: Any) -> Any:
            return str(own / Path(path).name) if path and own is not None else path

        state = dict(state_dict)
        for key in ("best_model_path", "kth_best_model_path", "last_model_path"):
            if key in state:
                state[key] = rebase(state[key])
        if isinstance(state.get("best_k_models"), dict):
            state["best_k_models"] = {rebase(k): v for k, v in state["best_k_models"].items()}
        state["dirpath"] = self.dirpath
        super().load_state_dict(state)


def latest_epoch_checkpoint(
    dirpath: str | os.PathLike, filename: str = "last", at_train_end: bool = False
) -> Any:
    """A :class:`ModelCheckpoint` that replaces ``DIRPATH/FILENAME.ckpt`` after every epoch.

    Parameters
    ----------
    dirpath : path-like
        Folder of the checkpoint (a run's ``checkpoints/`` or a sub-folder of it).
    filename : str
        Name of the file, without ``.ckpt``.
    at_train_end : bool
        Also save when training ends (its epoch is then the number of epochs run).

    Returns
    -------
    ModelCheckpoint
        Unmonitored, one file kept (and the one before as ``FILENAME.prev.ckpt``),
        no ``-v1`` copies when the file already exists.
    """
    return ModelCheckpoint(
        dirpath=dirpath,
        filename=filename,
        monitor=None,
        save_top_k=1,
        every_n_epochs=1,
        enable_version_counter=False,
        keep_previous=True,
        at_train_end=at_train_end,
    )


def best_checkpoint(dirpath: str | os.PathLike, filename: str, monitor: str, **kwargs: Any) -> Any:
    """A :class:`ModelCheckpoint` keeping the best epoch by ``monitor`` as ``FILENAME.ckpt``."""
    return ModelCheckpoint(
        dirpath=dirpath, filename=filename, monitor=monitor, enable_version_counter=False, **kwargs
    )


def _load(path: Path) -> dict[str, Any]:
    import pickle

    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise DataError(
            "holds objects a weights-only load refuses: not a checkpoint seislearn wrote "
            "(crafted or from another program); it was not loaded",
            path=path,
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise DataError(f"cannot be read (truncated or corrupt?): {first}", path=path) from None
    if not isinstance(obj, dict) or not isinstance(obj.get("state_dict"), dict):
        raise DataError("is not a Lightning checkpoint (no state_dict)", path=path)
    return obj


def _fit_problem(state: dict[str, Any], module: Any) -> str | None:
    expected = module.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [
        f"{k} {tuple(state[k].shape)} (model {tuple(v.shape)})"
        for k, v in expected.items()
        if k in state and hasattr(state[k], "shape") and tuple(state[k].shape) != tuple(v.shape)
    ]
    parts = []
    if missing:
        parts.append(f"missing {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}")
    if unexpected:
        parts.append(
            f"unexpected {', '.join(unexpected[:3])}{' ...' if len(unexpected) > 3 else ''}"
        )
    if shapes:
        parts.append(f"other shapes: {', '.join(shapes[:3])}{' ...' if len(shapes) > 3 else ''}")
    if not parts:
        return None
    return "does not fit the model being trained (another architecture or config?): " + "; ".join(
        parts
    )


def verify_checkpoint(path: str | os.PathLike, module: Any | None = None) -> dict[str, Any]:
    """Check a checkpoint and return its contents.

    Checks, in order: the sha256 recorded when seislearn wrote it (a folder
    without a record, from an older seislearn, skips this), a weights-only
    load, and the keys and shapes of its ``state_dict`` against ``module``.

    Raises
    ------
    DataError
        Naming the file and the failed check.
    """
    path = Path(path)
    sums = read_checksums(path.parent)
    if sums is not None:
        recorded = sums.get(path.name)
        if recorded is None:
            raise DataError(
                "was not written by this run (no checksum recorded for it in "
                f"{CHECKSUMS}); it was not loaded",
                path=path,
            )
        if sha256_file(path) not in recorded:
            raise DataError(
                "differs from the checkpoint this run wrote (its sha256 does not match the one "
                f"recorded in {CHECKSUMS}: changed, replaced or truncated); it was not loaded",
                path=path,
            )
    checkpoint = _load(path)
    if module is not None:
        problem = _fit_problem(checkpoint["state_dict"], module)
        if problem:
            raise DataError(problem, path=path)
    return checkpoint


def resume_checkpoint(
    folder: str | os.PathLike, module: Any, name: str = "last", verify_others: bool = True
) -> str | None:
    """The checkpoint in ``folder`` to resume from, verified; ``None`` to start afresh.

    ``NAME.ckpt`` is tried first, then ``NAME.prev.ckpt``; the one used and the
    reason any newer one was passed over are logged. With ``verify_others``,
    every other checkpoint of the folder (e.g. ``best.ckpt``, whose weights are
    loaded at the end) is verified too, so a replaced one stops the run now.

    Raises
    ------
    DataError
        When checkpoints exist but none of them is good, or another checkpoint
        of the folder fails verification.
    """
    folder = Path(folder)
    candidates = [folder / f"{name}.ckpt", folder / f"{name}{PREVIOUS}.ckpt"]
    present = [c for c in candidates if c.is_file()]
    if not present:
        return None
    rejected: list[str] = []
    chosen: Path | None = None
    for candidate in present:
        try:
            checkpoint = verify_checkpoint(candidate, module)
        except DataError as exc:
            rejected.append(str(exc))
            continue
        chosen = candidate
        break
    if chosen is None:
        raise DataError(
            "--resume found no usable checkpoint: "
            + " | ".join(rejected)
            + ". Start the run again with --overwrite (or another --out)",
            path=folder,
        )
    if verify_others:
        for other in sorted(folder.glob("*.ckpt")):
            if other not in candidates:
                verify_checkpoint(other, module)
    for reason in rejected:
        log.warning("%s; falling back to the previous checkpoint", reason)
    log.warning(
        "resuming from %s (epoch %s, step %s)",
        chosen,
        checkpoint.get("epoch", "?"),
        checkpoint.get("global_step", "?"),
    )
    return str(chosen)


def load_checkpoint_weights(path: str | os.PathLike, module: Any) -> None:
    """Load the ``state_dict`` of a verified checkpoint into ``module`` (e.g. the best epoch)."""
    module.load_state_dict(verify_checkpoint(path, module)["state_dict"])


class _InterruptGuard(Callback):
    """Raises the Ctrl-C that Python swallowed, at the next batch or the end of training.

    Python raises :class:`KeyboardInterrupt` wherever the main thread is when the
    signal arrives; inside a finalizer (``__del__``, such as a DataLoader
    iterator's at the end of an epoch, just when the epoch's checkpoint appears)
    it is printed as "Exception ignored" and lost, and training would run on to
    its last epoch. The handler of :func:`fit` also sets ``requested``; this
    callback raises again from the training loop, where Lightning handles it.
    """

    def __init__(self) -> None:
        self.requested = False

    def _check(self, *args: Any, **kwargs: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt

    # Batch boundaries and the end, never an epoch's end: the checkpoint callbacks,
    # which run after this one, save the finished epoch there first.
    on_train_batch_start = on_train_batch_end = _check
    on_validation_batch_start = on_validation_batch_end = on_train_end = _check


def fit(trainer: Any, module: Any, *args: Any, ckpt_path: str | None = None, **kwargs: Any) -> None:
    """``trainer.fit`` (weights-only checkpoint loading) with Ctrl-C turned into a clear stop.

    Lightning catches ``KeyboardInterrupt``, tears down and calls
    ``sys.exit(1)``; here that becomes a :class:`KeyboardInterrupt` whose
    message says which checkpoint was kept and that ``--resume`` continues
    from it, which the command line prints before exiting with status 130.
    A Ctrl-C that Python loses (raised inside a finalizer) is raised again at
    the next batch (:class:`_InterruptGuard`), so it always stops training.
    """
    import threading

    guard = _InterruptGuard()
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if main_thread else None
    if previous is signal.default_int_handler:

        def on_sigint(signum: int, frame: Any) -> None:
            guard.requested = True
            raise KeyboardInterrupt

        signal.signal(signal.SIGINT, on_sigint)
    trainer.callbacks.append(guard)
    try:
        # weights_only: a checkpoint is never unpickled, whatever TORCH_FORCE_* says
        trainer.fit(module, *args, ckpt_path=ckpt_path, weights_only=True, **kwargs)
    except SystemExit:
        if not trainer.interrupted:
            raise
        kept = [
            Path(cb.dirpath) / f"{cb.filename}.ckpt"
            for cb in trainer.checkpoint_callbacks
            if isinstance(cb, ModelCheckpoint) and cb.monitor is None and cb.dirpath
        ]
        kept = [k for k in kept if k.is_file()]
        if kept:
            where = (
                f"the last finished epoch is kept in {kept[0]}; run the same command with "
                "--resume to continue from it"
            )
        else:
            where = "no epoch had finished, so there is no checkpoint to resume from"
        raise KeyboardInterrupt(
            f"training stopped during epoch {trainer.current_epoch}; {where}"
        ) from None
    finally:
        if guard in trainer.callbacks:
            trainer.callbacks.remove(guard)
        if previous is not None:  # Lightning leaves SIGINT ignored after an interrupt
            signal.signal(signal.SIGINT, previous)
