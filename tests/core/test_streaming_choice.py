"""``data.streaming``: auto switches at the memory threshold; the option and the key win."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seislearn.data import memory
from seislearn.data.memory import DataConfig, choose_streaming_mode, streaming_option, window_bytes


def _available(monkeypatch, value: int) -> None:
    monkeypatch.setattr(memory, "available_memory_bytes", lambda: value)


def test_window_bytes_counts_float32_windows_and_features():
    assert window_bytes(10, 3, 250) == 10 * 3 * 250 * 4
    assert window_bytes(10, 3, 250, feature_bytes_per_trace=100) == 10 * (3000 + 100)


@pytest.mark.parametrize("fraction", [0.25, 0.5])
def test_auto_streams_exactly_when_the_windows_exceed_the_fraction_of_available_memory(
    monkeypatch, fraction
):
    config = DataConfig(memory_fraction=fraction)
    per_trace = 3 * 250 * 4
    available = 4_000 * per_trace
    _available(monkeypatch, available)
    at_limit = int(fraction * available) // per_trace
    below = choose_streaming_mode(config, at_limit, 3, 250)
    above = choose_streaming_mode(config, at_limit + 1, 3, 250)
    assert not below.stream and above.stream
    assert "more than" in above.reason and "less than" in below.reason
    assert above.available_bytes == available


def test_auto_counts_the_feature_bytes_too(monkeypatch):
    _available(monkeypatch, 1_000_000)
    assert not choose_streaming_mode(None, 80, 3, 250).stream  # 240 kB of a 250 kB budget
    assert choose_streaming_mode(None, 80, 3, 250, feature_bytes_per_trace=1000).stream


def test_the_config_key_and_the_command_line_option_override_auto(monkeypatch):
    _available(monkeypatch, 10**15)
    assert choose_streaming_mode(DataConfig(streaming="stream"), 10, 3, 250).stream
    with streaming_option("stream"):
        assert choose_streaming_mode(DataConfig(streaming="memory"), 10, 3, 250).stream
    with streaming_option("memory"):
        _available(monkeypatch, 1)
        assert not choose_streaming_mode(DataConfig(streaming="auto"), 10**6, 3, 250).stream
    assert choose_streaming_mode(DataConfig(), 10**6, 3, 250).stream  # the option is gone


def test_the_choice_and_its_reason_are_logged(monkeypatch, caplog):
    _available(monkeypatch, 2**30)
    with caplog.at_level("INFO", logger="seislearn.data.memory"):
        choose_streaming_mode(None, 10**6, 3, 250, workflow="azimuth")
    assert "azimuth: streamed: auto: 1,000,000 windows of 3x250" in caplog.text


def test_available_memory_is_positive_and_at_most_the_physical_memory():
    import os

    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert 0 < memory.available_memory_bytes() <= total


def test_an_unknown_streaming_option_is_a_config_error():
    from seislearn.errors import ConfigError

    with pytest.raises(ConfigError, match="auto, memory or stream"), streaming_option("disk"):
        pass


def _cgroup_tree(root, version: str, levels: list[tuple[int | None, int, int]]) -> str:
    """Folders ``a/b/...`` of a fake cgroup mount under ``root``, outermost first, each with
    ``(limit or None, usage, inactive page cache)``; returns the matching /proc/self/cgroup."""
    mount = root / "memory" if version == "v1" else root
    names = ["job", "step", "task"][: len(levels)]
    folder = mount
    files = {
        "v1": ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"),
        "v2": ("memory.max", "memory.current", "inactive_file"),
    }[version]
    for name, (limit, usage, inactive) in zip(names, levels, strict=True):
        folder = folder / name
        folder.mkdir(parents=True)
        no_limit = "9223372036854771712" if version == "v1" else "max"
        (folder / files[0]).write_text(f"{no_limit if limit is None else limit}\n")
        (folder / files[1]).write_text(f"{usage}\n")
        (folder / "memory.stat").write_text(f"cache 1\n{files[2]} {inactive}\nrss 2\n")
    # the mount's root never has a limit (that is what a nested cgroup looks like from inside)
    mount.mkdir(parents=True, exist_ok=True)
    if version == "v1":
        (mount / files[0]).write_text("9223372036854771712\n")
        (mount / files[1]).write_text("123456789\n")
        return f"9:pids:/\n4:memory:/{'/'.join(names)}\n0::/\n"
    return f"0::/{'/'.join(names)}\n"


level = st.tuples(
    st.one_of(st.none(), st.integers(2**20, 2**36)),
    st.integers(0, 2**36),
    st.integers(0, 2**36),
)


@settings(max_examples=40, deadline=None)
@given(version=st.sampled_from(["v1", "v2"]), levels=st.lists(level, min_size=1, max_size=3))
def test_the_cgroup_limit_is_read_from_the_process_own_cgroup_and_its_parents(version, levels):
    """A limit set on the process's own (nested) cgroup binds, though the mount's root has none;
    the tightest level wins; the inactive page cache counts as free."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        proc = _cgroup_tree(Path(tmp), version, levels)
        got = memory._cgroup_free_bytes(proc, Path(tmp))
    left = [max(0, lim - max(0, use - idle)) for lim, use, idle in levels if lim is not None]
    assert got == (min(left) if left else None)


def test_a_limit_only_on_the_process_own_cgroup_is_seen(tmp_path):
    """The case of a job scheduler or ``systemd-run -p MemoryMax``: before, only the mount's
    root was read, and the 3 GiB cap went unseen (auto chose in memory for 20 GiB free)."""
    proc = _cgroup_tree(tmp_path, "v1", [(None, 0, 0), (3 * 2**30, 2**30, 2**28)])
    assert memory._cgroup_free_bytes(proc, tmp_path) == 3 * 2**30 - (2**30 - 2**28)
