"""Splits, DataModule, configs, run directories and model serialization."""

from __future__ import annotations

import json
import sys
import types

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from seislearn.config import StrictModel, load_config
from seislearn.data.splits import (
    assign_splits,
    check_no_event_leak,
    derive_event_ids,
    kfold_by_event,
)
from seislearn.errors import ConfigError, DataError, RunExistsError
from seislearn.models.serialization import load_model, save_model
from seislearn.runs import RunDir, write_text_atomic
from seislearn.training.datamodule import ArrayDataModule


def _events(n_events: int = 40, per_event: int = 3) -> pd.DataFrame:
    rows = []
    for ev in range(n_events):
        origin = pd.Timestamp("2020-01-01", tz="UTC") + pd.Timedelta(hours=ev)
        for st in range(per_event):
            rows.append(
                {
                    "trace_name": f"ev{ev}_st{st}",
                    "source_id": f"ev{ev}",
                    "source_origin_time": origin.isoformat(),
                    "trace_start_time": (origin + pd.Timedelta(seconds=st)).isoformat(),
                }
            )
    return pd.DataFrame(rows)


# -- splits ---------------------------------------------------------------------------
def test_split_by_event_keeps_each_event_on_one_side():
    meta = _events()
    meta["split"] = assign_splits(meta, "event", seed=3)
    check_no_event_leak(meta)
    assert meta.groupby("source_id")["split"].nunique().max() == 1
    assert set(meta.split) == {"train", "dev", "test"}


def test_split_by_trace_is_caught_as_a_leak():
    meta = _events()
    meta["split"] = assign_splits(meta, "random", seed=0)
    with pytest.raises(DataError, match="more than one split"):
        check_no_event_leak(meta)


def test_split_by_time_trains_on_earlier_events():
    meta = _events().sample(frac=1.0, random_state=1).reset_index(drop=True)
    meta["split"] = assign_splits(meta, "time")
    t = pd.to_datetime(meta.source_origin_time)
    assert t[meta.split == "train"].max() < t[meta.split == "dev"].min()
    assert t[meta.split == "dev"].max() < t[meta.split == "test"].min()


def test_kfold_by_event_never_puts_an_event_on_both_sides():
    meta = _events(25)
    seen = []
    for train, test in kfold_by_event(meta, k=5, seed=0):
        assert not set(meta.source_id[train]) & set(meta.source_id[test])
        seen += list(test)
    assert sorted(seen) == list(range(len(meta)))


def test_event_split_falls_back_to_coordinates_and_start_time():
    meta = pd.DataFrame(
        {
            "trace_name": ["a", "b", "c", "d"],
            "source_latitude_deg": [10.0, 10.0, 10.0, -5.0],
            "source_longitude_deg": [20.0, 20.0, 20.0, 7.0],
            # a and b: one event at two stations; c: a repeat of the same source a day later
            "trace_start_time": [
                "2020-01-01T00:00:00",
                "2020-01-01T00:00:20",
                "2020-01-02T00:00:00",
                "2020-01-01T00:00:00",
            ],
        }
    )
    ids = derive_event_ids(meta)
    assert ids[0] == ids[1] and ids[2] != ids[0] and ids[3] != ids[0]
    meta["split"] = assign_splits(meta, "event")
    assert meta.split[0] == meta.split[1]


def test_rows_without_source_id_fall_back_row_by_row():
    meta = _events(6)
    meta.loc[meta.source_id == "ev1", "source_id"] = None  # still grouped by origin time
    meta.loc[0, ["source_id", "source_origin_time"]] = None  # a lone trace: its own event
    meta["split"] = assign_splits(meta, "event", fractions=(0.5, 0.25, 0.25))
    assert meta[meta.source_origin_time == meta.source_origin_time[3]].split.nunique() == 1
    check_no_event_leak(meta)


def test_seisbench_dummy_splits_by_event_without_a_source_id_column(shared_data):
    from seislearn.io import read_dataset

    meta = read_dataset(shared_data / "seisbench_dummy").metadata
    assert meta.source_id_derived.all() and meta.source_id.nunique() == 100
    split = assign_splits(meta, "event", seed=0)
    assert split.value_counts().to_dict() == {"train": 70, "dev": 15, "test": 15}


