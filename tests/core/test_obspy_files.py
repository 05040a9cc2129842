from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from obspy import Stream, Trace, UTCDateTime
from obspy.core.event import Catalog, Event, Origin, Pick, WaveformStreamID
from obspy.core.inventory import Channel, Inventory, Network, Station
from obspy.io.sac import SACTrace

from seislearn.errors import DataError
from seislearn.io import detect_format, read_dataset
from seislearn.io.obspy_files import dataset_from_stream, read_obspy_files

T0 = UTCDateTime("2021-03-04T05:06:07")


def _trace(sta: str, cha: str, data: np.ndarray, rate: float = 100.0, start=T0, net="XX") -> Trace:
    tr = Trace(np.asarray(data, dtype=np.float64))
    tr.stats.update(
        {"network": net, "station": sta, "channel": cha, "sampling_rate": rate, "starttime": start}
    )
    return tr


def _signal(seed: int, n: int = 3000) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n)


def _three(sta: str, rate: float = 100.0, start=T0, n: int = 3000, seed: int = 0) -> list[Trace]:
    return [
        _trace(sta, f"HH{c}", _signal(seed + k, n) * (k + 1), rate, start)
        for k, c in enumerate("ZNE")
    ]


def test_three_channels_of_a_station_become_one_zne_record():
    traces = _three("AAA")
    ds = dataset_from_stream(Stream(traces[::-1]))
    assert len(ds) == 1
    wave = ds.get_waveform(0)
    assert wave.shape == (3, 3000) and wave.dtype == np.float32
    np.testing.assert_allclose(wave[2], traces[2].data.astype(np.float32))
    row = ds.metadata.iloc[0]
    assert row.station_code == "AAA" and row.trace_available_components == "ZNE"
    assert row.trace_sampling_rate_hz == 100.0


def test_two_events_at_one_station_are_two_records():
    later = T0 + 3600
    ds = dataset_from_stream(Stream(_three("AAA") + _three("AAA", start=later, seed=5)))
    assert len(ds) == 2
    assert sorted(ds.metadata.trace_start_time) == sorted([str(T0), str(later)])


def test_vertical_only_station_is_flagged_not_silently_zero_filled():
    ds = dataset_from_stream(Stream([_trace("BBB", "HHZ", _signal(1))]))
    wave = ds.get_waveform(0)
    assert ds.metadata.trace_available_components.iloc[0] == "Z"
    assert not wave[1:].any() and wave[0].any()


def test_common_start_and_end_are_trimmed():
    z, n, e = _three("AAA")
    n.trim(T0 + 1, T0 + 25)
    wave = dataset_from_stream(Stream([z, n, e])).get_waveform(0)
    assert wave.shape == (3, 2401)
    np.testing.assert_allclose(wave[0], z.data[100:2501].astype(np.float32))


def test_channels_at_different_rates_are_resampled_to_the_lowest():
    _, n, e = _three("AAA")
    z50 = _trace("AAA", "HHZ", np.sin(np.arange(1500) / 10.0), 50.0)
    ds = dataset_from_stream(Stream([z50, n, e]))
    assert ds.metadata.trace_sampling_rate_hz.iloc[0] == 50.0
    assert ds.get_waveform(0).shape == (3, 1500)


def test_one_two_channels_without_inventory_are_taken_as_ne_with_a_warning():
    z, n, e = _three("CCC")
    n.stats.channel, e.stats.channel = "HH1", "HH2"
    with pytest.warns(UserWarning, match="1/2 taken as N/E"):
        ds = dataset_from_stream(Stream([z, n, e]))
    assert bool(ds.metadata.trace_orientation_assumed.iloc[0])
    np.testing.assert_allclose(ds.get_waveform(0)[1], n.data.astype(np.float32))


def _inventory(azimuth1: float) -> Inventory:
    def channel(code: str, azimuth: float, dip: float) -> Channel:
        return Channel(
            code, "", 35.0, -117.0, 700.0, 0.0, azimuth=azimuth, dip=dip, sample_rate=100
        )

    station = Station(
        "CCC",
        35.0,
        -117.0,
        700.0,
        channels=[
            channel("HHZ", 0, -90),
            channel("HH1", azimuth1, 0),
            channel("HH2", azimuth1 + 90, 0),
        ],
    )
    return Inventory(networks=[Network("XX", stations=[station])], source="test")


def test_one_two_channels_are_rotated_with_the_inventory_orientation(tmp_path):
    north, east = _signal(11), _signal(12)
    a = np.radians(30.0)
    ch1 = north * np.cos(a) + east * np.sin(a)
    ch2 = -north * np.sin(a) + east * np.cos(a)  # azimuth 120
    stream = Stream(
        [_trace("CCC", "HHZ", _signal(10)), _trace("CCC", "HH1", ch1), _trace("CCC", "HH2", ch2)]
    )
    _inventory(30.0).write(str(tmp_path / "sta.xml"), format="STATIONXML")
    ds = dataset_from_stream(stream, inventory=tmp_path / "sta.xml")
    wave = ds.get_waveform(0)
    np.testing.assert_allclose(wave[1], north, atol=1e-4)
    np.testing.assert_allclose(wave[2], east, atol=1e-4)
    assert ds.metadata.station_latitude_deg.iloc[0] == 35.0


