"""SeisBench WaveformDataset format: ``metadata.csv`` + ``waveforms.hdf5``.

Supports plain traces (one HDF5 dataset per ``trace_name`` under ``data/``),
trace blocks (``bucket0$3,:3,:1200``: row 3 of the dataset ``data/bucket0``),
the ``data_format`` group (component order, dimension order, sampling rate) and
chunked datasets (a ``chunks`` file listing chunk names, with
``metadata{chunk}.csv`` and ``waveforms{chunk}.hdf5`` for each).

The format is SeisBench's public one; this is an independent implementation.
"""

from __future__ import annotations

import collections
import os
import re
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from seislearn.data import schema
from seislearn.data.dataset import WaveformDataset
from seislearn.errors import DataError
from seislearn.io.hdf5_files import (
    H5_ERRORS,
    MissingObject,
    check_safe_dataset,
    check_waveform_node,
    guarded,
    open_hdf5,
    read_waveform,
    resolve,
    selection_shape,
)
from seislearn.io.limits import check_trace_size
from seislearn.io.tables import read_csv_table
from seislearn.progress import Bar

_INDEX_PART = re.compile(r"^\s*(-?\d+)?\s*(:\s*(-?\d+)?\s*(:\s*(-?\d+)?)?)?\s*$")


def parse_trace_name(trace_name: str) -> tuple[str, tuple[int | slice, ...]]:
    """Split a SeisBench trace name into an HDF5 dataset name and an index.

    Parameters
    ----------
    trace_name : str
        ``"name"`` for a plain trace, ``"bucket$3,:3,:1200"`` for a trace block.

    Returns
    -------
    dataset : str
        Name of the HDF5 dataset under ``data/``.
    index : tuple of int or slice
        Index into that dataset (empty for a plain trace).

    Raises
    ------
    DataError
        If the block index is malformed.
    """
    if "$" not in trace_name:
        return trace_name, ()
    bucket, _, locator = trace_name.partition("$")
    if not bucket or not locator:
        raise DataError(f"malformed trace block string {trace_name!r}", trace=trace_name)
    index: list[int | slice] = []
    for part in locator.split(","):
        match = _INDEX_PART.match(part)
        if match is None or part.strip() == "":
            raise DataError(
                f"malformed trace block string {trace_name!r}: cannot read {part!r}",
                trace=trace_name,
            )
        start, colon, stop, step_part, step = match.groups()
        if colon is None:
            index.append(int(start))
        else:
            index.append(
                slice(
                    None if start is None else int(start),
                    None if stop is None else int(stop),
                    None if (step_part is None or step is None) else int(step),
                )
            )
    if not isinstance(index[0], int):
        raise DataError(
            f"malformed trace block string {trace_name!r}: the first index must be a row number",
            trace=trace_name,
        )
    return bucket, tuple(index)


def _read_str(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray) and value.shape == ():
        return _read_str(value[()])
    return str(value)


#: Largest ``data_format`` entry read, elements (they are short strings and scalars).
_MAX_FORMAT_ITEMS = 64

#: Bucket datasets a reader keeps open at once (least recently used closed first);
#: with each one's chunk cache (:data:`seislearn.io.hdf5_files.CHUNK_CACHE_BYTES`)
#: this bounds a reader's memory whatever the number of buckets in the archive.
OPEN_NODES = 16


def read_data_format(path: str | os.PathLike) -> dict[str, object]:
    """Read the ``data_format`` group of a SeisBench waveform file (empty dict if absent).

    Raises
    ------
    DataError
        If the file cannot be opened or its ``data_format`` group is damaged,
        a link out of the file, or holds something other than short values.
    """
    with open_hdf5(path) as f:
        try:
            group = resolve(f, "data_format", path)
        except MissingObject:
            return {}
        if not isinstance(group, h5py.Group):
            raise DataError("'data_format' is not a group", path=path)
        out: dict[str, object] = {}
        for key in guarded(lambda: list(group.keys()), path, doing="list data_format"):
            node = resolve(f, f"data_format/{key}", path)
            if not isinstance(node, h5py.Dataset):
                continue
            check_safe_dataset(node, path)
            size = guarded(lambda n=node: n.size, path, doing=f"read data_format/{key}")
            if size is None or size > _MAX_FORMAT_ITEMS:
                raise DataError(f"data_format/{key} is not a short value", path=path)
            value = guarded(lambda n=node: n[()], path, doing=f"read data_format/{key}")
            out[key] = value if isinstance(value, int | float | np.number) else _read_str(value)
        attrs = guarded(lambda: dict(group.attrs.items()), path, doing="read data_format")
        out.update({k: _read_str(v) for k, v in attrs.items()})  # type: ignore[union-attr]
        return out


