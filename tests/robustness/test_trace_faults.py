"""Dead, constant, missing or miscounted channels and picks outside the trace never reach a model.

The rules (:mod:`seislearn.data.faults`) are pure functions, tested on generated
waveforms; every workflow applies them where it cuts windows, so each one
refuses a faulty trace with an error naming it, or with ``--on-error skip``
leaves it out and lists it, in memory and streamed alike.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seislearn.data.dataset import ArrayLoader, WaveformDataset
from seislearn.data.faults import dead_channel_faults, pick_faults, trace_faults
from seislearn.data.windows import extract_windows
from seislearn.errors import DataError

FAST = settings(max_examples=40, deadline=None, derandomize=True, database=None)

channel_state = st.sampled_from(["signal", "zero", "constant"])


@FAST
@given(
    states=st.lists(channel_state, min_size=3, max_size=3),
    used=st.sampled_from(["ZNE", "Z", "NE", "ZN"]),
    n=st.integers(1, 300),
    seed=st.integers(0, 2**16),
)
def test_dead_channel_rule_names_exactly_the_dead_components_in_use(states, used, n, seed):
    rng = np.random.default_rng(seed)
    wave = rng.standard_normal((3, n)).astype(np.float32) + 1e-3
    for k, state in enumerate(states):
        if state == "zero":
            wave[k] = 0
        elif state == "constant":
            wave[k] = 7.5
    if n == 1:  # one sample is constant by definition
        states = ["zero" if s == "zero" else "constant" for s in states]
    faults = {f.check: f.detail for f in dead_channel_faults(wave, "ZNE", used=used)}
    expect_zero = [c for c, s in zip("ZNE", states, strict=True) if s == "zero" and c in used]
    expect_flat = [c for c, s in zip("ZNE", states, strict=True) if s == "constant" and c in used]
    assert ("zero_channel" in faults) == bool(expect_zero)
    assert ("flat_channel" in faults) == bool(expect_flat)
    for comp in expect_zero:
        assert comp in faults["zero_channel"]


@FAST
@given(pick=st.floats(-1e6, 1e6, allow_nan=False), n=st.integers(1, 10_000))
def test_pick_rule_flags_exactly_the_picks_outside_the_trace(pick, n):
    assert bool(pick_faults(pick, n)) == (pick < 0 or pick >= n)


@FAST
@given(channels=st.integers(0, 6), n=st.integers(1, 50))
def test_channel_count_rule_flags_every_other_count(channels, n):
    wave = np.ones((channels, n), dtype=np.float32)
    faults = trace_faults(wave, "ZNE")
    assert (faults[:1] and faults[0].check == "channel_count") or channels == 3


def test_unrecorded_components_are_missing_not_signal():
    wave = np.vstack([np.arange(10.0), np.zeros(10), np.zeros(10)])
    assert dead_channel_faults(wave, "ZNE", used="Z", recorded="Z") == []
    (fault,) = dead_channel_faults(wave, "ZNE", used="ZNE", recorded="Z")
    assert fault.check == "missing_component" and "N, E" in fault.detail


# -- the workflows ---------------------------------------------------------------------
DEAD_HORIZONTALS, ALL_ZERO, EARLY_PICK = 3, 5, 7


@pytest.fixture(scope="module")
def faulty(tmp_path_factory) -> Path:
    """40 synthetic events with dead horizontals (3), an all-zero trace (5), a pick at -5 (7)."""
    from seislearn.data.synthetic import make_events
    from seislearn.io.seisbench import write_seisbench

    ds = make_events(40, seed=5)
    names = ds.metadata["trace_name"].astype(str).tolist()
    waves = {n: ds.get_waveform(i).copy() for i, n in enumerate(names)}
    waves[names[DEAD_HORIZONTALS]][1:] = 0
    waves[names[ALL_ZERO]][:] = 0
    meta = ds.metadata.copy()
    meta.loc[EARLY_PICK, "trace_p_arrival_sample"] = -5
    path = tmp_path_factory.mktemp("faulty") / "ds"
    write_seisbench(WaveformDataset(meta, ArrayLoader(waves), "faulty"), path)
    return path


@pytest.fixture(params=["memory", "stream"])
def mode(request, tmp_path, monkeypatch):
    """Each workflow test runs in memory and streamed through the feature cache: the
    same faults are refused with the same names (``--streaming``)."""
    from seislearn.data.memory import streaming_option

    monkeypatch.setenv("SEISLEARN_CACHE_DIR", str(tmp_path / "cache"))
    with streaming_option(request.param):
        yield request.param


def _names(path: Path, rows: list[int]) -> list[str]:
    import pandas as pd

    meta = pd.read_csv(path / "metadata.csv")
    column = "trace_name_original" if "trace_name_original" in meta else "trace_name"
    return [str(meta[column].iloc[r]) for r in rows]


def _skipped_rows(path: Path, skipped: list[str], rows: list[int]) -> None:
    for name in _names(path, rows):
        assert any(name in message for message in skipped), f"{name} not listed: {skipped}"


def test_azimuth_refuses_dead_horizontals_and_skips_every_faulty_trace(faulty: Path, mode: str):
    from seislearn.azimuth.api import load_data
    from seislearn.azimuth.config import AzimuthConfig

    (dead,) = _names(faulty, [DEAD_HORIZONTALS])
    with pytest.raises(DataError, match=rf"{dead}.*N, E: all .* zero"):
        load_data(faulty, AzimuthConfig(), on_error="raise", require_labels=False)
    data = load_data(faulty, AzimuthConfig(), on_error="skip", require_labels=False)
    _skipped_rows(faulty, data.skipped, [DEAD_HORIZONTALS, ALL_ZERO, EARLY_PICK])
    assert len(data.windows) == 40 - 3
    assert type(data.windows).__name__ == ("ndarray" if mode == "memory" else "StoredWindows")


def test_classify_skips_every_faulty_trace(faulty: Path, mode: str):
    from seislearn.classify.config import ClassifyConfig
    from seislearn.classify.data import load_inputs

    cfg = ClassifyConfig(target="source_type")
    with pytest.raises(DataError, match="zero"):
        load_inputs(faulty, cfg, on_error="raise")
    prep, _ = load_inputs(faulty, cfg, on_error="skip")
    _skipped_rows(faulty, prep.skipped, [DEAD_HORIZONTALS, ALL_ZERO, EARLY_PICK])
    assert prep.streaming["mode"] == mode


@pytest.mark.parametrize(("components", "faulty_rows"), [("ZNE", [3, 5]), ("Z", [5])])
def test_cluster_skips_the_traces_dead_in_the_components_it_uses(
    faulty: Path, components: str, faulty_rows: list[int], mode: str
):
    from seislearn.cluster.api import load_spectrograms
    from seislearn.cluster.features import FeatureConfig
    from seislearn.data.memory import DataConfig
    from seislearn.io import read_dataset

    dataset = read_dataset(faulty)
    cfg, data = FeatureConfig(components=components), DataConfig(chunk_traces=7)
    with pytest.raises(DataError, match="zero"):
        load_spectrograms(dataset, cfg, data, faulty, on_error="raise")
    features, choice = load_spectrograms(dataset, cfg, data, faulty, on_error="skip")
    assert choice["mode"] == mode
    _skipped_rows(faulty, features.skipped, faulty_rows)
    assert len(features.spectrograms) == 40 - len(faulty_rows)


def test_a_two_channel_trace_in_a_zne_dataset_is_refused_by_name():
    rng = np.random.default_rng(0)
    waves = {f"t{i}": rng.standard_normal((3, 400)).astype(np.float32) for i in range(3)}
    waves["t1"] = waves["t1"][:2]
    import pandas as pd

    meta = pd.DataFrame(
        {"trace_name": list(waves), "trace_sampling_rate_hz": 20.0, "trace_p_arrival_sample": 200}
    )
    ds = WaveformDataset(meta, ArrayLoader(waves), "two.h5")
    with pytest.raises(DataError, match=r"two\.h5.*t1.*2.*declares 3"):
        extract_windows(ds, "P", 1.0, 4.0)
    _, rows, skipped = extract_windows(ds, "P", 1.0, 4.0, on_error="skip")
    assert rows["trace_name"].tolist() == ["t0", "t2"] and "t1" in skipped[0]
