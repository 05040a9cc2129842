"""Run directories: one folder per run, written atomically, never overwritten by accident.

Layout (see DESIGN.md)::

    RUN/
      config.yaml        resolved configuration
      manifest.json      versions, data fingerprint, seed, timings
      metrics.json
      predictions.csv
      model/             weights.safetensors + model.json (constructor arguments)
      checkpoints/       Lightning checkpoints (for --resume)
      figures/*.png
      report.html
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seislearn.errors import OutputError, RunExistsError

#: Names a run of an older seislearn wrote, cleared by ``--overwrite`` when its manifest
#: lists no files of its own (runs from before the manifest recorded them).
_LEGACY_OUTPUTS = (
    "manifest.json",
    "config.yaml",
    "metrics.json",
    "model",
    "figures",
    "checkpoints",
    "report.html",
    "predictions.csv",
)
#: Key of the manifest saying the run finished (written last, by :meth:`RunDir.write_manifest`).
COMPLETE = "complete"
#: Fraction of the space a large write needs that must be free before it starts (a margin).
FREE_SPACE_MARGIN = 1.05


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux ``/proc``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def output_error(path: str | os.PathLike, exc: OSError) -> OutputError:
    """One :class:`OutputError` naming ``path`` and what the OS said (no traceback)."""
    reason = exc.strerror or str(exc)
    hint = ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = "; free some space or choose another --out"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "; the folder is not writable, choose another --out"
    elif exc.errno in (errno.ENOTDIR, errno.EEXIST):
        hint = "; a file stands where a folder is needed, choose another --out"
    return OutputError(f"cannot write {path}: {reason}{hint}", path=path)


def check_free_space(path: str | os.PathLike, needed_bytes: int) -> None:
    """Raise :class:`OutputError` when the file system of ``path`` lacks ``needed_bytes``.

    Parameters
    ----------
    path : path-like
        The file or folder about to be written (its nearest existing parent is asked).
    needed_bytes : int, bytes
        The size the write will take; a 5 % margin is added.
    """
    probe = Path(path).absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError:
        return  # a file system that cannot say: the write itself reports a full disk
    if free < needed_bytes * FREE_SPACE_MARGIN:
        raise OutputError(
            f"cannot write {path}: it needs about {needed_bytes / 1e6:.1f} MB and only "
            f"{free / 1e6:.1f} MB are free on that disk; free some space or choose another --out",
            path=path,
        )


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only on success.

    A crash, a full disk or Ctrl-C leaves the previous file (if any) untouched
    and no temporary file behind. The file gets the mode ``open`` would give it
    (0666 less the umask), not the private mode of the temporary file. An
    ``OSError`` (full disk, read-only folder, a file where a folder should be)
    becomes one :class:`~seislearn.errors.OutputError` naming ``path``.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, "a folder has that name", str(target))
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise output_error(target, exc) from None
    tmp = Path(tmp_name)
    try:
        try:
            yield tmp
            os.chmod(tmp, 0o666 & ~current_umask())
            os.replace(tmp, target)
        except OSError as exc:
            if exc.filename in (None, str(tmp), tmp_name, str(target)):
                raise output_error(target, exc) from None
            raise
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json_atomic(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented JSON, atomically. NaN becomes ``null``."""
    return write_text_atomic(path, json.dumps(_json_safe(obj), indent=2, sort_keys=False) + "\n")


