"""Checkpoints are verified before use: a run resumes only from its own, intact ones.

Faults injected: a run folder copied elsewhere (absolute paths in the
checkpoint), a replaced ``best.ckpt`` beside a genuine ``last.ckpt``, a
pickle payload, a truncated or bit-flipped ``last.ckpt``, and another
architecture. Each is either refused with one error naming the file or, for a
damaged newest checkpoint, passed over for the previous good one, saying so.
"""

from __future__ import annotations

import logging
import pickle
import shutil
from pathlib import Path

import lightning as L
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader, TensorDataset

from seislearn.errors import DataError
from seislearn.training.checkpoints import (
    best_checkpoint,
    fit,
    latest_epoch_checkpoint,
    load_checkpoint_weights,
    resume_checkpoint,
    verify_checkpoint,
)

FAST = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class _Tiny(L.LightningModule):
    def __init__(self, width: int = 2) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(width, 1)

    def training_step(self, batch, batch_idx):
        return self.layer(batch[0]).pow(2).mean()

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", self.layer(batch[0]).pow(2).mean())

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def _train(folder: Path, epochs: int, module: _Tiny | None = None, resume: bool = False):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    module = module or _Tiny()
    loader = DataLoader(TensorDataset(torch.randn(8, 2)), batch_size=4)
    best = best_checkpoint(folder, "best", monitor="val_loss")
    trainer = L.Trainer(
        max_epochs=epochs,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[best, latest_epoch_checkpoint(folder)],
    )
    ckpt = resume_checkpoint(folder, module) if resume else None
    fit(trainer, module, loader, loader, ckpt_path=ckpt)
    return trainer, best, module


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("run") / "checkpoints"
    _train(folder, 3)
    return folder


def test_a_copied_run_resumes_from_its_own_best_checkpoint(trained: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy" / "checkpoints"
    shutil.copytree(trained, copy)
    _, best, _ = _train(copy, 4, resume=True)
    assert Path(best.best_model_path).parent == copy
    assert all(Path(p).parent == copy for p in best.best_k_models)


def test_a_replaced_best_checkpoint_beside_a_genuine_last_is_refused(
    trained: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "checkpoints"
    shutil.copytree(trained, copy)
    crafted = torch.load(copy / "best.ckpt", weights_only=True)
    crafted["state_dict"]["layer.weight"] = torch.full((1, 2), 1e6)
    torch.save(crafted, copy / "best.ckpt")
    with pytest.raises(DataError, match=r"best\.ckpt.*sha256 does not match"):
        resume_checkpoint(copy, _Tiny())
    with pytest.raises(DataError, match=r"best\.ckpt"):
        load_checkpoint_weights(copy / "best.ckpt", _Tiny())


def test_a_pickle_payload_is_one_clear_error(tmp_path: Path) -> None:
    ran = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (exec, (f"open({str(ran)!r}, 'w').write('x')",))

    torch.save({"state_dict": {}, "x": Payload()}, tmp_path / "last.ckpt")
    with pytest.raises(DataError, match=r"last\.ckpt.*weights-only load refuses"):
        resume_checkpoint(tmp_path, _Tiny())
    assert not ran.exists()


@FAST
@given(cut=st.floats(0.0, 0.99), flip=st.booleans())
def test_a_damaged_last_checkpoint_falls_back_to_the_previous_one(
    trained: Path, tmp_path_factory, caplog: pytest.LogCaptureFixture, cut: float, flip: bool
) -> None:
    copy = tmp_path_factory.mktemp("damaged") / "checkpoints"
    shutil.copytree(trained, copy)
    data = (copy / "last.ckpt").read_bytes()
    if flip:
        position = int(cut * len(data))
        damaged = data[:position] + bytes([data[position] ^ 0xFF]) + data[position + 1 :]
    else:
        damaged = data[: int(cut * len(data))]
    (copy / "last.ckpt").write_bytes(damaged)
    with caplog.at_level(logging.WARNING, logger="seislearn.training.checkpoints"):
        chosen = resume_checkpoint(copy, _Tiny())
    assert Path(chosen).name == "last.prev.ckpt"
    assert "falling back" in caplog.text and "resuming from" in caplog.text


def test_no_usable_checkpoint_is_one_error_listing_each(trained: Path, tmp_path: Path) -> None:
    copy = tmp_path / "checkpoints"
    shutil.copytree(trained, copy)
    for name in ("last.ckpt", "last.prev.ckpt"):
        (copy / name).write_bytes(b"\0" * 100)
    with pytest.raises(DataError, match=r"no usable checkpoint.*last\.ckpt.*last\.prev\.ckpt"):
        resume_checkpoint(copy, _Tiny())


def test_a_checkpoint_of_another_architecture_is_named_with_the_mismatch(trained: Path) -> None:
    with pytest.raises(DataError, match=r"does not fit the model.*layer\.weight"):
        verify_checkpoint(trained / "last.ckpt", _Tiny(width=5))


def test_checkpoints_are_written_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "checkpoints"
    _train(folder, 1)
    before = (folder / "last.ckpt").read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(Exception, match="No space left"):
        _train(folder, 3, resume=True)
    monkeypatch.undo()
    assert (folder / "last.ckpt").read_bytes() == before
    assert not [p for p in folder.iterdir() if p.suffix == ".tmp"]


def test_pickle_is_never_used_to_load(trained: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("unpickled"))
    verify_checkpoint(trained / "last.ckpt", _Tiny())