@dataclass
class TraceBlocks:
    """Where trace blocks lie in a SeisBench file: bucket group and row of each trace.

    Parsed once from the trace names (``bucket$row,rest``), so a batch read
    needs no per-trace parsing or lookups.

    Attributes
    ----------
    group : ndarray of int64
        Per trace: code of its (chunk, bucket, trailing index), -1 for a trace
        that is not a block (plain traces, malformed names).
    row : ndarray of int64
        Per trace: its row in the bucket (-1 where ``group`` is -1).
    chunk, bucket : list of str
        Per group code.
    rest : list of tuple or None
        Per group code: the trailing index (``:3,:1200``), None if malformed.
    """

    group: np.ndarray
    row: np.ndarray
    chunk: list[str]
    bucket: list[str]
    rest: list[tuple | None]

    @classmethod
    def parse(cls, names: np.ndarray | pd.Series, chunks: np.ndarray | None = None) -> TraceBlocks:
        """Parse trace names (and the ``trace_chunk`` of each trace, if chunked)."""
        names = [str(name) for name in np.asarray(names, dtype=object)]
        chunk_list = (
            [str(c) for c in np.asarray(chunks, dtype=object)]
            if chunks is not None
            else [""] * len(names)
        )
        group = np.full(len(names), -1, dtype=np.int64)
        row = np.full(len(names), -1, dtype=np.int64)
        codes: dict[tuple[str, str, str], int] = {}
        for k, (name, chunk) in enumerate(zip(names, chunk_list, strict=True)):
            bucket, dollar, locator = name.partition("$")
            first, _, rest = locator.partition(",")
            first = first.strip()
            if not dollar or not bucket or not first.isdigit():
                continue  # plain trace or a malformed name: read (and reported) one by one
            group[k] = codes.setdefault((chunk, bucket, rest), len(codes))
            row[k] = int(first)
        chunk_of, bucket_of, rest_of = [], [], []
        for c, b, rest in codes:
            chunk_of.append(c)
            bucket_of.append(b)
            try:
                rest_of.append(parse_trace_name(f"{b}$0,{rest}" if rest else f"{b}$0")[1][1:])
            except DataError:
                rest_of.append(None)
        return cls(group, row, chunk_of, bucket_of, rest_of)


