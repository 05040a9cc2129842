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

from seislearn.errors import RunExistsError

_MARKERS = ("manifest.json", "config.yaml", "metrics.json", "model")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only on success.

    A crash or Ctrl-C leaves the previous file (if any) untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
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


def _holds_files(path: Path) -> bool:
    """True if the folder holds any file besides a ``config.yaml`` (a run that failed at start).

    A run that stopped before it wrote anything but its resolved configuration
    may be started again in the same folder; anything more (checkpoints, figures,
    results, or someone else's files) is protected.
    """
    return any(f.is_file() and f != path / "config.yaml" for f in path.rglob("*"))


class RunDir:
    """A run directory.

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
    """

    def __init__(
        self, path: str | os.PathLike, overwrite: bool = False, resume: bool = False
    ) -> None:
        self.path = Path(path)
        self._t0 = time.perf_counter()
        self.timings: dict[str, float] = {}
        if self.path.exists() and _holds_files(self.path):
            holds_run = any((self.path / m).exists() for m in _MARKERS)
            if not holds_run and not overwrite:
                raise RunExistsError(
                    f"{self.path} is not empty and holds no seislearn run; choose another "
                    "--out, or pass --overwrite to write the run into it anyway"
                )
            if overwrite and not resume and holds_run:
                # Only a previous run's outputs are cleared: in a folder that holds no run,
                # a user's own figures/, model/ or checkpoints/ are none of ours to delete.
                for m in (*_MARKERS, "figures", "checkpoints", "report.html", "predictions.csv"):
                    target = self.path / m
                    if target.is_dir():
                        shutil.rmtree(target)
                    elif target.exists():
                        target.unlink()
            elif not resume and not overwrite:
                raise RunExistsError(
                    f"{self.path} already holds a run; choose another --out, "
                    "or pass --overwrite to replace it (or --resume to continue it)"
                )
        self.path.mkdir(parents=True, exist_ok=True)
        self.figures.mkdir(exist_ok=True)
        if resume and not any(self.checkpoints.rglob("*.ckpt")):
            logging.getLogger(__name__).warning(
                "%s: --resume found no checkpoint to continue from; training starts from the "
                "beginning",
                self.path,
            )

    @classmethod
    def open(cls, path: str | os.PathLike) -> RunDir:
        """Open an existing run for reading (evaluate/predict)."""
        from seislearn.errors import DataError

        run = Path(path)
        if not (run / "manifest.json").is_file() and not (run / "model").is_dir():
            raise DataError("not a seislearn run directory (no manifest.json or model/)", path=run)
        obj = cls.__new__(cls)
        obj.path = run
        obj._t0 = time.perf_counter()
        obj.timings = {}
        return obj

    # paths
    @property
    def figures(self) -> Path:
        """Folder of PNG figures."""
        return self.path / "figures"

    @property
    def model_dir(self) -> Path:
        """Folder of the saved model (weights + constructor arguments)."""
        return self.path / "model"

    @property
    def checkpoints(self) -> Path:
        """Folder of training checkpoints."""
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
        return write_json_atomic(self.path / name, obj)

    def read_json(self, name: str) -> Any:
        """Read a JSON file of the run."""
        return json.loads((self.path / name).read_text(encoding="utf-8"))

    def write_csv(self, name: str, frame: Any) -> Path:
        """Write a pandas DataFrame as CSV, atomically."""
        with atomic_path(self.path / name) as tmp:
            frame.to_csv(tmp, index=False)
        return self.path / name

    def write_config(self, config: Any) -> Path:
        """Write the resolved config (a pydantic model or a dict) as ``config.yaml``."""
        import yaml

        data = config.model_dump(mode="json") if hasattr(config, "model_dump") else config
        return write_text_atomic(self.path / "config.yaml", yaml.safe_dump(data, sort_keys=False))

    def save_figure(self, fig: Any, name: str, dpi: int = 120) -> Path:
        """Save a matplotlib figure as ``figures/NAME.png`` and close it."""
        import matplotlib.pyplot as plt

        target = self.figures / f"{name}.png"
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
        """Write ``manifest.json``: versions, data fingerprint, seed, timings."""
        from seislearn import __version__

        versions = {"python": sys.version.split()[0], "seislearn": __version__}
        for mod in ("numpy", "torch", "lightning", "obspy", "sklearn", "h5py", "pandas"):
            module = sys.modules.get(mod)
            if module is not None:
                versions[mod] = getattr(module, "__version__", "?")
        manifest = {
            "workflow": workflow,
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "seed": seed,
            "data": None if data is None else str(data),
            "data_fingerprint": None if data is None else fingerprint_path(data),
            "platform": platform.platform(),
            "versions": versions,
            "timings_s": {**self.timings, "total": round(time.perf_counter() - self._t0, 3)},
            **(extra or {}),
        }
        return self.write_json("manifest.json", manifest)
