"""HDF5 files that point at other files are refused: ``data convert`` must not copy their bytes.

External storage (a dataset whose samples are the raw bytes of any local
file), virtual datasets and external links (also behind soft links) would
make a converted dataset hold data from outside the file a user was given.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest

from seislearn.cli.main import main
from seislearn.errors import DataError
from seislearn.io import read_dataset

from .conftest import NPTS, dataset_copy, write_seisbench_folder

SECRET = b"TOP-SECRET-" * 300  # 3,300 bytes, more than one (3, 200) float32 trace


def _external_storage(f: h5py.File, secret: Path, other: Path) -> None:
    f.create_dataset(
        "data/tr0", shape=(3, NPTS), dtype="f4", external=[(str(secret), 0, 3 * NPTS * 4)]
    )


def _virtual(f: h5py.File, secret: Path, other: Path) -> None:
    layout = h5py.VirtualLayout(shape=(3, NPTS), dtype="f4")
    layout[:] = h5py.VirtualSource(str(other), "x", shape=(3, NPTS))
    f.create_virtual_dataset("data/tr0", layout)


def _external_link(f: h5py.File, secret: Path, other: Path) -> None:
    f["data/tr0"] = h5py.ExternalLink(str(other), "/x")


def _soft_link_to_external_link(f: h5py.File, secret: Path, other: Path) -> None:
    f["elsewhere"] = h5py.ExternalLink(str(other), "/x")
    f["data/tr0"] = h5py.SoftLink("/elsewhere")


CRAFTS: dict[str, Callable[[h5py.File, Path, Path], None]] = {
    "external storage": _external_storage,
    "virtual dataset": _virtual,
    "external link": _external_link,
    "soft link to an external link": _soft_link_to_external_link,
}
MESSAGES = {
    "external storage": "external storage",
    "virtual dataset": "virtual",
    "external link": "external link",
    "soft link to an external link": "external link",
}


def _plain_traces(root: Path) -> None:
    """Rewrite the dataset in ``root`` with one HDF5 dataset per trace (tr0 ... tr3)."""
    for path in list(root.iterdir()):
        path.unlink()
    write_seisbench_folder(root, blocks=False)


def _craft(root: Path, kind: str) -> Path:
    """The SeisBench plain-trace dataset with trace tr0 replaced by the crafted object."""
    secret = root.parent / "secret.txt"
    secret.write_bytes(SECRET)
    other = root.parent / "other.hdf5"
    with h5py.File(other, "w") as g:
        g["x"] = np.frombuffer(SECRET[: 3 * NPTS * 4], dtype="f4").reshape(3, NPTS)
    with h5py.File(root / "waveforms.hdf5", "a") as f:
        del f["data/tr0"]
        CRAFTS[kind](f, secret, other)
    return secret


@pytest.mark.parametrize("kind", sorted(CRAFTS))
def test_a_trace_stored_in_another_file_is_refused_naming_file_and_trace(kind):
    with dataset_copy("seisbench") as root:
        _plain_traces(root)
        _craft(root, kind)
        ds = read_dataset(root)
        with pytest.raises(DataError, match=MESSAGES[kind]) as caught:
            ds.get_waveform(0)
        assert "waveforms.hdf5" in str(caught.value) and "'tr0'" in str(caught.value)
        assert ds.get_waveform(1).shape == (3, NPTS)  # the honest traces still read


@pytest.mark.parametrize("kind", sorted(CRAFTS))
def test_data_convert_never_copies_the_bytes_of_another_file(kind, capsys):
    with dataset_copy("seisbench") as root:
        _plain_traces(root)
        _craft(root, kind)
        out = root.parent / "converted"
        assert main(["data", "convert", str(root), str(out)]) == 1
        assert MESSAGES[kind] in capsys.readouterr().err
        assert main(["data", "convert", str(root), str(out), "--on-error", "skip"]) == 0
        assert "skipped:" in capsys.readouterr().out
        written = (out / "waveforms.hdf5").read_bytes()
        assert b"TOP-SECRET" not in written
        assert len(read_dataset(out)) == 3


def test_a_data_group_that_is_an_external_link_is_refused():
    with dataset_copy("stead") as root:
        other = root.parent / "other.hdf5"
        with h5py.File(root / "chunk1.hdf5", "a") as f:
            with h5py.File(other, "w") as g:
                f.copy(f["data"], g, "data")
            del f["data"]
            f["data"] = h5py.ExternalLink(str(other), "/data")
        ds = read_dataset(root, "stead")
        with pytest.raises(DataError, match=r"chunk1\.hdf5.*external link"):
            ds.get_waveform(0)


def test_a_data_format_group_linking_out_of_the_file_is_refused():
    with dataset_copy("seisbench") as root:
        other = root.parent / "other.hdf5"
        with h5py.File(other, "w") as g:
            g["component_order"] = "ZNE"
        with h5py.File(root / "waveforms.hdf5", "a") as f:
            del f["data_format"]
            f["data_format"] = h5py.ExternalLink(str(other), "/")
        with pytest.raises(DataError, match=r"waveforms\.hdf5.*external link"):
            read_dataset(root, "seisbench")


def test_soft_links_inside_the_file_are_followed():
    with dataset_copy("seisbench") as root:
        with h5py.File(root / "waveforms.hdf5", "a") as f:
            f.move("data/bucket0", "store")
            f["data/bucket0"] = h5py.SoftLink("/store")
        assert read_dataset(root).get_waveform(2).shape == (3, NPTS)
