"""In memory or streamed: the choice every workflow makes before it reads waveforms.

The config key ``data.streaming`` (``auto`` | ``memory`` | ``stream``, default
``auto``) and the ``--streaming`` option of the commands that take ``--data``
decide whether the prepared windows are held in memory as one array or written
once, chunk by chunk, into a feature-cache store (:mod:`seislearn.features.cache`)
and read back batch by batch (:mod:`seislearn.data.window_store`).

``auto`` estimates the bytes the in-memory path would hold, ``n_traces x
channels x samples x 4`` (float32 windows) plus the bytes of the features
computed from them (spectrograms), and streams when that exceeds
``data.memory_fraction`` (default 0.25) of the memory available now. A quarter,
because the in-memory path holds the windows about three times at its peak (the
windows, the per-split tensors of the loaders, the evaluated split), and the
model, the interpreter and other processes need the rest. The available memory
is ``psutil.virtual_memory().available`` when psutil is installed, else
``MemAvailable`` of ``/proc/meminfo``, else ``os.sysconf`` free pages, and
never more than what the memory limit of the process's own cgroup (and of its
parents) leaves: a container, a job scheduler's allocation, ``systemd-run -p
MemoryMax=...``. The choice and its reason are logged.

Precedence: the command line's ``--streaming`` (:func:`streaming_option`) wins
over the config key, which wins over ``auto``.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field

from seislearn.config import StrictModel

log = logging.getLogger(__name__)

StreamingSetting = Literal["auto", "memory", "stream"]

#: Fraction of the available memory the in-memory windows (and features) may take under ``auto``.
DEFAULT_MEMORY_FRACTION = 0.25

_OPTION: ContextVar[str | None] = ContextVar("seislearn_streaming", default=None)


class DataConfig(StrictModel):
    """How the waveforms reach the model (config section ``data``).

    Attributes
    ----------
    streaming : {"auto", "memory", "stream"}
        ``memory``: every window prepared into one array; ``stream``: windows
        prepared chunk by chunk into a feature-cache store and read back batch by
        batch (bounded memory); ``auto``: ``stream`` when the estimated in-memory
        size exceeds ``memory_fraction`` of the available memory.
    memory_fraction : float
        Share of the available memory the in-memory path may take under ``auto``.
    chunk_traces : int
        Traces read and prepared at once by a streaming pass.
    cache_dir : str or None
        Folder of the feature-cache stores (default ``$SEISLEARN_CACHE_DIR/features``
        or ``~/.cache/seislearn/features``).
    """

    streaming: StreamingSetting = Field(
        "auto",
        description="auto (stream when the windows would exceed data.memory_fraction of the "
        "available memory), memory or stream",
    )
    memory_fraction: float = Field(DEFAULT_MEMORY_FRACTION, gt=0.0, le=1.0)
    chunk_traces: int = Field(2048, ge=1)
    cache_dir: str | None = None


@dataclass(frozen=True)
class StreamingChoice:
    """The outcome of :func:`choose_streaming_mode`.

    Attributes
    ----------
    stream : bool
    setting : str, the setting that decided (``auto``, ``memory`` or ``stream``)
    estimated_bytes : int, the in-memory size of the windows and features, bytes
    available_bytes : int or None, the available memory, bytes (``auto`` only)
    reason : str, one sentence for the log and the run's manifest
    """

    stream: bool
    setting: str
    estimated_bytes: int
    available_bytes: int | None
    reason: str

    def as_dict(self) -> dict[str, object]:
        """JSON-ready summary (for ``metrics.json`` / the manifest)."""
        return {
            "mode": "stream" if self.stream else "memory",
            "setting": self.setting,
            "estimated_bytes": self.estimated_bytes,
            "available_bytes": self.available_bytes,
            "reason": self.reason,
        }


@contextlib.contextmanager
def streaming_option(setting: str | None) -> Iterator[None]:
    """While inside, ``setting`` overrides every config's ``data.streaming`` (the CLI option)."""
    if setting is not None and setting not in ("auto", "memory", "stream"):
        from seislearn.errors import ConfigError

        raise ConfigError(f"--streaming must be auto, memory or stream, not {setting!r}")
    token = _OPTION.set(setting)
    try:
        yield
    finally:
        _OPTION.reset(token)


#: Where the cgroup file systems are mounted: v2 (unified) at the root, v1's memory controller below it.
CGROUP_ROOT = Path("/sys/fs/cgroup")

#: Limits at or above this are "no limit" (cgroup v1 writes ``PAGE_COUNTER_MAX`` pages, about 2**63).
_NO_LIMIT = 1 << 60


def _read_int(path: Path) -> int | None:
    """The integer in ``path``; None when missing, unreadable or ``max`` (v2: no limit)."""
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _inactive_file_bytes(folder: Path, key: str) -> int:
    """Page cache not recently used (``key`` of ``memory.stat``), bytes: reclaimed before an OOM."""
    try:
        for line in (folder / "memory.stat").read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key and value.strip().isdigit():
                return int(value)
    except OSError:
        pass
    return 0


def _memory_cgroups(proc_cgroup: str, root: Path) -> list[tuple[Path, str]]:
    """This process's memory cgroup folders with their version, innermost first.

    ``proc_cgroup`` is the text of ``/proc/self/cgroup`` (``id:controllers:path``
    lines): the v1 line whose controllers include ``memory`` names a folder under
    ``root/memory``, the v2 line ``0::path`` one under ``root``. Every folder from
    there up to the mount's root is listed (a parent's limit binds its children).
    A path that is not visible here (another mount namespace) falls back to the
    mount's root.
    """
    found: list[tuple[Path, str]] = []
    for line in proc_cgroup.splitlines():
        parts = line.strip().split(":", 2)
        if len(parts) != 3:
            continue
        number, controllers, path = parts
        if "memory" in controllers.split(","):
            mount, version = root / "memory", "v1"
        elif number == "0" and controllers == "":
            mount, version = root, "v2"
        else:
            continue
        folder = mount / path.lstrip("/")
        if not folder.is_dir():
            folder = mount
        while True:
            found.append((folder, version))
            if folder == mount or mount not in folder.parents:
                break
            folder = folder.parent
    return found


