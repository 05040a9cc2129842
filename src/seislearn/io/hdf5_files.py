"""Guarded HDF5 access shared by the SeisBench and STEAD readers.

Three functions stand between a reader and h5py, so that a damaged, hostile
or odd HDF5 file gives one :class:`~seislearn.errors.DataError` naming the
file and trace, never a traceback and never data from elsewhere:

* :func:`open_hdf5` opens a file read-only;
* :func:`resolve` finds an object by path, following soft links only inside
  the file and refusing **external links** (which would open another file);
* :func:`read_waveform` refuses datasets with **external storage** (raw bytes
  of another file, e.g. ``/etc/passwd``, read as samples) and **virtual
  datasets** (mapped from other files), checks the stored type and the
  declared size of the selection (:mod:`seislearn.io.limits`) before
  allocating, and then reads.

h5py reports damage inconsistently (``OSError``, ``KeyError: 'Unable to
synchronously open object (...)'``, ``RuntimeError``, ``ValueError``...);
all of them become "damaged HDF5 file" here, and only an object that is
really absent is reported as missing.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field

import h5py
import numpy as np

from seislearn.errors import DataError
from seislearn.io.limits import check_numeric_dtype, check_trace_size

#: Errors h5py raises for damaged files and structures.
H5_ERRORS = (OSError, KeyError, RuntimeError, ValueError, TypeError, SystemError, IndexError)
_MAX_LINK_HOPS = 32


class MissingObject(DataError):
    """An HDF5 path that does not exist in an otherwise readable file."""


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()).strip("'\"") or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


#: Chunk cache of each dataset opened through :func:`open_hdf5`, bytes. HDF5 2.0
#: raised the library default to 8 MiB a dataset; a reader (each DataLoader
#: worker) that touches every bucket of a large SeisBench archive then held
#: 8 MiB x the number of buckets (0.78 GiB a worker at 100,000 traces). Reads
#: here go one trace or one contiguous block at a time, so 1 MiB loses nothing.
CHUNK_CACHE_BYTES = 1 << 20


def open_hdf5(path: str | os.PathLike) -> h5py.File:
    """Open an HDF5 file read-only with a bounded chunk cache
    (:data:`CHUNK_CACHE_BYTES` a dataset), or raise :class:`DataError` naming it."""
    try:
        return h5py.File(path, "r", rdcc_nbytes=CHUNK_CACHE_BYTES)
    except H5_ERRORS as exc:
        raise DataError(f"cannot open HDF5 file: {_reason(exc)}", path=path) from None


def guarded(
    action: Callable[[], object], path: object, trace: str | None = None, doing: str = "read"
) -> object:
    """Run ``action`` and turn any h5py error into "damaged HDF5 file" naming file and trace."""
    try:
        return action()
    except DataError:
        raise
    except H5_ERRORS as exc:
        raise DataError(
            f"cannot {doing} (damaged HDF5 file?): {_reason(exc)}", path, trace
        ) from None


def resolve(
    handle: h5py.File, name: str, path: object = None, trace: str | None = None
) -> h5py.Group | h5py.Dataset:
    """The object at ``name`` (absolute or relative to the root), with link checks.

    Each step of the path is looked up as a link first: an external link
    (anywhere on the way) is refused, and a soft link is followed by its
    target path inside this file (at most 32 hops).

    Raises
    ------
    MissingObject
        If nothing exists at ``name``.
    DataError
        For an external link, a link loop, or a damaged file.
    """
    parts = [p for p in name.split("/") if p and p != "."]
    current = "/"
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            current = posixpath.dirname(current.rstrip("/")) or "/"
            continue
        group = guarded(lambda c=current: handle[c], path, trace, f"open {current!r}")
        if not isinstance(group, h5py.Group):
            raise MissingObject(
                f"{current!r} is not a group, so {name!r} does not exist", path, trace
            )
        link = guarded(
            lambda g=group, p=part: g.get(p, getlink=True), path, trace, f"look up {name!r}"
        )
        if link is None:
            raise MissingObject(f"no object {name!r} in the file", path, trace)
        if isinstance(link, h5py.ExternalLink):
            raise DataError(
                f"{posixpath.join(current, part)!r} is an external link to "
                f"{link.filename!r}:{link.path!r}; seislearn reads no file an HDF5 file points to",
                path,
                trace,
            )
        if isinstance(link, h5py.SoftLink):
            hops += 1
            if hops > _MAX_LINK_HOPS:
                raise DataError(f"soft links around {name!r} loop", path, trace)
            target = link.path
            base = "/" if target.startswith("/") else current
            parts = [p for p in target.split("/") if p and p != "."] + parts
            current = base
            continue
        if not isinstance(link, h5py.HardLink):
            raise DataError(
                f"{name!r} is a link of unknown kind ({type(link).__name__})", path, trace
            )
        current = posixpath.join(current, part)
    return guarded(lambda: handle[current], path, trace, f"open {name!r}")  # type: ignore[return-value]


def check_safe_dataset(node: h5py.Dataset, path: object = None, trace: str | None = None) -> None:
    """Refuse a dataset whose samples live outside this file (external storage, virtual)."""
    external = guarded(lambda: node.external, path, trace, "inspect the dataset")
    if external:
        files = ", ".join(sorted({str(e[0]) for e in external}))
        raise DataError(
            f"the dataset stores its samples in other files ({files}) (HDF5 external "
            "storage); seislearn reads no file an HDF5 file points to",
            path,
            trace,
        )
    if guarded(lambda: node.is_virtual, path, trace, "inspect the dataset"):
        raise DataError(
            "the dataset is virtual (mapped from other datasets or files); "
            "seislearn reads only data stored in the file itself",
            path,
            trace,
        )


def selection_shape(shape: tuple[int, ...], index: tuple) -> tuple[int, ...]:
    """Shape of ``dataset[index]`` for a dataset of ``shape``, computed without any data.

    Raises ``IndexError`` (out of range) or ``TypeError``/``ValueError`` (bad index).
    """
    if not index:
        return tuple(shape)
    view = np.lib.stride_tricks.as_strided(
        np.zeros(1, dtype=np.uint8), shape=tuple(shape), strides=(0,) * len(shape)
    )
    return view[index].shape


def check_waveform_node(
    node: object, path: object = None, trace: str | None = None
) -> h5py.Dataset:
    """``node`` if it is a dataset of numbers stored in this file, else a DataError."""
    if not isinstance(node, h5py.Dataset):
        raise DataError(
            f"expected a waveform dataset, found an HDF5 {type(node).__name__.lower()}", path, trace
        )
    check_safe_dataset(node, path, trace)
    dtype = guarded(lambda: node.dtype, path, trace, "inspect the dataset")
    check_numeric_dtype(dtype, path, trace)  # type: ignore[arg-type]
    return node


def read_waveform(
    node: object,
    index: tuple = (),
    path: object = None,
    trace: str | None = None,
    node_checked: bool = False,
) -> np.ndarray:
    """Read ``node[index]`` as float32, after the safety, type and size checks.

    Parameters
    ----------
    node : h5py object
        What :func:`resolve` returned; must be a dataset.
    index : tuple
        Index into the dataset (empty: all of it).
    path, trace
        Named in errors.
    node_checked : bool
        ``node`` already passed :func:`check_waveform_node` (a loader that
        reads many traces of one dataset checks it once).
    """
    if not node_checked:
        node = check_waveform_node(node, path, trace)
    assert isinstance(node, h5py.Dataset)
    shape = guarded(lambda: node.shape, path, trace, "inspect the dataset")
    if shape is None:
        raise DataError("the dataset holds no data (empty dataspace)", path, trace)
    try:
        selected = selection_shape(tuple(shape), index)  # type: ignore[arg-type]
    except IndexError:
        raise DataError(
            f"the trace index is outside the stored dataset of shape {tuple(shape)}",  # type: ignore[arg-type]
            path,
            trace,
        ) from None
    except (TypeError, ValueError) as exc:
        raise DataError(f"cannot index the dataset: {_reason(exc)}", path, trace) from None
    check_trace_size(selected, node.dtype, path, trace)
    data = guarded(lambda: node[index] if index else node[()], path, trace, "read waveform")
    try:
        return np.asarray(data, dtype=np.float32)
    except (TypeError, ValueError, OverflowError) as exc:
        raise DataError(f"cannot read waveform as numbers: {_reason(exc)}", path, trace) from None


@dataclass
class Hdf5Summary:
    """What a quick look at an HDF5 file's structure found (for format detection).

    Attributes
    ----------
    readable : bool
        The file opened.
    has_data_format : bool
        A SeisBench ``data_format`` group.
    stead_groups : bool
        Groups of early STEAD files (``earthquake/``, ``non_earthquake/``).
    trace_shapes : list of tuple
        Shapes of the first few datasets under ``data/``.
    stead_attributes : bool
        Those datasets carry STEAD metadata attributes (``receiver_code``, ...).
    """

    readable: bool = False
    has_data_format: bool = False
    stead_groups: bool = False
    trace_shapes: list[tuple[int, ...]] = field(default_factory=list)
    stead_attributes: bool = False

    @property
    def seisbench_buckets(self) -> bool:
        """Datasets of 3 dimensions (traces, channels, samples): SeisBench trace blocks."""
        return any(len(s) == 3 for s in self.trace_shapes)

    @property
    def per_trace_3c(self) -> bool:
        """Per-trace ``(N, 3)`` datasets (samples, channels), as STEAD stores its traces."""
        return bool(self.trace_shapes) and all(
            len(s) == 2 and s[1] == 3 and s[0] > 3 for s in self.trace_shapes
        )


#: Attributes STEAD writes on each trace dataset.
STEAD_ATTRIBUTES = frozenset(
    {
        "receiver_code",
        "receiver_type",
        "trace_category",
        "snr_db",
        "p_arrival_sample",
        "network_code",
    }
)


def summarize_hdf5(path: str | os.PathLike, sample: int = 5) -> Hdf5Summary:
    """Look at an HDF5 file's top-level structure and its first ``sample`` trace datasets.

    Never reads waveform data and never raises: an unreadable file is
    ``readable=False``.
    """
    summary = Hdf5Summary()
    try:
        with h5py.File(path, "r") as f:
            summary.readable = True
            names = set(f.keys())
            summary.has_data_format = "data_format" in names
            summary.stead_groups = bool({"earthquake", "non_earthquake"} & names)
            data = f.get("data", getlink=True)
            if isinstance(data, h5py.HardLink) and isinstance(f["data"], h5py.Group):
                for i, key in enumerate(f["data"]):
                    if i >= sample:
                        break
                    link = f["data"].get(key, getlink=True)
                    if not isinstance(link, h5py.HardLink):
                        continue
                    node = f["data"][key]
                    if isinstance(node, h5py.Dataset) and node.shape is not None:
                        summary.trace_shapes.append(tuple(node.shape))
                        if STEAD_ATTRIBUTES & set(node.attrs.keys()):
                            summary.stead_attributes = True
    except H5_ERRORS:
        pass
    return summary
