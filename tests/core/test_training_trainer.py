"""Device, distribution and precision options of the Lightning Trainers, and sharded predict."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seislearn.cli.main import build_parser
from seislearn.errors import ConfigError
from seislearn.training.predict import block_of_rank, merge_shards, predict_dataset
from seislearn.training.trainer import (
    TrainerConfig,
    device_options,
    is_replica,
    runs_in_one_process,
    trainer_kwargs,
)

DEVICE_FLAGS = [
    "--accelerator",
    "cpu",
    "--devices",
    "2",
    "--num-nodes",
    "1",
    "--strategy",
    "ddp",
    "--precision",
    "bf16-mixed",
]


def test_defaults_are_one_process_at_32_bit():
    assert trainer_kwargs() == {
        "accelerator": "auto",
        "devices": 1,
        "num_nodes": 1,
        "strategy": "auto",
        "precision": "32-true",
    }


def test_command_line_options_override_the_config_keys_they_name():
    configured = TrainerConfig(strategy="ddp", devices=4, precision="bf16-mixed")
    with device_options(devices="2", accelerator="cpu", precision=None):
        kwargs = trainer_kwargs(configured)
    assert kwargs["devices"] == 2 and kwargs["accelerator"] == "cpu"
    assert kwargs["strategy"] == "ddp" and kwargs["precision"] == "bf16-mixed"
    assert trainer_kwargs(configured)["devices"] == 4  # the block ended


@pytest.mark.parametrize(
    "options", [{"devices": "0"}, {"devices": "two"}, {"num_nodes": 0}, {"precision": "8-bit"}]
)
def test_invalid_trainer_options_are_a_config_error_naming_the_key(options):
    with pytest.raises(ConfigError, match=next(iter(options))), device_options(**options):
        pass


def test_a_strategy_lightning_does_not_know_is_a_config_error():
    from seislearn.training.trainer import build_trainer

    with pytest.raises(ConfigError, match="strategy='no_such_strategy'"):
        build_trainer(TrainerConfig(strategy="no_such_strategy", accelerator="cpu"))


@pytest.mark.parametrize(
    "command",
    [
        ["azimuth", "train", "--data", "d", "--out", "o"],
        ["azimuth", "evaluate", "--model", "m", "--data", "d"],
        ["azimuth", "predict", "--model", "m", "--data", "d"],
        ["classify", "train", "--data", "d", "--out", "o"],
        ["classify", "evaluate", "--model", "m", "--data", "d"],
        ["classify", "predict", "--model", "m", "--data", "d"],
        ["cluster", "train", "--data", "d", "--n-clusters", "2", "--out", "o"],
        ["cluster", "predict", "--model", "m", "--data", "d", "--out", "o"],
        ["explain", "--model", "m", "--data", "d"],
        ["images", "fit", "d", "--out", "o"],
        ["images", "predict", "--model", "m", "d"],
    ],
)
def test_every_train_fit_predict_evaluate_and_explain_takes_the_device_options(command):
    args = build_parser().parse_args([*command, *DEVICE_FLAGS])
    assert (args.accelerator, args.devices, args.num_nodes) == ("cpu", "2", 1)
    assert (args.strategy, args.precision) == ("ddp", "bf16-mixed")


@pytest.mark.parametrize(
    ("env", "replica"),
    [
        ({}, False),
        ({"LOCAL_RANK": "0", "NODE_RANK": "0"}, False),
        ({"LOCAL_RANK": "1"}, True),
        ({"LOCAL_RANK": "0", "NODE_RANK": "1"}, True),
        ({"RANK": "3"}, True),
        ({"SLURM_NTASKS": "4", "SLURM_PROCID": "2", "SLURM_JOB_NAME": "job"}, True),
        ({"SLURM_NTASKS": "4", "SLURM_PROCID": "0", "SLURM_JOB_NAME": "job"}, False),
        ({"SLURM_NTASKS": "4", "SLURM_PROCID": "2", "SLURM_JOB_NAME": "bash"}, False),
    ],
)
def test_only_global_rank_zero_is_not_a_replica(monkeypatch, env, replica):
    for key in ("RANK", "LOCAL_RANK", "NODE_RANK", "GROUP_RANK", "SLURM_NTASKS", "SLURM_PROCID"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert is_replica() is replica


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 5000), world_size=st.integers(1, 64))
def test_rank_blocks_cover_every_sample_exactly_once(n, world_size):
    blocks = [block_of_rank(n, r, world_size) for r in range(world_size)]
    joined = np.concatenate([np.arange(b.start, b.stop) for b in blocks])
    assert np.array_equal(joined, np.arange(n))
    sizes = [len(b) for b in blocks]
    assert max(sizes) - min(sizes) <= 1


def _write_shards(folder, blocks):
    for rank, block in enumerate(blocks):
        index = np.asarray(block, dtype=np.int64)
        np.savez(folder / f"rank-{rank:05d}.npz", _index=index, value=index * 10.0)


def test_merged_shards_are_in_sample_order(tmp_path):
    _write_shards(tmp_path, [[3, 4], [0, 1, 2]])
    merged = merge_shards(tmp_path, 5)
    assert merged["value"].tolist() == [0.0, 10.0, 20.0, 30.0, 40.0]


@pytest.mark.parametrize("blocks", [[[0, 1], [1, 2]], [[0], [2]], [[0, 1, 2], [3]]])
def test_merging_shards_with_a_missing_or_repeated_sample_fails(tmp_path, blocks):
    _write_shards(tmp_path, blocks)
    with pytest.raises(RuntimeError, match=r"missing|repeated"):
        merge_shards(tmp_path, 3)


def _double(net, batch):
    return {"value": net(batch[0])}


def test_predict_through_the_trainer_matches_the_plain_loop():
    import torch
    from torch.utils.data import TensorDataset

    torch.manual_seed(0)
    net = torch.nn.Linear(4, 2)
    data = TensorDataset(torch.randn(37, 4))
    assert runs_in_one_process(TrainerConfig(accelerator="cpu"))
    plain = predict_dataset(net, _double, data, batch_size=8)
    with device_options(accelerator="cpu", strategy="single_device", precision="64-true"):
        assert not runs_in_one_process()
        through_trainer = predict_dataset(net.double(), _double, data, batch_size=8)
    assert through_trainer["value"].shape == (37, 2)
    np.testing.assert_allclose(through_trainer["value"], plain["value"], atol=1e-5)


def test_a_replica_rank_writes_into_a_scratch_folder_and_resumes_from_the_runs_checkpoints(
    monkeypatch, tmp_path
):
    import argparse
    import sys

    from seislearn.cli.common import replica_outputs

    monkeypatch.setattr(sys, "stdout", sys.stdout)  # replica_outputs silences it
    monkeypatch.setenv("LOCAL_RANK", "1")
    run = tmp_path / "run"
    args = argparse.Namespace(out=str(run), resume=True)
    replica_outputs(args)
    assert not run.exists()
    assert args.out != str(run)
    assert (tmp_path / "run" / "checkpoints").resolve() == (
        (tmp_path / args.out) / "checkpoints"
    ).resolve()


def test_rank_zero_keeps_its_output_folder(monkeypatch, tmp_path):
    import argparse

    from seislearn.cli.common import replica_outputs

    monkeypatch.setenv("LOCAL_RANK", "0")
    args = argparse.Namespace(out=str(tmp_path / "run"))
    replica_outputs(args)
    assert args.out == str(tmp_path / "run")
