"""``data.streaming``: auto switches at the memory threshold; the option and the key win."""

from __future__ import annotations

import pytest

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
