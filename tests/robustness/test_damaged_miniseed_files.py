"""Damaged MiniSEED and SAC files: valid records or one clear error naming the file."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import obspy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seislearn.errors import SeislearnError
from seislearn.io.obspy_files import read_obspy_files

from .conftest import ROBUST


def _write(folder: Path, fmt: str) -> Path:
    stream = obspy.read()  # ObsPy's example: BW.RJOB..EH[ZNE], 3000 samples at 100 Hz
    if fmt == "SAC":
        for tr in stream:
            tr.write(str(folder / f"{tr.id}.sac"), format="SAC")
        return folder / f"{stream[0].id}.sac"
    for tr in stream:
        tr.data = tr.data.astype(np.int32)
    stream.write(str(folder / "event.mseed"), format="MSEED", reclen=512, encoding="STEIM2")
    return folder / "event.mseed"


def _outcome(folder: Path, damaged: Path) -> None:
    try:
        dataset = read_obspy_files(folder)
    except SeislearnError as exc:
        assert damaged.name in str(exc), f"error does not name {damaged.name}: {exc}"
        return
    for i in range(len(dataset)):
        wave = dataset.get_waveform(i)
        assert wave.dtype == np.float32 and wave.shape[0] == 3


@pytest.mark.parametrize("fmt", ["MSEED", "SAC"])
@ROBUST
@given(data=st.data())
def test_bit_flips_or_cuts_in_a_waveform_file_give_records_or_an_error_naming_it(fmt, data):
    folder = Path(tempfile.mkdtemp(prefix="seislearn-obspy-"))
    try:
        path = _write(folder, fmt)
        raw = bytearray(path.read_bytes())
        if data.draw(st.booleans()):
            raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
        else:
            for offset in data.draw(st.lists(st.integers(0, len(raw) - 1), min_size=1, max_size=8)):
                raw[offset] ^= 1 << data.draw(st.integers(0, 7))
        path.write_bytes(bytes(raw))
        _outcome(folder, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
