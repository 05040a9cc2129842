"""Fetch the database CSVs from their public sources into a cache, checking checksums.

Sources
-------
``github``
    The dl_seismology repository at a pinned commit (the snapshot described in the
    shared data's PROVENANCE.md), so the sha256 is known in advance.
``zenodo``
    The frozen, citable record 6386952. Its file list and md5 checksums come from the
    record's JSON; a CSV is taken as is, a GitHub-release zip is opened and the CSV
    read from ``docs/``. Zenodo's copy is the Feb 2022 version (637 papers).

The cache is ``$SEISLEARN_CACHE/papers`` or ``~/.cache/seislearn/papers``. Without a
network, :class:`~seislearn.errors.OfflineError` says where to put the file by hand.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from seislearn.errors import DataError, OfflineError

GITHUB_COMMIT = "dd70539bbfe14ac8d529dce9e7bd7151cc2aa1a3"
GITHUB_RAW = "https://raw.githubusercontent.com/smousavi05/dl_seismology/{commit}/docs/{name}"
ZENODO_RECORD = "https://zenodo.org/api/records/6386952"


@dataclass(frozen=True)
class Dataset:
    """One CSV of the database.

    Attributes
    ----------
    name : str
        Short name used on the command line (``deep``, ``allml``).
    filename : str
        File name in the repository's ``docs/`` and in the cache.
    sha256 : str
        Checksum of the file at :data:`GITHUB_COMMIT`.
    rows : int
        Number of data rows at that commit.
    """

    name: str
    filename: str
    sha256: str
    rows: int

    @property
    def github_url(self) -> str:
        """Raw URL of the file at the pinned commit."""
        return GITHUB_RAW.format(commit=GITHUB_COMMIT, name=self.filename)


DATASETS: dict[str, Dataset] = {
    "deep": Dataset(
        "deep",
        "paper_inventory_deep.csv",
        "e0bad214417d9d262fe1864f9fbfc3d1ddf2be29beb57f16bba3329f1fb1e941",
        639,
    ),
    "allml": Dataset(
        "allml",
        "paper_inventory_aggregated_allML.csv",
        "672624c0c5180923404ad7c2a967231f9b7ee42877683b8220823e1d479774f1",
        809,
    ),
}

#: ``opener(url, timeout=...)`` returning a readable binary file; ``urllib.request.urlopen``
#: by default, replaceable in tests.
Opener = Callable[..., IO[bytes]]


def cache_dir() -> Path:
    """Return the papers cache folder (not created here: no side effects on import or query)."""
    root = os.environ.get("SEISLEARN_CACHE")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "seislearn"
    return base / "papers"


def dataset(name: str) -> Dataset:
    """Look a dataset up by name, with a clear error for a wrong one."""
    try:
        return DATASETS[name]
    except KeyError:
        raise DataError(f"unknown dataset {name!r}; choose from {sorted(DATASETS)}") from None


def cached_path(name: str = "deep", source: str = "github") -> Path:
    """Where the cache keeps a dataset fetched from ``source``."""
    ds = dataset(name)
    if source == "github":
        return cache_dir() / ds.filename
    return cache_dir() / source / ds.filename


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_url(url: str, opener: Opener, timeout_s: float) -> bytes:
    try:
        with opener(url, timeout=timeout_s) as response:
            return response.read()
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OfflineError(f"cannot download {url}: {reason}") from exc


def _offline_message(exc: OfflineError, target: Path, ds: Dataset) -> str:
    return (
        f"{exc}\nThe literature database is not in the cache. Without a network, download "
        f"{ds.github_url} on another machine and copy it to {target} (sha256 {ds.sha256}), "
        f"or pass the CSV's path with --csv PATH. SEISLEARN_CACHE moves the cache."
    )


def _write_atomic(data: bytes, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".part") as tmp:
        tmp.write(data)
        tmp_path = Path(tmp.name)
    os.replace(tmp_path, target)


def _check(data: bytes, algorithm: str, expected: str, url: str) -> None:
    actual = hashlib.new(algorithm, data).hexdigest()
    if actual != expected:
        raise DataError(
            f"checksum mismatch for {url}: {algorithm} is {actual}, expected {expected}; "
            "the download was discarded (a changed or corrupted file)"
        )


def download(
    name: str = "deep",
    source: str = "github",
    *,
    url: str | None = None,
    force: bool = False,
    opener: Opener | None = None,
    timeout_s: float = 30.0,
) -> Path:
    """Download a dataset into the cache (or reuse the cached copy) and verify it.

    Parameters
    ----------
    name : str
        ``deep`` (639 deep-learning papers) or ``allml`` (809 papers, all ML).
    source : str
        ``github`` (pinned commit, sha256 checked) or ``zenodo`` (md5 from the record).
    url : str, optional
        Another URL for the ``github`` source (a mirror, or a ``file://`` URL); the
        pinned sha256 is still checked.
    force : bool
        Download even if a verified copy is cached.
    opener : callable, optional
        Replaces :func:`urllib.request.urlopen` (for tests and proxies).
    timeout_s : float, seconds
        Network timeout per request.

    Returns
    -------
    Path
        The verified file in the cache.

    Raises
    ------
    OfflineError
        The source could not be reached; the message says where to put the file.
    DataError
        The downloaded file does not match its checksum (nothing is kept).
    """
    ds = dataset(name)
    opener = opener or urllib.request.urlopen
    target = cached_path(name, source)
    if source == "github":
        if target.exists() and not force and file_digest(target) == ds.sha256:
            return target
        link = url or ds.github_url
        try:
            data = _read_url(link, opener, timeout_s)
        except OfflineError as exc:
            raise OfflineError(_offline_message(exc, target, ds)) from exc
        _check(data, "sha256", ds.sha256, link)
    elif source == "zenodo":
        if target.exists() and not force:
            return target
        try:
            data = _from_zenodo(ds, opener, timeout_s)
        except OfflineError as exc:
            raise OfflineError(_offline_message(exc, target, ds)) from exc
    else:
        raise DataError(f"unknown source {source!r}; choose 'github' or 'zenodo'")
    _write_atomic(data, target)
    return target


def _from_zenodo(ds: Dataset, opener: Opener, timeout_s: float) -> bytes:
    record: dict[str, Any] = json.loads(_read_url(ZENODO_RECORD, opener, timeout_s))
    for entry in record.get("files", []):
        key = str(entry.get("key", ""))
        algorithm, _, expected = str(entry.get("checksum", "")).partition(":")
        link = entry.get("links", {}).get("self") or f"{ZENODO_RECORD}/files/{key}/content"
        if key.endswith(ds.filename) or key.endswith(".zip"):
            data = _read_url(link, opener, timeout_s)
            if expected:
                _check(data, algorithm or "md5", expected, link)
            if key.endswith(ds.filename):
                return data
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    if member.endswith(f"docs/{ds.filename}"):
                        return archive.read(member)
    raise DataError(f"Zenodo record {ZENODO_RECORD} has no {ds.filename}")


def resolve_csv(path: str | Path | None = None, name: str = "deep", fetch: bool = True) -> Path:
    """Return the CSV to read: ``path`` if given, else the cached copy, downloading it.

    Parameters
    ----------
    path : str or Path, optional
        An explicit CSV (the user's own copy); it must exist.
    name : str
        Dataset name when no path is given.
    fetch : bool
        Download when the cache lacks the file (else raise :class:`OfflineError`).
    """
    if path is not None:
        csv_path = Path(path).expanduser()
        if not csv_path.is_file():
            raise DataError("no such file", path=csv_path)
        return csv_path
    target = cached_path(name)
    if target.is_file():
        return target
    if not fetch:
        ds = dataset(name)
        raise OfflineError(
            f"the literature database is not cached; put {ds.filename} at {target} "
            "or run 'seislearn papers download'"
        )
    return download(name)