def _json_safe(obj: Any) -> Any:
    import math

    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "ndim", 1) == 0:
        obj = obj.item()
    if hasattr(obj, "tolist"):
        return _json_safe(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def fingerprint_files(paths: list[Path], max_bytes: int = 1 << 20) -> str:
    """A short sha256 over file names, sizes and their first ``max_bytes`` bytes."""
    digest = hashlib.sha256()
    for p in sorted(paths):
        digest.update(str(p.name).encode())
        if p.is_file():
            digest.update(str(p.stat().st_size).encode())
            with open(p, "rb") as f:
                digest.update(f.read(max_bytes))
    return digest.hexdigest()[:16]


def fingerprint_path(path: str | os.PathLike) -> str:
    """Fingerprint of a file or of all files in a folder (recursively)."""
    root = Path(path)
    files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
    return fingerprint_files(files)


def read_manifest(path: Path) -> dict[str, Any] | None:
    """The run manifest in folder ``path`` as a dict, or ``None`` when there is none (or junk)."""
    try:
        obj = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return obj if isinstance(obj, dict) and ("workflow" in obj or COMPLETE in obj) else None


def _inside(root: Path, relative: object) -> Path | None:
    """``root / relative`` when it is a path strictly inside ``root`` (no ``..``, no absolute)."""
    if not isinstance(relative, str) or not relative or relative.startswith(("/", "\\")):
        return None
    parts = Path(relative).parts
    if any(part in ("..", ".", "") for part in parts):
        return None
    target = root / relative
    try:
        parent = target.parent.resolve()
    except OSError:
        return None
    return target if parent.is_relative_to(root.resolve()) else None


def _previous_outputs(path: Path, manifest: dict[str, Any]) -> tuple[list[Path], list[Path]]:
    """Folders and files a previous run in ``path`` recorded it created (only those)."""
    if "created" not in manifest and "files" not in manifest:  # an older seislearn's run
        return [path / m for m in _LEGACY_OUTPUTS if (path / m).is_dir()], [
            path / m for m in _LEGACY_OUTPUTS if (path / m).is_file()
        ]
    folders = [t for t in map(lambda n: _inside(path, n), manifest.get("created") or []) if t]
    files = [t for t in map(lambda n: _inside(path, n), manifest.get("files") or []) if t]
    return folders, files


def _clear_previous_run(path: Path, manifest: dict[str, Any]) -> None:
    """Delete what the previous run in ``path`` recorded it wrote, and nothing else."""
    folders, files = _previous_outputs(path, manifest)
    try:
        for target in files:
            if target.is_symlink() or target.is_file():
                target.unlink()
        for target in folders:
            if target.is_symlink() or target.is_file():
                target.unlink()
            elif target.is_dir():
                shutil.rmtree(target)
        manifest_file = path / "manifest.json"
        if manifest_file.is_file():
            manifest_file.unlink()
    except OSError as exc:
        raise output_error(exc.filename or path, exc) from None


def _holds_files(path: Path, manifest: dict[str, Any] | None) -> bool:
    """True if the folder holds any file besides what a run writes at its very start.

    A run that stopped before it wrote anything but its resolved configuration
    (and its unfinished manifest) may be started again in the same folder;
    anything more (checkpoints, figures, results, or someone else's files) is
    protected.
    """
    start_only = {path / "config.yaml"}
    if manifest is not None and not manifest.get(COMPLETE, True):
        start_only.add(path / "manifest.json")
    return any(f.is_file() and f not in start_only for f in path.rglob("*"))


#: Config keys a ``--resume`` may change: how long to train and what is shown, not what is
#: learned (``--epochs 40 --resume`` continues a run stopped at 20).
RESUMABLE_KEYS = frozenset(
    {"epochs", "max_epochs", "vae_epochs", "head_epochs", "pretrain_epochs", "dec_max_epochs"}
    | {"progress", "quiet", "verbose", "num_workers"}
)


def _config_differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Keys whose values differ between two resolved configs (nested dicts), as ``key: a -> b``.

    Keys in :data:`RESUMABLE_KEYS` are left out.
    """
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            if str(key) in RESUMABLE_KEYS:
                continue
            name = f"{prefix}{key}"
            if key not in old:
                out.append(f"{name}: (absent) -> {new[key]!r}")
            elif key not in new:
                out.append(f"{name}: {old[key]!r} -> (absent)")
            else:
                out += _config_differences(old[key], new[key], f"{name}.")
        return out
    return [] if old == new else [f"{prefix.rstrip('.')}: {old!r} -> {new!r}"]


class RunDir:
    """A run directory.

    The manifest is written when the run starts (``"complete": false``) and
    again when it ends (``"complete": true``); it lists the folders and files
    the run created, and ``--overwrite`` deletes those and nothing else. A
    folder that merely holds a ``model/`` or ``figures/`` of the user's is
    never cleared.

    Parameters
    ----------
    path : path-like
        The folder.
    overwrite : bool
        Allow replacing a folder that already holds a run.
    resume : bool
        Reuse an existing run folder (to continue from its last checkpoint).

    Raises
    ------
    RunExistsError
        If the folder holds a run and neither ``overwrite`` nor ``resume`` is set.
    OutputError
        If the folder cannot be created or written (a file of that name, a
        read-only parent, a full disk).
    """

    def __init__(
        self, path: str | os.PathLike, overwrite: bool = False, resume: bool = False
    ) -> None:
        self.path = Path(path)
        self.resume = resume
        self._t0 = time.perf_counter()
        self._started = time.time()
        self.timings: dict[str, float] = {}
        self._data_fingerprint: str | None = None
        self._data_path: str | None = None
        self._arguments: Any = None
        if self.path.exists() and not self.path.is_dir():
            raise OutputError(
                f"cannot write the run to {self.path}: it is a file, not a folder; "
                "choose another --out",
                path=self.path,
            )
        previous = read_manifest(self.path) if self.path.is_dir() else None
        self.previous: dict[str, Any] | None = previous if resume else None
        if self.path.is_dir() and _holds_files(self.path, previous):
            # A folder holding only a config.yaml and checkpoints is an interrupted run of an
            # older seislearn (no manifest then): --resume may continue it.
            legacy = resume and (self.path / "config.yaml").is_file()
            if previous is None and not overwrite and not legacy:
                raise RunExistsError(
                    f"{self.path} is not empty and holds no seislearn run; choose another "
                    "--out, or pass --overwrite to write the run into it anyway "
                    "(nothing of yours there is deleted)"
                )
            if overwrite and not resume and previous is not None:
                _clear_previous_run(self.path, previous)
            elif not resume and not overwrite:
                raise RunExistsError(
                    f"{self.path} already holds a run; choose another --out, "
                    "or pass --overwrite to replace it (or --resume to continue it)"
                )
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise output_error(exc.filename or self.path, exc) from None
        self._before = {p.name for p in self.path.iterdir()} - {"manifest.json"}
        if previous is not None and (resume or not _holds_files(self.path, previous)):
            # Continued (or restarted after a failed start): what it created is still ours.
            self._before -= {str(n) for n in previous.get("created") or []}
        self._created: set[str] = set()
        self._files: set[str] = set()
        if self.previous is not None:
            self._files |= {str(f) for f in self.previous.get("files") or []}
        self._claim("figures")
        if self.previous is None or not self.previous.get(COMPLETE, False):
            self._write_journal()
        try:
            self.figures.mkdir(exist_ok=True)
        except OSError as exc:
            raise output_error(self.figures, exc) from None
        if resume and not any(self.checkpoints.rglob("*.ckpt")):
            logging.getLogger(__name__).warning(
                "%s: --resume found no checkpoint to continue from; training starts from the "
                "beginning",
                self.path,
            )

    @classmethod
    def open(cls, path: str | os.PathLike) -> RunDir:
        """Open an existing, finished run for reading (evaluate/predict)."""
        from seislearn.errors import DataError

        run = Path(path)
        if not (run / "manifest.json").is_file() and not (run / "model").is_dir():
            raise DataError("not a seislearn run directory (no manifest.json or model/)", path=run)
        manifest = read_manifest(run)
        if manifest is not None and manifest.get(COMPLETE) is False:
            raise DataError(
                "this run did not finish (interrupted or failed): no model to use yet; "
                "continue it with the same train command and --resume",
                path=run,
            )
        obj = cls.__new__(cls)
        obj.path = run
        obj.resume = False
        obj.previous = None
        obj._t0 = time.perf_counter()
        obj.timings = {}
        obj._started = time.time()
        obj._data_fingerprint = None
        obj._data_path = None
        obj._arguments = None
        obj._before = set()
        obj._created = set()
        obj._files = set()
        return obj

    # what the run wrote
    def _claim(self, relative: str) -> None:
        """Record that the run writes ``relative``: a top-level name it created, or a file."""
        top = Path(relative).parts[0]
        if top not in self._before:
            if top not in self._created:
                self._created.add(top)
                if hasattr(self, "_journal_written"):
                    self._write_journal()
        elif relative not in self._files:
            self._files.add(relative)

    def _outputs(self) -> tuple[list[str], list[str]]:
        """(top-level names the run created, files it wrote inside folders that were there)."""
        now = {p.name for p in self.path.iterdir()} - {"manifest.json"}
        created = sorted(self._created | (now - self._before))
        files = set(self._files)
        for top in self._before & now:
            entry = self.path / top
            if entry.is_dir():
                files |= {
                    str(f.relative_to(self.path))
                    for f in entry.rglob("*")
                    if f.is_file() and f.stat().st_mtime >= self._started
                }
        return created, sorted(files)

    def _write_journal(self, extra: dict[str, Any] | None = None) -> None:
        """The manifest of a run under way: not complete, with what it has created so far."""
        created, files = self._outputs() if self.path.is_dir() else (sorted(self._created), [])
        journal = {
            COMPLETE: False,
            "workflow": (self.previous or {}).get("workflow"),
            "started_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "data_fingerprint": self._data_fingerprint
            or (self.previous or {}).get("data_fingerprint"),
            "created": created,
            "files": files,
            **(extra or {}),
        }
        write_json_atomic(self.path / "manifest.json", journal)
        self._journal_written = True

    # paths
    @property
    def figures(self) -> Path:
        """Folder of PNG figures."""
        return self.path / "figures"

    @property
    def model_dir(self) -> Path:
        """Folder of the saved model (weights + constructor arguments)."""
        self._claim("model")
        return self.path / "model"

    @property
    def checkpoints(self) -> Path:
        """Folder of training checkpoints."""
        self._claim("checkpoints")
        return self.path / "checkpoints"

    def last_checkpoint(self) -> Path | None:
        """The newest checkpoint file, or ``None``."""
        if not self.checkpoints.is_dir():
            return None
        last = self.checkpoints / "last.ckpt"
        if last.is_file():
            return last
        found = sorted(self.checkpoints.glob("*.ckpt"), key=lambda p: p.stat().st_mtime)
        return found[-1] if found else None

    # start
    def begin(
        self,
        config: Any,
        data: str | os.PathLike | None = None,
        arguments: dict[str, Any] | None = None,
    ) -> Path:
        """Write ``config.yaml`` and, on ``--resume``, refuse other data or another config.

        Called by every train command before any waveform is read: a resumed
        run continues only with the data (fingerprint) and the configuration it
        started with; otherwise this says what differs and stops.

        Parameters
        ----------
        config : pydantic model or dict
            The resolved configuration.
        data : path-like, optional
            The dataset (its fingerprint is recorded and compared).
        arguments : dict, optional
            Other choices that shape the result (e.g. ``n_clusters``), recorded and compared.

        Raises
        ------
        RunExistsError
            On ``--resume`` with another config or other data than the run's.
        """
        import yaml

        data_dict = config.model_dump(mode="json") if hasattr(config, "model_dump") else config
        if data is not None:
            self._data_fingerprint = fingerprint_path(data)
            self._data_path = str(data)
        if self.resume and (self.path / "config.yaml").is_file():
            problems = []
            try:
                old = yaml.safe_load((self.path / "config.yaml").read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError):
                old = None
            if isinstance(old, dict):
                problems += _config_differences(old, data_dict)
            previous = (self.previous or {}).get("data_fingerprint")
            if data is not None and previous and previous != self._data_fingerprint:
                problems.append(
                    f"the data {data} changed since the run started (fingerprint {previous} "
                    f"-> {self._data_fingerprint}: other files, sizes or contents)"
                )
            old_arguments = (self.previous or {}).get("arguments")
            if arguments is not None and isinstance(old_arguments, dict):
                problems += _config_differences(old_arguments, _json_safe(arguments))
            if problems:
                raise RunExistsError(
                    f"--resume: {self.path} was started with another configuration or other "
                    "data, so continuing it would mix two runs: "
                    + "; ".join(problems)
                    + ". Resume with the same data and config, or start a new run "
                    "(another --out, or --overwrite to replace this one)"
                )
        self._arguments = None if arguments is None else _json_safe(arguments)
        if self.previous is not None and self.previous.get(COMPLETE, False):
            self.previous = {**self.previous, COMPLETE: False}
        self._write_journal({} if self._arguments is None else {"arguments": self._arguments})
        return self.write_config(data_dict)

    # writers
    @contextlib.contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Record the wall time of a step (seconds) in the manifest."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[step] = round(time.perf_counter() - t0, 3)

    def write_json(self, name: str, obj: Any) -> Path:
        """Write a JSON file in the run, atomically."""
        self._claim(name)
        return write_json_atomic(self.path / name, obj)

    def read_json(self, name: str) -> Any:
        """Read a JSON file of the run."""
        return json.loads((self.path / name).read_text(encoding="utf-8"))

    def write_csv(self, name: str, frame: Any) -> Path:
        """Write a pandas DataFrame as CSV, atomically."""
        self._claim(name)
        with atomic_path(self.path / name) as tmp:
            frame.to_csv(tmp, index=False)
        return self.path / name

    def write_config(self, config: Any) -> Path:
        """Write the resolved config (a pydantic model or a dict) as ``config.yaml``."""
        import yaml

        self._claim("config.yaml")
        data = config.model_dump(mode="json") if hasattr(config, "model_dump") else config
        return write_text_atomic(self.path / "config.yaml", yaml.safe_dump(data, sort_keys=False))

    def save_figure(self, fig: Any, name: str, dpi: int = 120) -> Path:
        """Save a matplotlib figure as ``figures/NAME.png`` and close it."""
        import matplotlib.pyplot as plt

        target = self.figures / f"{name}.png"
        self._claim(str(target.relative_to(self.path)))
        with atomic_path(target) as tmp:
            fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
        plt.close(fig)
        return target

    def write_manifest(
        self,
        workflow: str,
        seed: int | None = None,
        data: str | os.PathLike | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Path:
        """Write ``manifest.json`` last: versions, data fingerprint, seed, timings, the files
        the run wrote, and ``"complete": true`` (the run finished)."""
        from seislearn import __version__

        versions = {"python": sys.version.split()[0], "seislearn": __version__}
        for mod in ("numpy", "torch", "lightning", "obspy", "sklearn", "h5py", "pandas"):
            module = sys.modules.get(mod)
            if module is not None:
                versions[mod] = getattr(module, "__version__", "?")
        created, files = self._outputs()
        fingerprint = None
        if data is not None:
            same = self._data_path == str(data) and self._data_fingerprint is not None
            fingerprint = self._data_fingerprint if same else fingerprint_path(data)
        checksums = _checkpoint_checksums(self.path / "checkpoints")
        manifest = {
            "workflow": workflow,
            COMPLETE: True,
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "seed": seed,
            "data": None if data is None else str(data),
            "data_fingerprint": fingerprint,
            "platform": platform.platform(),
            "versions": versions,
            "timings_s": {**self.timings, "total": round(time.perf_counter() - self._t0, 3)},
            **({"arguments": self._arguments} if self._arguments is not None else {}),
            **(extra or {}),
            "created": created,
            "files": files,
            **({"checkpoint_sha256": checksums} if checksums else {}),
        }
        return write_json_atomic(self.path / "manifest.json", manifest)


def _checkpoint_checksums(folder: Path) -> dict[str, str]:
    """Every checkpoint's sha256 recorded under ``folder`` (see :mod:`seislearn.training.checkpoints`)."""
    out: dict[str, str] = {}
    if not folder.is_dir():
        return out
    for record in sorted(folder.rglob("checksums.json")):
        try:
            sums = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(sums, dict):
            base = record.parent.relative_to(folder)
            out.update({str(base / str(k)): str(v) for k, v in sums.items()})
    return out