class SeisBenchLoader:
    """Reads waveforms from one or more SeisBench HDF5 files, opened lazily.

    Parameters
    ----------
    files : dict of str to Path
        Chunk name -> ``waveforms{chunk}.hdf5``.
    component_order : str
        Component order stored in the files (``data_format/component_order``).
    dimension_order : str
        ``"CW"`` (channels, samples) or ``"WC"``.
    target_order : str
        Component order to return. Target components the files do not store
        (e.g. N and E of a vertical-only dataset) come out as zeros; the reader
        leaves them out of ``trace_available_components``.
    """

    def __init__(
        self,
        files: dict[str, Path],
        component_order: str = "ZNE",
        dimension_order: str = "CW",
        target_order: str = "ZNE",
        metadata_files: dict[str, Path] | None = None,
    ) -> None:
        self.files = files
        self.metadata_files = metadata_files or {}
        self.component_order = component_order
        self.dimension_order = dimension_order.replace("N", "")
        self.target_order = target_order
        self._handles: dict[str, h5py.File] = {}
        # The most recently used bucket datasets, at most OPEN_NODES: each holds its
        # own chunk cache, so an unbounded dict grew with the number of buckets.
        self._nodes: collections.OrderedDict[tuple[str, str], h5py.Dataset] = (
            collections.OrderedDict()
        )
        self._pid = os.getpid()
        self._sources = [
            component_order.index(c) if c in component_order else None for c in target_order
        ]
        self._identity = component_order == target_order

    def _handle(self, chunk: str) -> h5py.File:
        if self._pid != os.getpid():  # h5py handles must not cross a fork
            self._handles, self._nodes = {}, collections.OrderedDict()
            self._pid = os.getpid()
        handle = self._handles.get(chunk)
        if handle is None:
            handle = open_hdf5(self.files[chunk])
            self._handles[chunk] = handle
        return handle

    def _node(self, chunk: str, dataset: str, trace_name: str | None) -> h5py.Dataset:
        """The checked HDF5 dataset ``data/<dataset>`` of a chunk (looked up once)."""
        handle = self._handle(chunk)
        key = (chunk, dataset)
        node = self._nodes.get(key)
        if node is not None:
            self._nodes.move_to_end(key)
        else:
            path = self.files[chunk]
            try:
                found = resolve(handle, f"data/{dataset}", path, trace_name)
            except MissingObject:
                source = self.metadata_files.get(chunk)
                listed = f" (the name comes from {source})" if source else ""
                raise DataError(
                    f"metadata row has no waveform in the file{listed}", path, trace_name
                ) from None
            node = check_waveform_node(found, path, trace_name)
            self._nodes[key] = node
            if len(self._nodes) > OPEN_NODES:
                self._nodes.popitem(last=False)
        return node

    def _path(self, chunk: str, trace_name: str) -> Path:
        try:
            return self.files[chunk]
        except KeyError:
            raise DataError(
                f"the metadata names chunk {chunk!r}, which is not among the files read",
                trace=trace_name,
            ) from None

    def _arrange(self, data: np.ndarray, path: Path, trace_name: str) -> np.ndarray:
        """(C, N) in the target order from one stored trace, or a DataError."""
        if data.ndim != 2:
            raise DataError(
                f"waveform has shape {data.shape}, expected 2 dimensions", path, trace_name
            )
        if self.dimension_order == "WC":
            data = data.T
        if data.shape[0] != len(self.component_order):
            raise DataError(
                f"waveform has {data.shape[0]} channels, the file declares "
                f"{len(self.component_order)} ({self.component_order})",
                path,
                trace_name,
                check="channel_count",
            )
        if self._identity:
            return data
        out = np.zeros((len(self._sources), data.shape[1]), dtype=np.float32)
        for k, source in enumerate(self._sources):
            if source is not None:
                out[k] = data[source]
        return out

    def load(self, row: pd.Series) -> np.ndarray:
        trace_name = str(row[schema.TRACE_NAME])
        chunk = str(row.get("trace_chunk", "")) if "trace_chunk" in row.index else ""
        path = self._path(chunk, trace_name)
        try:
            dataset, index = parse_trace_name(trace_name)
        except DataError as exc:
            source = self.metadata_files.get(chunk)
            listed = f" (in {source})" if source else ""
            raise DataError(exc.reason + listed, path, trace_name) from None
        node = self._node(chunk, dataset, trace_name)
        data = read_waveform(node, index, path, trace_name, node_checked=True)
        return self._arrange(data, path, trace_name)

    def load_batch(self, rows: pd.DataFrame) -> list[np.ndarray]:
        """Waveforms of many rows; each run of consecutive rows of a bucket is one HDF5 read.

        Trace blocks sharing a bucket and trailing index (``bucket$i,:3,:1200``)
        are sorted by row and coalesced into runs of consecutive rows, each read
        with one call (:meth:`read_blocks`). Anything else, and any error, goes
        through :meth:`load`, so messages are the same as for single reads.
        """
        names = rows[schema.TRACE_NAME].astype(str).to_numpy()
        chunks = (
            rows["trace_chunk"].astype(str).to_numpy() if "trace_chunk" in rows.columns else None
        )
        out, filled = self.read_blocks(TraceBlocks.parse(names, chunks), np.arange(len(rows)))
        return [
            out[k] if out is not None and filled[k] else self.load(rows.iloc[k])
            for k in range(len(rows))
        ]

    def read_blocks(
        self, blocks: TraceBlocks, positions: np.ndarray
    ) -> tuple[np.ndarray | None, np.ndarray]:
        """Read the block traces at ``positions`` of ``blocks`` into one float32 array.

        The positions are sorted by (bucket, row) and coalesced into runs of
        consecutive rows; each run is one HDF5 read. A run whose traces are
        asked for in file order, stored as float32 in the returned component
        and dimension order, is read straight into the output
        (``Dataset.read_direct``, no copy); other runs are read into a buffer
        and arranged (component order, ``WC`` layout, repeated rows).

        Parameters
        ----------
        blocks : TraceBlocks
            Where each trace lies (:meth:`TraceBlocks.parse`, once per archive).
        positions : array of int
            Traces to read (positions into ``blocks``), in the order wanted.

        Returns
        -------
        out : ndarray ``(len(positions), C, N)`` float32, or None
            None when no trace could be read this way.
        filled : ndarray of bool
            Which rows of ``out`` were read. The others (plain traces, rows
            past the end, damaged buckets, a shape other than the first run's)
            are left to :meth:`load`, which names the problem.
        """
        positions = np.asarray(positions, dtype=np.int64)
        n = len(positions)
        filled = np.zeros(n, dtype=bool)
        out: np.ndarray | None = None
        codes, numbers = blocks.group[positions], blocks.row[positions]
        usable = np.flatnonzero(codes >= 0)
        if len(usable) == 0:
            return out, filled
        order = usable[np.lexsort((numbers[usable], codes[usable]))]
        c, r = codes[order], numbers[order]
        breaks = np.flatnonzero((np.diff(c) != 0) | (np.diff(r) > 1)) + 1
        channels = len(self.target_order)
        for run in np.split(order, breaks):
            group = int(codes[run[0]])
            chunk, rest = blocks.chunk[group], blocks.rest[group]
            if rest is None or chunk not in self.files:
                continue
            low, high = int(numbers[run[0]]), int(numbers[run[-1]])
            selection = (slice(low, high + 1), *rest)
            try:
                node = self._node(chunk, blocks.bucket[group], None)
                shape = selection_shape(node.shape, selection)
                if len(shape) != 3 or shape[0] != high - low + 1:
                    continue  # rows past the end, or not (C, N) traces: load() says so
                check_trace_size(shape[1:], node.dtype)
            except (DataError, IndexError, TypeError, ValueError):
                continue
            stored = shape[1:] if self.dimension_order == "CW" else shape[:0:-1]
            if stored[0] != len(self.component_order):
                continue  # load() reports the channel count
            if out is None:
                out = np.empty((n, channels, stored[1]), dtype=np.float32)
            elif out.shape[1:] != (channels, stored[1]):
                continue  # another shape in the same batch: reported by the caller
            direct = (
                self._identity
                and self.dimension_order == "CW"
                and node.dtype == np.float32
                and len(run) == high - low + 1
                and run[-1] - run[0] == len(run) - 1
                and bool(np.all(np.diff(run) == 1))
            )
            try:
                if direct:
                    node.read_direct(out, selection, np.s_[int(run[0]) : int(run[-1]) + 1])
                else:
                    slab = np.asarray(node[selection], dtype=np.float32)
                    out[run] = self._arrange_block(slab)[numbers[run] - low]
            except H5_ERRORS:
                continue
            filled[run] = True
        return out, filled

    def _arrange_block(self, slab: np.ndarray) -> np.ndarray:
        """``(k, C, N)`` in the target order from a stored slab of ``k`` traces."""
        if self.dimension_order == "WC":
            slab = slab.transpose(0, 2, 1)
        if self._identity:
            return slab
        out = np.zeros((slab.shape[0], len(self._sources), slab.shape[2]), dtype=np.float32)
        for k, source in enumerate(self._sources):
            if source is not None:
                out[:, k] = slab[:, source]
        return out

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles, self._nodes = {}, {}