def _cgroup_free_bytes(proc_cgroup: str | None = None, root: Path | None = None) -> int | None:
    """What the memory limits of this process's cgroups leave, bytes; None without a limit.

    The cgroups are this process's own (``/proc/self/cgroup``) and their parents,
    not the mount's root: under a job scheduler, ``systemd-run -p MemoryMax`` or a
    container without a cgroup namespace, the root shows no limit while the
    process's own cgroup has one. At each level the free memory is the limit
    minus the usage, the usage without the inactive page cache (the "working set"
    container tools report: cgroup usage counts the file pages read, which the
    kernel reclaims before it kills); the smallest over the levels is returned.

    Parameters
    ----------
    proc_cgroup : str, optional
        Text of ``/proc/self/cgroup`` (default: read it).
    root : Path, optional
        Mount point of the cgroup file systems (default :data:`CGROUP_ROOT`).
    """
    root = CGROUP_ROOT if root is None else root
    if proc_cgroup is None:
        try:
            proc_cgroup = Path("/proc/self/cgroup").read_text()
        except OSError:
            proc_cgroup = ""
    folders = _memory_cgroups(proc_cgroup, root) or [(root, "v2"), (root / "memory", "v1")]
    free: int | None = None
    for folder, version in folders:
        if version == "v2":
            limit = _read_int(folder / "memory.max")
            usage = _read_int(folder / "memory.current")
            inactive = _inactive_file_bytes(folder, "inactive_file")
        else:
            limit = _read_int(folder / "memory.limit_in_bytes")
            usage = _read_int(folder / "memory.usage_in_bytes")
            inactive = _inactive_file_bytes(folder, "total_inactive_file")
        if limit is None or usage is None or limit >= _NO_LIMIT:
            continue
        left = max(0, limit - max(0, usage - inactive))
        free = left if free is None else min(free, left)
    return free


def available_memory_bytes() -> int:
    """Memory available to this process now, bytes (see the module docstring)."""
    available: int | None = None
    try:
        import psutil  # optional

        available = int(psutil.virtual_memory().available)
    except ImportError:
        try:
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
        except (OSError, ValueError, IndexError):
            pass
    if available is None:
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    cgroup = _cgroup_free_bytes()
    return available if cgroup is None else min(available, cgroup)


def window_bytes(
    n_traces: int, channels: int, samples: int, feature_bytes_per_trace: int = 0
) -> int:
    """In-memory size of ``n_traces`` float32 windows ``(channels, samples)`` plus features, bytes."""
    return int(n_traces) * (int(channels) * int(samples) * 4 + int(feature_bytes_per_trace))


def choose_streaming_mode(
    config: DataConfig | None,
    n_traces: int,
    channels: int,
    samples: int,
    feature_bytes_per_trace: int = 0,
    workflow: str = "",
    unit: str = "windows",
) -> StreamingChoice:
    """Stream or hold in memory, from the CLI option, ``data.streaming`` and the estimate.

    Parameters
    ----------
    config : DataConfig or None
        The workflow's ``data`` section (None: the defaults).
    n_traces : int
        Traces that will be windowed.
    channels, samples : int
        Shape of one window.
    feature_bytes_per_trace : int
        Bytes of the features kept beside each window (e.g. a float32
        spectrogram), 0 when none.
    workflow : str
        Named in the log line.
    unit : str
        What the items are called in the reason (``windows``, ``patches``).
    """
    config = config or DataConfig()
    setting = _OPTION.get() or config.streaming
    estimate = window_bytes(n_traces, channels, samples, feature_bytes_per_trace)
    available: int | None = None
    if setting == "auto":
        available = available_memory_bytes()
        budget = config.memory_fraction * available
        stream = estimate > budget
        reason = (
            f"auto: {n_traces:,} {unit} of {channels}x{samples} float32"
            + (
                f" plus {feature_bytes_per_trace:,} feature bytes each"
                if feature_bytes_per_trace
                else ""
            )
            + f" take about {_size(estimate)}, {'more' if stream else 'less'} than "
            f"{config.memory_fraction:g} of the {_size(available)} available"
        )
    else:
        stream = setting == "stream"
        reason = f"data.streaming={setting} (about {_size(estimate)} in memory)"
    choice = StreamingChoice(stream, setting, estimate, available, reason)
    log.info(
        "%s%s: %s",
        f"{workflow}: " if workflow else "",
        "streamed" if stream else "in memory",
        reason,
    )
    return choice


def _size(n_bytes: float) -> str:
    """``1.23 GiB``, ``45.6 MiB``: a size for a log line."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.2f} {unit}"
    return f"{n_bytes / 2**10:.1f} KiB"


def cache_root(config: DataConfig | None = None) -> Path:
    """Folder of the feature-cache stores (``data.cache_dir``, ``$SEISLEARN_CACHE_DIR/features``
    or ``~/.cache/seislearn/features``)."""
    if config is not None and config.cache_dir:
        return Path(config.cache_dir)
    root = os.environ.get("SEISLEARN_CACHE_DIR")
    base = Path(root) if root else Path.home() / ".cache" / "seislearn"
    return base / "features"