# -- DataModule -----------------------------------------------------------------------
def test_datamodule_fits_the_scaler_on_train_only():
    split = np.array(["train"] * 50 + ["dev"] * 25 + ["test"] * 25)
    inputs = np.where(split == "train", 0.0, 100.0)[:, None] + np.random.default_rng(0).normal(
        size=(100, 4)
    )

    def fit_scaler(train: np.ndarray):
        mean = train.mean()
        return lambda x: x - mean

    dm = ArrayDataModule(inputs, np.arange(100), split, batch_size=10, fit_scaler=fit_scaler)
    dm.setup("fit")
    train_x = torch.cat([b[0] for b in dm.train_dataloader()])
    dev_x = torch.cat([b[0] for b in dm.val_dataloader()])
    assert abs(train_x.mean().item()) < 0.5  # a scaler that saw dev/test would shift train by ~50
    assert dev_x.mean().item() == pytest.approx(100.0, abs=0.5)
    assert len(dm.test_dataloader().dataset) == 25


# -- configs --------------------------------------------------------------------------
class _Training(StrictModel):
    epochs: int = 10
    learning_rate: float = 1e-3


class _Config(StrictModel):
    nperseg: int = 64
    training: _Training = _Training()


def test_unknown_key_is_an_error_that_suggests_the_closest(tmp_path):
    (tmp_path / "c.yaml").write_text("npersegg: 32\n")
    with pytest.raises(ConfigError, match=r"unknown key 'npersegg'.*did you mean 'nperseg'"):
        load_config(_Config, tmp_path / "c.yaml")


def test_unknown_nested_key_suggests_within_its_section():
    with pytest.raises(ConfigError, match=r"training\.epoch'.*did you mean 'epochs'"):
        load_config(_Config, overrides=["training.epoch=3"])


def test_set_overrides_the_file_and_is_typed(tmp_path):
    (tmp_path / "c.yaml").write_text("nperseg: 32\ntraining:\n  epochs: 5\n")
    cfg = load_config(_Config, tmp_path / "c.yaml", ["training.epochs=7", "nperseg=128"])
    assert cfg.training.epochs == 7 and cfg.nperseg == 128


def test_wrongly_typed_value_names_the_key():
    with pytest.raises(ConfigError, match="epochs"):
        load_config(_Config, overrides=["training.epochs=many"])


# -- runs -----------------------------------------------------------------------------
def test_a_run_is_never_overwritten_without_the_flag(tmp_path):
    run = RunDir(tmp_path / "run")
    run.write_json("metrics.json", {"acc": 0.9})
    with pytest.raises(RunExistsError, match="--overwrite"):
        RunDir(tmp_path / "run")
    RunDir(tmp_path / "run", overwrite=True)
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_resume_keeps_the_existing_run(tmp_path):
    run = RunDir(tmp_path / "run")
    run.write_json("metrics.json", {"acc": 0.9})
    run.checkpoints.mkdir()
    (run.checkpoints / "last.ckpt").write_bytes(b"x")
    again = RunDir(tmp_path / "run", resume=True)
    assert again.read_json("metrics.json") == {"acc": 0.9}
    assert again.last_checkpoint().name == "last.ckpt"


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "metrics.json"
    write_text_atomic(target, "old")

    class Boom:
        def __str__(self) -> str:
            raise RuntimeError("disk full")

    from seislearn.runs import atomic_path

    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("partial")
        str(Boom())
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_manifest_records_versions_seed_and_data_fingerprint(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_text("x\n1\n")
    run = RunDir(tmp_path / "run")
    with run.timed("step"):
        pass
    manifest = json.loads(run.write_manifest("test", seed=4, data=data).read_text())
    assert manifest["seed"] == 4 and "step" in manifest["timings_s"]
    assert {"python", "seislearn", "numpy"} <= set(manifest["versions"])
    first = manifest["data_fingerprint"]
    (data / "a.csv").write_text("x\n2\n")
    assert (
        json.loads(run.write_manifest("test", data=data).read_text())["data_fingerprint"] != first
    )


# -- model serialization --------------------------------------------------------------
@pytest.fixture
def models_module(monkeypatch):
    """A tiny model class living in a (temporary) seislearn submodule."""
    module = types.ModuleType("seislearn.models._roundtrip")

    class Tiny(nn.Module):
        def __init__(self, width: int = 4) -> None:
            super().__init__()
            self.layer = nn.Linear(3, width)

    Tiny.__module__ = module.__name__
    Tiny.__qualname__ = "Tiny"
    module.Tiny = Tiny
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module


def test_model_round_trip_restores_weights_and_extra(tmp_path, models_module):
    model = models_module.Tiny(width=5)
    save_model(model, tmp_path, {"width": 5}, extra={"classes": ["a", "b"]}, name="head_")
    back, extra = load_model(tmp_path, (models_module.Tiny,), name="head_")
    assert isinstance(back, models_module.Tiny) and not back.training
    torch.testing.assert_close(back.layer.weight, model.layer.weight)
    assert extra == {"classes": ["a", "b"]}
    assert not list(tmp_path.glob("*.pt")) and not list(tmp_path.glob("*.pkl"))


def test_saving_a_class_outside_seislearn_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"only seislearn model classes"):
        save_model(nn.Linear(2, 2), tmp_path, {})


