"""Two CPU processes with Lightning's DDP (gloo): classify training and distributed predict.

Magnitude regression on the 120 synthetic events of the shared fixture (its
head starts at the amplitude-distance fit; the CNN then learns the rest).
Tolerance: the DDP model's test MAE is within 0.03 magnitude units of the
single-process run with the same effective batch (2 x 8 = 16), and below the
amplitude-distance fit it started from (training moved it, on both ranks alike).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

SETTINGS = ["target=source_magnitude", "training.epochs=6", "model.channels=[8,16]"]
DDP = ["--accelerator", "cpu", "--devices", "2", "--strategy", "ddp"]


def _sets(*items: str) -> list[str]:
    return [arg for item in items for arg in ("--set", item)]


@pytest.fixture(scope="module")
def ddp_run(events_dir, tmp_path_factory, seislearn_process):
    out = tmp_path_factory.mktemp("classify_ddp") / "ddp"
    done = seislearn_process(
        "classify", "train", "--data", str(events_dir), "--out", str(out),
        *_sets(*SETTINGS, "training.batch_size=8"), *DDP,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("run written to") == 1  # rank 1 says nothing
    return out


def test_ddp_training_matches_one_process_within_the_stated_tolerance(
    events_dir, ddp_run, tmp_path
):
    from seislearn.cli.main import main

    single = tmp_path / "single"
    args = ["classify", "train", "--data", str(events_dir), "--out", str(single)]
    assert main([*args, *_sets(*SETTINGS, "training.batch_size=16")]) == 0
    one = json.loads((single / "metrics.json").read_text())["test"]["mae"]
    metrics = json.loads((ddp_run / "metrics.json").read_text())
    two = metrics["test"]["mae"]
    assert abs(two - one) <= 0.03, (one, two)
    assert two < metrics["baselines"]["amplitude_distance_fit"]["mae"]


def test_distributed_predict_writes_exactly_one_row_per_trace(
    events_dir, ddp_run, tmp_path, seislearn_process
):
    out, shards = tmp_path / "predicted.csv", tmp_path / "shards"
    shards.mkdir()
    done = seislearn_process(
        "classify", "predict", "--model", str(ddp_run), "--data", str(events_dir),
        "--out", str(out), *DDP, SEISLEARN_SHARD_DIR=str(shards),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    table = pd.read_csv(out)
    from seislearn.data.identity import user_names

    names = user_names(pd.read_csv(events_dir / "metadata.csv"))
    assert sorted(table["trace_name"].astype(str)) == sorted(names)
    assert table["predicted"].notna().all()
    assert not any(shards.iterdir())  # the shards were merged and removed