def test_sac_headers_become_picks_origin_and_coordinates(tmp_path):
    for k, c in enumerate("ZNE"):
        sac = SACTrace.from_obspy_trace(_trace("SAC", f"BH{c}", _signal(k)))
        sac.b, sac.o, sac.a, sac.t0 = 0.0, 2.0, 7.5, 12.25
        sac.evla, sac.evlo, sac.evdp, sac.mag = 35.5, -116.5, 8.0, 2.5
        sac.stla, sac.stlo = 35.0, -117.0
        sac.write(str(tmp_path / f"SAC.BH{c}.sac"))
    ds = read_dataset(tmp_path)
    row = ds.metadata.iloc[0]
    assert row.trace_p_arrival_sample == pytest.approx(750.0)
    assert row.trace_s_arrival_sample == pytest.approx(1225.0)
    assert UTCDateTime(row.source_origin_time) == T0 + 2.0
    assert row.source_latitude_deg == pytest.approx(35.5)
    assert 0 <= row.path_back_azimuth_deg < 90  # source to the north-east of the station


def test_picks_from_csv_are_attached_to_the_right_station(tmp_path):
    stream = Stream(_three("AAA") + _three("DDD", seed=3))
    pd.DataFrame(
        {
            "trace_id": ["XX.AAA..HHZ", "XX.DDD..HHZ", "XX.DDD..HHZ"],
            "phase": ["P", "P", "S"],
            "time": [str(T0 + 5), str(T0 + 6), str(T0 + 9.5)],
        }
    ).to_csv(tmp_path / "picks.csv", index=False)
    meta = dataset_from_stream(stream, picks=tmp_path / "picks.csv").metadata.set_index(
        "station_code"
    )
    assert meta.loc["AAA", "trace_p_arrival_sample"] == pytest.approx(500)
    assert np.isnan(meta.loc["AAA", "trace_s_arrival_sample"])
    assert meta.loc["DDD", "trace_s_arrival_sample"] == pytest.approx(950)


def test_quakeml_picks_bring_the_event_along(tmp_path):
    event = Event(
        origins=[Origin(time=T0 + 1, latitude=35.5, longitude=-116.5, depth=8000.0)],
        picks=[
            Pick(
                time=T0 + 4,
                phase_hint="P",
                waveform_id=WaveformStreamID("XX", "AAA", "", "HHZ"),
            )
        ],
    )
    Catalog([event]).write(str(tmp_path / "ev.xml"), format="QUAKEML")
    ds = dataset_from_stream(Stream(_three("AAA")), picks=tmp_path / "ev.xml")
    row = ds.metadata.iloc[0]
    assert row.trace_p_arrival_sample == pytest.approx(400)
    assert row.source_depth_km == pytest.approx(8.0)
    assert row.source_id == str(event.resource_id)


def test_miniseed_folder_is_detected_and_read(tmp_path):
    Stream(_three("AAA")).write(str(tmp_path / "a.mseed"), format="MSEED")
    assert detect_format(tmp_path) == "obspy"
    assert len(read_dataset(tmp_path)) == 1


def _write_int_mseed(path, seed=0):
    tr = _trace("AAA", "HHZ", np.random.default_rng(seed).integers(-999, 999, 20000))
    tr.data = tr.data.astype(np.int32)
    tr.write(str(path), format="MSEED", reclen=512)


@pytest.mark.parametrize("cut", [700, 300, -100])
def test_truncated_miniseed_names_the_file(tmp_path, cut):
    _write_int_mseed(tmp_path / "bad.mseed")
    data = (tmp_path / "bad.mseed").read_bytes()
    (tmp_path / "bad.mseed").write_bytes(data[:cut])
    with pytest.raises(DataError, match=r"bad\.mseed"):
        read_obspy_files(tmp_path / "bad.mseed")


def test_skip_leaves_out_a_corrupt_file_and_lists_it(tmp_path):
    Stream(_three("AAA")).write(str(tmp_path / "good.mseed"), format="MSEED")
    (tmp_path / "junk.mseed").write_bytes(b"not seismic data" * 40)
    with pytest.raises(DataError, match=r"junk\.mseed"):
        read_obspy_files(tmp_path)
    ds = read_obspy_files(tmp_path, on_error="skip")
    assert len(ds) == 1
    assert len(ds.skipped) == 1 and "junk.mseed" in ds.skipped[0]


def test_a_gap_is_an_error_not_zeros():
    z, n, e = _three("AAA")
    first, second = z.slice(T0, T0 + 10), z.slice(T0 + 15, T0 + 29.99)
    with pytest.raises(DataError, match="gap"):
        dataset_from_stream(Stream([first, second, n, e]))


def test_one_channel_at_two_rates_in_one_window_is_a_clear_error():
    z, n, e = _three("AAA")
    z2 = _trace("AAA", "HHZ", _signal(9, 500), rate=50.0, start=T0 + 10)
    with pytest.raises(DataError, match=r"XX\.AAA\.\.HH.*cannot merge"):
        dataset_from_stream(Stream([z, z2, n, e]))