def test_a_spec_names_its_class_by_registry_name_not_import_path(tmp_path, models_module):
    save_model(models_module.Tiny(), tmp_path, {})
    assert json.loads((tmp_path / "model.json").read_text())["class"] == "Tiny"


def test_a_spec_from_before_the_layout_change_still_loads(tmp_path, models_module):
    save_model(models_module.Tiny(width=3), tmp_path, {"width": 3})
    spec = json.loads((tmp_path / "model.json").read_text())
    spec["class"] = "seislearn.models.heads.Tiny"
    (tmp_path / "model.json").write_text(json.dumps(spec))
    back, _ = load_model(tmp_path, (models_module.Tiny,))
    assert back.layer.out_features == 3


@pytest.mark.parametrize(
    "named",
    ["os.system", "seislearn.runs.write_json_atomic", "write_json_atomic", "Linear", 7, None],
)
def test_a_spec_naming_a_class_outside_the_callers_registry_is_refused(
    tmp_path, models_module, named
):
    save_model(models_module.Tiny(), tmp_path, {})
    spec = json.loads((tmp_path / "model.json").read_text())
    spec["class"] = named
    (tmp_path / "model.json").write_text(json.dumps(spec))
    with pytest.raises(DataError, match=r"refusing to load model class .*this command loads Tiny"):
        load_model(tmp_path, (models_module.Tiny,))


def test_a_spec_with_arguments_the_class_does_not_take_is_a_clear_error(tmp_path, models_module):
    save_model(models_module.Tiny(), tmp_path, {"path": "/etc/passwd"})
    with pytest.raises(DataError, match=r"does not build a Tiny"):
        load_model(tmp_path, (models_module.Tiny,))


def test_weights_of_another_architecture_are_a_clear_error(tmp_path, models_module):
    save_model(models_module.Tiny(width=4), tmp_path, {"width": 5})
    with pytest.raises(DataError, match=r"weights do not fit the Tiny"):
        load_model(tmp_path, (models_module.Tiny,))


def test_a_run_that_failed_before_writing_results_can_be_started_again(tmp_path):
    run = RunDir(tmp_path / "run")
    run.write_config({"seed": 1})  # then the data turned out to be bad
    again = RunDir(tmp_path / "run")
    assert again.path == run.path


def test_a_failed_run_with_checkpoints_is_protected(tmp_path):
    run = RunDir(tmp_path / "run")
    run.write_config({"seed": 1})
    run.checkpoints.mkdir()
    (run.checkpoints / "last.ckpt").write_bytes(b"hours of training")
    with pytest.raises(RunExistsError, match="--resume"):
        RunDir(tmp_path / "run")


def test_a_folder_of_other_files_is_never_written_into_without_the_flag(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "predictions.csv").write_text("my own results\n")
    with pytest.raises(RunExistsError, match="holds no seislearn run"):
        RunDir(tmp_path / "mine")
    assert (tmp_path / "mine" / "predictions.csv").read_text() == "my own results\n"


def test_overwrite_into_a_folder_of_other_files_deletes_none_of_them(tmp_path):
    mine = tmp_path / "mine"
    (mine / "figures").mkdir(parents=True)
    (mine / "figures" / "my_plot.png").write_bytes(b"not seislearn's")
    (mine / "notes.txt").write_text("keep\n")
    run = RunDir(mine, overwrite=True)
    assert (mine / "figures" / "my_plot.png").read_bytes() == b"not seislearn's"
    assert (mine / "notes.txt").read_text() == "keep\n"
    assert run.figures.is_dir()


def test_overwrite_still_clears_a_previous_run(tmp_path):
    run = RunDir(tmp_path / "run")
    run.write_config({"seed": 1})
    (run.figures / "old.png").write_bytes(b"old")
    RunDir(tmp_path / "run", overwrite=True)
    assert not (tmp_path / "run" / "figures" / "old.png").exists()
    assert not (tmp_path / "run" / "config.yaml").exists()


def test_resume_without_a_checkpoint_says_training_starts_over(tmp_path, caplog):
    import logging

    with caplog.at_level(logging.WARNING, logger="seislearn.runs"):
        RunDir(tmp_path / "run", resume=True)
    assert "no checkpoint" in caplog.text
    caplog.clear()
    run = RunDir(tmp_path / "run2")
    run.write_config({"seed": 1})
    run.checkpoints.mkdir()
    (run.checkpoints / "last.ckpt").write_bytes(b"x")
    with caplog.at_level(logging.WARNING, logger="seislearn.runs"):
        RunDir(tmp_path / "run2", resume=True)
    assert "no checkpoint" not in caplog.text
