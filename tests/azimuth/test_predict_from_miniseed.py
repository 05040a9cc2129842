"""``azimuth predict`` on MiniSEED files plus a pick CSV, end to end through the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seislearn.cli.main import main
from seislearn.data import schema
from seislearn.evaluation.circular import angle_error_deg

TINY = ["training.vae_epochs=1", "training.head_epochs=1", "training.batch_size=32"]
COLUMNS = [
    "trace_name", "back_azimuth_deg", "incidence_deg", "uncertainty", "kappa",
    "baseline_back_azimuth_deg", "baseline_incidence_deg", "rectilinearity",
]  # fmt: skip


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, synthetic_archive):
    """An azimuth run trained for one epoch per stage on 120 synthetic events."""
    root = tmp_path_factory.mktemp("azimuth_mseed")
    train = synthetic_archive(120, seed=3)
    args = ["azimuth", "train", "--data", str(train), "--out", str(root / "run")]
    for item in TINY:
        args += ["--set", item]
    assert main(args) == 0
    return root / "run"


@pytest.fixture(scope="module")
def events():
    """Twelve new synthetic events (their metadata holds the true back-azimuths)."""
    from seislearn.data.synthetic import make_events

    return make_events(12, seed=11)


def _start(dataset, i: int):
    from obspy import UTCDateTime

    # ObsPy keeps microseconds; the synthetic start times carry nanoseconds.
    return UTCDateTime(pd.Timestamp(dataset.metadata[schema.START_TIME].iloc[i]).isoformat()[:26])


def write_miniseed_and_picks(dataset, folder) -> pd.DataFrame:
    """One MiniSEED file per event (HHZ/HHN/HHE) and ``picks.csv``; returns the truth."""
    from obspy import Stream, Trace

    folder.mkdir()
    meta = dataset.metadata
    picks, truth = [], []
    for i in range(len(meta)):
        row = meta.iloc[i]
        start, rate = _start(dataset, i), float(row[schema.SAMPLING_RATE])
        net, sta = row[schema.STATION_NETWORK], row[schema.STATION_CODE]
        wave = dataset.get_waveform(i)
        stream = Stream(
            Trace(
                wave[k].astype(np.float32),
                header={
                    "network": net,
                    "station": sta,
                    "channel": f"HH{component}",
                    "starttime": start,
                    "sampling_rate": rate,
                },
            )
            for k, component in enumerate("ZNE")
        )
        stream.write(str(folder / f"event_{i:02d}.mseed"), format="MSEED")
        for phase, column in (("P", schema.P_ARRIVAL), ("S", schema.S_ARRIVAL)):
            when = start + float(row[column]) / rate
            picks.append({"trace_id": f"{net}.{sta}..HHZ", "phase": phase, "time": str(when)})
        truth.append(
            {
                "trace_name": f"{net}.{sta}..HH_{start.strftime('%Y%m%dT%H%M%S.%f')}",
                "true_back_azimuth_deg": row[schema.BACK_AZIMUTH],
                "snr_db": row[schema.SNR_DB],
            }
        )
    pd.DataFrame(picks).to_csv(folder / "picks.csv", index=False)
    return pd.DataFrame(truth)


def test_predict_reads_miniseed_with_a_pick_csv(tiny_run, events, tmp_path):
    folder = tmp_path / "mseed"
    truth = write_miniseed_and_picks(events, folder)
    out = tmp_path / "pred"
    argv = ["azimuth", "predict", "--model", str(tiny_run), "--data", str(folder)]
    assert main([*argv, "--picks", str(folder / "picks.csv"), "--out", str(out)]) == 0

    table = pd.read_csv(out / "predictions.csv")
    assert list(table.columns[: len(COLUMNS)]) == COLUMNS
    assert len(table) == len(events)  # one row per 3-component record
    # New data has no split: none is invented for it.
    assert schema.SPLIT not in table.columns
    for column in ("back_azimuth_deg", "baseline_back_azimuth_deg", "uncertainty", "kappa"):
        assert np.isfinite(table[column]).all(), column
    assert table["back_azimuth_deg"].between(0, 360).all()
    assert table["baseline_back_azimuth_deg"].between(0, 360).all()

    # Without station coordinates (no inventory) the files carry no truth of their own.
    assert (table["truth_source"] == "none").all()
    merged = truth.merge(
        table.drop(columns=["true_back_azimuth_deg"]), on="trace_name", validate="one_to_one"
    )
    assert len(merged) == len(events)
    loud = merged[merged["snr_db"] >= 10]
    assert len(loud) >= 3
    error = np.abs(
        angle_error_deg(loud["baseline_back_azimuth_deg"], loud["true_back_azimuth_deg"])
    )
    assert error.max() < 10, error  # a swapped or flipped horizontal would be far off


def test_predict_from_miniseed_matches_the_same_events_in_seisbench_format(
    tiny_run, events, tmp_path
):
    from seislearn.io.seisbench import write_seisbench

    folder = tmp_path / "mseed"
    truth = write_miniseed_and_picks(events, folder)
    write_seisbench(events, tmp_path / "sb")
    argv = ["azimuth", "predict", "--model", str(tiny_run), "--out"]
    picks = ["--picks", str(folder / "picks.csv")]
    assert main([*argv, str(tmp_path / "p1"), "--data", str(folder), *picks]) == 0
    assert main([*argv, str(tmp_path / "p2"), "--data", str(tmp_path / "sb")]) == 0
    from_mseed = pd.read_csv(tmp_path / "p1" / "predictions.csv")
    from_seisbench = pd.read_csv(tmp_path / "p2" / "predictions.csv")
    # Same waveforms, same picks: the two readers give the same windows, hence the same angles.
    order = truth["trace_name"].map({n: k for k, n in enumerate(from_mseed["trace_name"])})
    from_mseed = from_mseed.iloc[order.to_numpy()].reset_index(drop=True)
    for column in ("back_azimuth_deg", "baseline_back_azimuth_deg"):
        diff = angle_error_deg(from_mseed[column], from_seisbench[column])
        assert np.abs(diff).max() < 0.5, column


def test_picks_are_refused_for_a_format_that_cannot_use_them(tiny_run, events, tmp_path, capsys):
    from seislearn.io.seisbench import write_seisbench

    write_seisbench(events, tmp_path / "sb")
    (tmp_path / "picks.csv").write_text("trace_id,phase,time\n")
    argv = ["azimuth", "predict", "--model", str(tiny_run), "--data", str(tmp_path / "sb")]
    assert main([*argv, "--picks", str(tmp_path / "picks.csv"), "--out", str(tmp_path / "p")]) == 1
    assert "--format obspy" in capsys.readouterr().err


def test_miniseed_without_picks_asks_for_them(tiny_run, events, tmp_path, capsys):
    folder = tmp_path / "mseed"
    write_miniseed_and_picks(events, folder)
    argv = ["azimuth", "predict", "--model", str(tiny_run), "--data", str(folder)]
    assert main([*argv, "--out", str(tmp_path / "p")]) == 1
    err = capsys.readouterr().err
    assert "no P picks" in err and "--picks" in err


def test_an_unreadable_miniseed_file_stops_or_is_skipped_and_listed(
    tiny_run, events, tmp_path, capsys
):
    import json

    folder = tmp_path / "mseed"
    write_miniseed_and_picks(events, folder)
    (folder / "broken.mseed").write_bytes(b"not a miniseed record" * 40)
    argv = ["azimuth", "predict", "--model", str(tiny_run), "--data", str(folder)]
    argv += ["--picks", str(folder / "picks.csv")]
    assert main([*argv, "--out", str(tmp_path / "p1")]) == 1
    assert "broken.mseed" in capsys.readouterr().err
    assert main([*argv, "--out", str(tmp_path / "p2"), "--on-error", "skip"]) == 0
    assert len(pd.read_csv(tmp_path / "p2" / "predictions.csv")) == len(events)
    skipped = json.loads((tmp_path / "p2" / "manifest.json").read_text())["skipped"]
    assert any("broken.mseed" in message for message in skipped)