def _chunks(root: Path) -> list[str]:
    chunk_file = root / "chunks"
    if chunk_file.is_file():
        try:
            text = chunk_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"cannot read the chunks file: {exc}", path=chunk_file) from None
        names = [line.strip() for line in text.splitlines() if line.strip()]
        if not names:
            raise DataError("the chunks file lists no chunks", path=chunk_file)
        bad = [n for n in names if "/" in n or "\\" in n or len(n) > 200]
        if bad:
            raise DataError(
                f"the chunks file lists a bad chunk name {bad[0][:60]!r}", path=chunk_file
            )
        return names
    if (root / "metadata.csv").is_file():
        return [""]
    found = sorted(p.name[len("metadata") : -len(".csv")] for p in root.glob("metadata*.csv"))
    if not found:
        if _renamed_pair(root) is not None:
            return [""]
        raise DataError("no metadata.csv (or metadata{chunk}.csv) in this folder", path=root)
    return found


def _renamed_pair(root: Path) -> tuple[Path, Path] | None:
    """The only CSV and the only HDF5 file of a folder, for a dataset saved under other names."""
    csvs = sorted(root.glob("*.csv"))
    h5s = sorted([*root.glob("*.hdf5"), *root.glob("*.h5")])
    return (csvs[0], h5s[0]) if len(csvs) == 1 and len(h5s) == 1 else None


