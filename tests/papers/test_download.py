"""Downloading into the cache: checksums verified, offline failures say where to put the file."""

from __future__ import annotations

import hashlib
import io
import json
import urllib.error
import zipfile
from pathlib import Path

import pytest

from seislearn.errors import DataError, OfflineError
from seislearn.papers import download as dl


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SEISLEARN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "papers"


def offline(url: str, timeout: float):
    raise urllib.error.URLError("no network")


class Recorder:
    """An opener that serves fixed bytes per URL and remembers the calls."""

    def __init__(self, pages: dict[str, bytes]) -> None:
        self.pages = pages
        self.calls: list[str] = []

    def __call__(self, url: str, timeout: float):
        self.calls.append(url)
        return io.BytesIO(self.pages[url])


def test_cache_folder_follows_seislearn_cache(cache: Path):
    assert dl.cache_dir() == cache


def test_download_from_a_file_url_verifies_and_caches(deep_csv: Path, cache: Path):
    path = dl.download("deep", url=deep_csv.as_uri())
    assert path == cache / "paper_inventory_deep.csv"
    assert dl.file_digest(path) == dl.DATASETS["deep"].sha256


def test_a_verified_cached_copy_is_reused_without_network(deep_csv: Path):
    dl.download("deep", url=deep_csv.as_uri())
    assert dl.download("deep", opener=offline).is_file()


def test_checksum_mismatch_is_an_error_and_nothing_is_cached(cache: Path):
    opener = Recorder({dl.DATASETS["deep"].github_url: b"author,year\nX,2020\n"})
    with pytest.raises(DataError, match="checksum mismatch"):
        dl.download("deep", opener=opener)
    assert not (cache / "paper_inventory_deep.csv").exists()
    assert not list(cache.glob("*.part"))


def test_offline_error_says_where_to_put_the_file(cache: Path):
    with pytest.raises(OfflineError) as info:
        dl.download("deep", opener=offline)
    message = str(info.value)
    assert str(cache / "paper_inventory_deep.csv") in message
    assert "--csv" in message and dl.DATASETS["deep"].sha256 in message


def test_resolve_csv_prefers_an_explicit_path(deep_csv: Path):
    assert dl.resolve_csv(deep_csv) == deep_csv


def test_resolve_csv_without_cache_or_network_raises_offline_error():
    with pytest.raises(OfflineError, match="papers download"):
        dl.resolve_csv(None, fetch=False)


def test_zenodo_release_zip_is_checked_with_its_md5_and_unpacked(cache: Path):
    csv_bytes = b"author,year\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("smousavi05-dl_seismology-abc/docs/paper_inventory_deep.csv", csv_bytes)
    blob = buffer.getvalue()
    record = {
        "files": [
            {
                "key": "dl_seismology-v1.0.zip",
                "checksum": "md5:" + hashlib.md5(blob).hexdigest(),
                "links": {"self": "https://zenodo.example/file.zip"},
            }
        ]
    }
    opener = Recorder(
        {dl.ZENODO_RECORD: json.dumps(record).encode(), "https://zenodo.example/file.zip": blob}
    )
    path = dl.download("deep", "zenodo", opener=opener)
    assert path.read_bytes() == csv_bytes
    assert path.parent == cache / "zenodo"


def test_unknown_dataset_name_is_a_clear_error():
    with pytest.raises(DataError, match="unknown dataset"):
        dl.download("papers2030")
