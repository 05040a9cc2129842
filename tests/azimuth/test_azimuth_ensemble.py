"""Cross-fitted fine-tuning: folds by event, the members' mean direction, honest checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seislearn.azimuth.config import load_azimuth_config
from seislearn.azimuth.ensemble import (
    FINETUNE_MEMBERS_AUTO,
    AzimuthEnsemble,
    member_folds,
    members_wanted,
    out_of_fold,
)
from seislearn.azimuth.heads import AzimuthNet
from seislearn.data import schema
from seislearn.errors import ConfigError
from seislearn.models.serialization import load_model, save_model

ARGS = {
    "vae_args": {"n_samples": 120, "latent_dim": 4},
    "head_args": {"hidden": [16]},
    "covariance_window": [10, 40],
}
TINY = ["training.vae_epochs=1", "training.head_epochs=1", "training.batch_size=32"]


def _angles(out: dict) -> torch.Tensor:
    return torch.rad2deg(torch.atan2(out["back_azimuth"][:, 1], out["back_azimuth"][:, 0]))


def test_an_ensemble_of_copies_predicts_what_the_net_predicts() -> None:
    torch.manual_seed(0)
    net = AzimuthNet(**ARGS).eval()
    ensemble = AzimuthEnsemble(3, ARGS).eval()
    for member in ensemble.members:
        member.load_state_dict(net.state_dict())
    ensemble.test_time_rotations = 4
    assert all(m.test_time_rotations == 4 for m in ensemble.members)
    net.test_time_rotations = 4
    x = torch.randn(6, 3, 120)
    with torch.no_grad():
        a, b = net.predict(x), ensemble.predict(x)
    torch.testing.assert_close(_angles(a), _angles(b), atol=1e-3, rtol=0)
    torch.testing.assert_close(a["kappa"], b["kappa"])


@settings(max_examples=25, deadline=None)
@given(angles=st.lists(st.floats(-720, 720), min_size=2, max_size=5))
def test_the_ensemble_angle_is_the_circular_mean_of_its_members(angles) -> None:
    """Members pointing at ``angles`` (whatever their vector lengths) average on the circle."""
    from seislearn.azimuth.ensemble import combine

    rad = np.deg2rad(angles)
    outputs = [
        {
            "back_azimuth": torch.tensor([[np.cos(r) * (k + 1.0), np.sin(r) * (k + 1.0)]]),
            "kappa": torch.tensor([1.0]),
            "embedding": torch.zeros(1, 2),
        }
        for k, r in enumerate(rad)
    ]
    resultant = np.array([np.cos(rad).mean(), np.sin(rad).mean()])
    if np.hypot(*resultant) < 1e-3:  # no mean direction
        return
    got = combine(outputs)["back_azimuth"][0].numpy()
    expected = np.degrees(np.arctan2(resultant[1], resultant[0]))
    diff = (np.degrees(np.arctan2(got[1], got[0])) - expected + 180) % 360 - 180
    assert abs(diff) < 1e-3


def test_a_saved_ensemble_loads_with_its_members(tmp_path: Path) -> None:
    ensemble = AzimuthEnsemble(2, ARGS).eval()
    save_model(ensemble, tmp_path, {"members": 2, "member_args": ARGS}, name="azimuth_")
    loaded, _ = load_model(tmp_path, (AzimuthNet, AzimuthEnsemble), name="azimuth_")
    assert isinstance(loaded, AzimuthEnsemble) and len(loaded.members) == 2
    x = torch.randn(3, 3, 120)
    with torch.no_grad():
        torch.testing.assert_close(ensemble(x)["back_azimuth"], loaded(x)["back_azimuth"])


@settings(max_examples=40, deadline=None)
@given(
    events=st.lists(st.integers(0, 12), min_size=1, max_size=60),
    in_pool=st.data(),
    members=st.integers(2, 7),
    seed=st.integers(0, 3),
)
def test_member_folds_deal_whole_events_and_every_pooled_trace_once(
    events, in_pool, members, seed
) -> None:
    n = len(events)
    pool = np.array(in_pool.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    meta = pd.DataFrame({schema.TRACE_NAME: [f"t{i}" for i in range(n)], schema.SOURCE_ID: events})
    folds = member_folds(meta, pool, members, seed)
    n_events = len(set(np.asarray(events)[pool]))
    if n_events < 2:
        assert folds == []
        return
    assert len(folds) == min(members, n_events)
    dev_all = np.concatenate([dev for _, dev in folds])
    assert sorted(dev_all) == np.flatnonzero(pool).tolist()  # each pooled row once
    ev = np.asarray(events)
    for train, dev in folds:
        assert len(dev) and len(train)
        assert pool[train].all() and pool[dev].all()  # never a row outside the pool
        assert not set(ev[train]) & set(ev[dev])  # no event on both sides


def test_out_of_fold_takes_each_row_from_its_own_member() -> None:
    folds = [(np.array([2, 3]), np.array([0, 1])), (np.array([0, 1]), np.array([2, 3]))]
    got = out_of_fold([np.array([10.0, 11.0]), np.array([20.0, 21.0])], folds, 5)
    assert got[:4].tolist() == [10.0, 11.0, 20.0, 21.0] and np.isnan(got[4])


@given(
    n=st.integers(0, 2000),
    below=st.integers(0, 2000),
    given_members=st.one_of(st.just("auto"), st.integers(1, 9)),
)
def test_members_auto_only_for_few_labelled_traces(n, below, given_members) -> None:
    config = load_azimuth_config(
        overrides=[
            f"training.finetune_members={given_members}",
            f"training.finetune_mix_below={below}",
        ]
    )
    got = members_wanted(config, n)
    if n == 0:
        assert got == 1
    elif given_members == "auto":
        assert got == (FINETUNE_MEMBERS_AUTO if n < below else 1)
    else:
        assert got == given_members


def test_a_members_count_below_one_is_refused() -> None:
    with pytest.raises(ConfigError):
        load_azimuth_config(overrides=["training.finetune_members=0"])


@pytest.fixture(scope="module")
def start_run(synthetic_archive, tmp_path_factory) -> Path:
    from seislearn.azimuth.api import train

    out = tmp_path_factory.mktemp("members") / "start"
    return train(synthetic_archive(60, seed=4), out, load_azimuth_config(overrides=TINY), seed=0)


@pytest.fixture(scope="module")
def tuned(start_run, synthetic_archive, tmp_path_factory) -> tuple[Path, Path]:
    from seislearn.azimuth.api import train

    real = synthetic_archive(30, seed=5)
    config = load_azimuth_config(
        overrides=[*TINY, "training.finetune_members=3", "training.finetune_mix=40"]
    )
    out = tmp_path_factory.mktemp("members") / "tuned"
    return train(real, out, config, seed=2, init_from=start_run), real


def test_fine_tuning_saves_an_ensemble_scored_on_the_test_split_only(tuned) -> None:
    from seislearn.azimuth.api import _load_run, load_data

    run, real = tuned
    net, extra, _ = _load_run(run)
    assert isinstance(net, AzimuthEnsemble) and len(net.members) == 3
    metrics = json.loads((run / "metrics.json").read_text())
    record = metrics["finetune_members"]
    assert record["members"] == 3 and record["seeds"] == [2, 3, 4]
    data = load_data(real, load_azimuth_config())
    pooled = np.isin(data.split, ["train", "dev"]) & np.isfinite(data.back_azimuth_deg)
    assert record["out_of_fold_traces"] == int(pooled.sum()) == sum(record["dev_traces"])
    assert metrics["model"]["overall"]["n"] == int((data.split == "test").sum())
    assert len(metrics["training"]["members"]) == 3
    assert [m["seed"] for m in metrics["finetune_mix"]["members"]] == [2, 3, 4]
    assert extra["finetune_members"]["members"] == 3
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "member0",
        "member1",
        "member2",
    ]


def test_an_ensemble_predicts_one_row_per_trace(tuned, tmp_path: Path) -> None:
    from seislearn.azimuth.api import predict

    run, real = tuned
    table = pd.read_csv(predict(run, real, tmp_path / "pred"))
    assert table["trace_name"].is_unique and len(table) == 30


def test_an_ensemble_cannot_start_another_fine_tuning(tuned, tmp_path: Path) -> None:
    from seislearn.azimuth.api import train

    run, real = tuned
    with pytest.raises(ConfigError, match="fine-tuned from"):
        train(real, tmp_path / "again", load_azimuth_config(overrides=TINY), init_from=run)
    assert not (tmp_path / "again").exists()  # refused before any run folder is made