def _chunk_files(root: Path, chunk: str) -> tuple[Path, Path]:
    meta_path, wave_path = root / f"metadata{chunk}.csv", root / f"waveforms{chunk}.hdf5"
    if chunk == "" and not meta_path.is_file() and not wave_path.is_file():
        pair = _renamed_pair(root)
        if pair is not None:
            return pair
    return meta_path, wave_path


def is_seisbench_dataset(path: str | os.PathLike) -> bool:
    """True if ``path`` is a folder in SeisBench WaveformDataset format (judged by content)."""
    from seislearn.io.detection import detect_format

    try:
        return Path(path).is_dir() and detect_format(path) == "seisbench"
    except DataError:
        return False


def _data_format_values(
    data_format: dict[str, object], path: Path
) -> tuple[str, str, float | None]:
    """Stored component order, dimension order and sampling rate, checked."""
    order = str(data_format.get("component_order", "ZNE")).strip().upper()
    if not order or len(set(order)) != len(order) or len(order) > 6 or not order.isalnum():
        raise DataError(
            f"data_format/component_order {order[:20]!r} is not a component order", path=path
        )
    dimension = str(data_format.get("dimension_order", "CW")).strip().upper()
    if dimension.replace("N", "") not in ("CW", "WC"):
        raise DataError(
            f"data_format/dimension_order {dimension[:20]!r} is neither CW nor WC", path=path
        )
    rate: float | None = None
    if "sampling_rate" in data_format:
        try:
            rate = float(data_format["sampling_rate"])  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise DataError(
                f"data_format/sampling_rate {str(data_format['sampling_rate'])[:20]!r} is not a number",
                path=path,
            ) from None
        if not np.isfinite(rate) or rate <= 0:
            raise DataError(f"data_format/sampling_rate {rate:g} is not a positive rate", path=path)
    return order, dimension, rate


def read_seisbench(
    path: str | os.PathLike, chunks: list[str] | None = None, component_order: str = "ZNE"
) -> WaveformDataset:
    """Open a SeisBench-format dataset (metadata in memory, waveforms lazy).

    Parameters
    ----------
    path : path-like
        Folder with ``metadata.csv`` and ``waveforms.hdf5`` (or chunked files,
        or one CSV and one HDF5 file under other names).
    chunks : list of str, optional
        Read only these chunks.
    component_order : str
        Component order of the returned waveforms.

    Returns
    -------
    WaveformDataset

    Raises
    ------
    DataError
        If a file is missing, a metadata CSV is bad (see
        :func:`seislearn.io.tables.read_csv_table`) or an HDF5 file cannot be
        opened or has a bad ``data_format`` group.
    """
    root = Path(path)
    if not root.is_dir():
        raise DataError("not a folder", path=root)
    names = chunks if chunks is not None else _chunks(root)
    frames = []
    files: dict[str, Path] = {}
    meta_files: dict[str, Path] = {}
    data_format: dict[str, object] = {}
    for chunk in names:
        meta_path, wave_path = _chunk_files(root, chunk)
        for p in (meta_path, wave_path):
            if not p.is_file():
                raise DataError("missing file of a SeisBench dataset", path=p)
        meta = read_csv_table(
            meta_path, "metadata CSV", required=(schema.TRACE_NAME,), names=(schema.TRACE_NAME,)
        )
        meta["trace_chunk"] = chunk
        frames.append(meta)
        files[chunk] = wave_path
        meta_files[chunk] = meta_path
        fmt = read_data_format(wave_path)
        if data_format and fmt and fmt != data_format:
            raise DataError("chunks disagree in their data_format group", path=wave_path)
        data_format = data_format or fmt
    metadata = pd.concat(frames, ignore_index=True)
    stored_order, dimension_order, rate = _data_format_values(data_format, files[names[0]])
    if rate is not None:
        if schema.SAMPLING_RATE not in metadata.columns:
            metadata[schema.SAMPLING_RATE] = rate
        else:
            metadata[schema.SAMPLING_RATE] = pd.to_numeric(
                metadata[schema.SAMPLING_RATE], errors="coerce"
            ).fillna(rate)
    metadata[schema.COMPONENT_ORDER] = component_order
    recorded = "".join(c for c in component_order if c in stored_order)
    if recorded != component_order and schema.AVAILABLE_COMPONENTS not in metadata.columns:
        metadata[schema.AVAILABLE_COMPONENTS] = recorded
    if schema.SOURCE_ID not in metadata.columns:
        from seislearn.data.splits import derive_event_ids

        # Splits go by event: give source-less datasets (e.g. the SeisBench dummy) an id
        # from source coordinates + start times, marked as derived.
        derived = derive_event_ids(metadata)
        if derived is not None:
            metadata[schema.SOURCE_ID] = derived
            metadata["source_id_derived"] = True
    loader = SeisBenchLoader(
        files, stored_order, dimension_order, component_order, metadata_files=meta_files
    )
    return WaveformDataset(metadata, loader, name=str(root), component_order=component_order)


