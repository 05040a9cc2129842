"""Fine-tuning on a few labelled traces mixes in the starting run's synthetic windows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from seislearn.azimuth.config import FINETUNE_MIX_AUTO, FINETUNE_RECIPE, load_azimuth_config
from seislearn.azimuth.finetune import SYNTHETIC_PREFIX, mix_count, mix_synthetic
from seislearn.data import schema
from seislearn.errors import DataError

TINY = ["training.vae_epochs=1", "training.head_epochs=1", "training.batch_size=32"]


@pytest.fixture(scope="module")
def start_folder(synthetic_archive) -> Path:
    return synthetic_archive(60, seed=4)


@pytest.fixture(scope="module")
def real_folder(synthetic_archive) -> Path:
    """The 'real' fine-tuning set: another small archive (few labelled train traces)."""
    return synthetic_archive(30, seed=5)


@pytest.fixture(scope="module")
def start_run(start_folder, tmp_path_factory) -> Path:
    from seislearn.azimuth.api import train

    out = tmp_path_factory.mktemp("mix") / "start"
    return train(start_folder, out, load_azimuth_config(overrides=TINY), seed=0)


def prepared(folder: Path):
    from seislearn.azimuth.api import load_data

    return load_data(folder, load_azimuth_config())


@settings(max_examples=50, deadline=None)
@given(
    n_real=st.integers(0, 2000),
    below=st.integers(0, 2000),
    wanted=st.one_of(st.just("auto"), st.integers(0, 5000)),
)
def test_mixing_happens_only_under_the_threshold(n_real, below, wanted) -> None:
    config = load_azimuth_config(
        overrides=[f"training.finetune_mix={wanted}", f"training.finetune_mix_below={below}"]
    )
    count = mix_count(config, n_real)
    expected = FINETUNE_MIX_AUTO if wanted == "auto" else wanted
    if 0 < n_real < below and expected > 0:
        assert count == expected
    else:
        assert count == 0


def test_mix_counts_and_the_third(start_folder, real_folder) -> None:
    synthetic, real = prepared(start_folder), prepared(real_folder)
    pool = int((synthetic.split == "train").sum())
    n_train = int((real.split == "train").sum())
    wanted = pool - 3
    mixed, record = mix_synthetic(real, synthetic, wanted, seed=1)
    names = mixed.metadata[schema.TRACE_NAME].astype(str)
    is_synth = names.str.startswith(SYNTHETIC_PREFIX).to_numpy()
    copies = max(1, round(wanted / 3 / n_train))
    assert record["synthetic_windows"] == is_synth.sum() == wanted
    assert record["real_train_copies"] == copies
    assert set(mixed.split[is_synth]) == {"train"}  # never dev or test
    assert (mixed.split[~is_synth] == "train").sum() == copies * n_train
    for split in ("dev", "test"):  # the real dev and test splits, once each
        assert (mixed.split == split).sum() == (real.split == split).sum()
    share = copies * n_train / (copies * n_train + wanted)
    assert record["real_share_of_train"] == pytest.approx(share, abs=1e-4)
    assert abs(copies * n_train - wanted / 3) <= n_train / 2  # a third of the synthetic
    again, _ = mix_synthetic(real, synthetic, wanted, seed=1)
    other, _ = mix_synthetic(real, synthetic, wanted, seed=2)
    assert np.array_equal(again.windows, mixed.windows)
    assert not np.array_equal(other.windows[:wanted], mixed.windows[:wanted])


def test_missing_starting_data_is_an_error_naming_it(start_run, real_folder, tmp_path) -> None:
    from seislearn.azimuth.api import train

    moved = tmp_path / "start"
    shutil.copytree(start_run, moved)
    manifest = json.loads((moved / "manifest.json").read_text())
    manifest["data"] = str(tmp_path / "gone")
    (moved / "manifest.json").write_text(json.dumps(manifest))
    assert load_azimuth_config().training.finetune_mix == "auto"  # on by default
    config = load_azimuth_config(overrides=[*TINY, "training.finetune_mix=auto"])
    with pytest.raises(DataError, match=r"gone.*training\.finetune_mix=0"):
        train(real_folder, tmp_path / "tuned", config, init_from=moved)
    off = load_azimuth_config(overrides=[*TINY, "training.finetune_mix=0"])
    out = train(real_folder, tmp_path / "off", off, init_from=moved)
    assert json.loads((out / "metrics.json").read_text())["finetune_mix"] == {"mixed": False}


def test_the_users_settings_win_and_the_mix_is_recorded(start_run, real_folder, tmp_path):
    from seislearn.azimuth.api import train

    config = load_azimuth_config(overrides=[*TINY, "training.finetune_mix=40"])
    out = train(real_folder, tmp_path / "tuned", config, seed=3, init_from=start_run)
    training = yaml.safe_load((out / "config.yaml").read_text())["training"]
    assert training["batch_size"] == 32 and training["head_epochs"] == 1  # as set
    assert training["learning_rate"] == FINETUNE_RECIPE["learning_rate"]  # the recipe's
    record = json.loads((out / "metrics.json").read_text())["finetune_mix"]
    assert record["synthetic_windows"] == 40 and record["seed"] == 3
    assert record["synthetic_data"] == json.loads((start_run / "manifest.json").read_text())["data"]
    assert set(record["recipe_applied"]) == set(FINETUNE_RECIPE) - {"batch_size", "head_epochs"}
    assert record["recipe_kept_as_set"] == ["batch_size", "head_epochs"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["finetune_mix"]["synthetic_windows"] == 40
    table = json.loads((out / "metrics.json").read_text())
    real_test = int((prepared(real_folder).split == "test").sum())
    assert table["model"]["overall"]["n"] == real_test  # scored on the real test split only