def write_seisbench(
    dataset: WaveformDataset,
    path: str | os.PathLike,
    overwrite: bool = False,
    bucket_size: int = 1024,
    on_error: str = "raise",
    progress: bool = False,
) -> list[str]:
    """Write a dataset in SeisBench format (trace blocks of equal-length traces).

    Traces are grouped into buckets of equal shape and sampling rate, so the
    file holds few large datasets (fast to read) instead of one per trace.

    Parameters
    ----------
    dataset : WaveformDataset
        What to write.
    path : path-like
        Output folder; must not hold a dataset unless ``overwrite``.
    overwrite : bool
        Replace an existing dataset.
    bucket_size : int
        Traces per HDF5 dataset.
    on_error : {"raise", "skip"}
        What to do with a trace that cannot be read.
    progress : bool
        Show the progress of the conversion (:class:`seislearn.progress.Bar`: a bar
        with rate and time left on a terminal, one line otherwise).

    Returns
    -------
    list of str
        Messages about skipped traces (empty when all were written).
    """
    from seislearn.runs import atomic_path

    root = Path(path)
    meta_path, wave_path = root / "metadata.csv", root / "waveforms.hdf5"
    if (meta_path.exists() or wave_path.exists()) and not overwrite:
        raise DataError("a dataset exists here; pass overwrite=True (--overwrite)", path=root)
    root.mkdir(parents=True, exist_ok=True)
    skipped: list[str] = []
    rows: list[dict] = []
    buckets: dict[tuple, list[tuple[int, np.ndarray]]] = {}
    bucket_names: dict[tuple, int] = {}
    flushes: collections.Counter[int] = collections.Counter()  # blocks written per bucket
    bar = Bar(f"writing {root.name}", total=len(dataset), unit="trace", enabled=progress)
    with atomic_path(wave_path) as tmp_wave, h5py.File(tmp_wave, "w") as f, bar:
        fmt = f.create_group("data_format")
        fmt.create_dataset("component_order", data=dataset.component_order)
        fmt.create_dataset("dimension_order", data="CW")
        group = f.create_group("data")

        def flush(key: tuple) -> None:
            items = buckets.pop(key)
            number = bucket_names.setdefault(key, len(bucket_names))
            name = f"bucket{number}_{flushes[number]}"
            flushes[number] += 1
            block = np.stack([a for _, a in items])
            group.create_dataset(name, data=block, chunks=(1, *block.shape[1:]))
            for row_number, (pos, _) in enumerate(items):
                rows[pos]["trace_name"] = f"{name}${row_number},:{block.shape[1]},:{block.shape[2]}"

        metadata = dataset.metadata
        for i in range(len(dataset)):
            bar.update()
            row = metadata.iloc[i].to_dict()
            try:
                wave = dataset.get_waveform(i)
            except DataError as exc:
                if on_error != "skip":
                    raise
                skipped.append(str(exc))
                continue
            row["trace_name_original"] = row.get("trace_name_original", row[schema.TRACE_NAME])
            row.pop("trace_chunk", None)
            rows.append(row)
            key = (wave.shape, row.get(schema.SAMPLING_RATE))
            buckets.setdefault(key, []).append((len(rows) - 1, wave))
            if len(buckets[key]) >= bucket_size:
                flush(key)
        for key in list(buckets):
            flush(key)
    out = pd.DataFrame(rows)
    with atomic_path(meta_path) as tmp_meta:
        out.to_csv(tmp_meta, index=False)
    return skipped
