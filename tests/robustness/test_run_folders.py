"""Run folders never lose the user's files, and every OS failure is one error naming the path.

Property: whatever files a user keeps in an output folder (under names a run
also uses: ``model/``, ``figures/``, ``report.html``...), ``--overwrite`` and
later runs delete only what a seislearn run recorded it wrote; a write that
fails (full disk, read-only folder, a file in the way) leaves the previous file
and no temporary file, and says which path failed.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seislearn.errors import OutputError, RunExistsError
from seislearn.runs import RunDir, atomic_path, check_free_space, write_text_atomic

FAST = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# A user's own files, under the names a run writes too.
user_names = st.lists(
    st.tuples(
        st.sampled_from(["model", "figures", "checkpoints", "results", ""]),
        st.sampled_from(
            ["weights.safetensors", "model.json", "a.png", "report.html", "notes.txt", "last.ckpt"]
        ),
    ),
    min_size=1,
    max_size=6,
    unique=True,
)


def _plant(root: Path, names: list[tuple[str, str]]) -> dict[Path, bytes]:
    planted = {}
    for folder, name in names:
        path = root / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        content = f"user's own {folder}/{name}".encode()
        path.write_bytes(content)
        planted[path] = content
    return planted


def _a_run(path: Path, **flags: bool) -> RunDir:
    run = RunDir(path, **flags)
    run.begin({"seed": 1})
    run.write_json("metrics.json", {"acc": 0.5})
    run.model_dir.mkdir(exist_ok=True)
    write_text_atomic(run.model_dir / "model.json", "{}")
    (run.figures / "loss.png").write_bytes(b"png")
    run.write_manifest("test")
    return run


@FAST
@given(names=user_names)
def test_overwrite_deletes_only_what_a_run_recorded_it_wrote(tmp_path_factory, names) -> None:
    root = tmp_path_factory.mktemp("out")
    planted = _plant(root, names)
    _a_run(root, overwrite=True)  # into a folder holding only the user's files
    _a_run(root, overwrite=True)  # and over that run
    for path, content in planted.items():
        if path.name not in ("model.json",) or path.parent.name != "model":
            assert path.read_bytes() == content, f"{path} was deleted or replaced"
    assert json.loads((root / "manifest.json").read_text())["complete"] is True


def test_overwrite_of_a_finished_run_clears_its_outputs(tmp_path: Path) -> None:
    _a_run(tmp_path / "run")
    RunDir(tmp_path / "run", overwrite=True)
    assert not (tmp_path / "run" / "metrics.json").exists()
    assert not (tmp_path / "run" / "model").exists()


def test_a_crafted_manifest_cannot_make_overwrite_delete_outside_the_run(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "x.txt").write_text("x")
    manifest = {
        "workflow": "x",
        "complete": True,
        "created": ["..", "/tmp"],
        "files": ["../victim.txt"],
    }
    (tmp_path / "run" / "manifest.json").write_text(json.dumps(manifest))
    RunDir(tmp_path / "run", overwrite=True)
    assert victim.read_text() == "keep"


def test_an_unfinished_run_is_marked_so_and_cannot_be_used(tmp_path: Path) -> None:
    from seislearn.errors import DataError

    run = RunDir(tmp_path / "run")
    run.begin({"seed": 1})
    run.model_dir.mkdir()
    assert json.loads((run.path / "manifest.json").read_text())["complete"] is False
    with pytest.raises(DataError, match=r"did not finish.*--resume"):
        RunDir.open(run.path)


@FAST
@given(umask=st.integers(0, 0o777))
def test_written_files_get_the_mode_open_would_give_them(tmp_path_factory, umask: int) -> None:
    target = tmp_path_factory.mktemp("mode") / "metrics.json"
    old = os.umask(umask)
    try:
        write_text_atomic(target, "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT])
def test_a_failing_write_names_the_path_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    target = tmp_path / "metrics.json"
    write_text_atomic(target, "old")
    original = Path.write_text

    def failing(self, *args, **kwargs):
        original(self, "partial")
        raise OSError(code, os.strerror(code), str(self))

    monkeypatch.setattr(Path, "write_text", failing)
    with pytest.raises(OutputError, match=str(target)):
        write_text_atomic(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_out_that_is_a_file_or_below_one_is_one_error_naming_it(tmp_path: Path) -> None:
    a_file = tmp_path / "results.csv"
    a_file.write_text("mine")
    with pytest.raises(OutputError, match=r"results.csv.*is a file"):
        RunDir(a_file)
    with pytest.raises(OutputError, match=r"results.csv"):
        RunDir(a_file / "run")
    with pytest.raises(OutputError, match=r"results.csv"), atomic_path(a_file / "x.json"):
        pass
    assert a_file.read_text() == "mine"


def test_a_read_only_folder_is_one_error_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as root: permissions are not enforced")
        with pytest.raises(OutputError, match="ro"):
            write_text_atomic(folder / "x.json", "{}")
    finally:
        folder.chmod(0o700)


def test_free_space_is_checked_before_a_large_write(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"needs about .* MB and only"):
        check_free_space(tmp_path / "big.hdf5", 1 << 60)
    check_free_space(tmp_path / "small.hdf5", 1)


def test_resume_with_other_data_or_config_says_what_differs_and_stops(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "metadata.csv").write_text("trace_name\na\nb\n")
    run = RunDir(tmp_path / "run")
    run.begin({"seed": 1, "training": {"lr": 0.001, "epochs": 2}}, data=data)
    run.write_manifest("test", data=data)
    # More epochs is how a stopped run is continued: allowed.
    RunDir(tmp_path / "run", resume=True).begin(
        {"seed": 1, "training": {"lr": 0.001, "epochs": 9}}, data=data
    )
    with pytest.raises(RunExistsError, match=r"training\.lr: 0\.001 -> 0\.1"):
        RunDir(tmp_path / "run", resume=True).begin(
            {"seed": 1, "training": {"lr": 0.1, "epochs": 2}}, data=data
        )
    (data / "metadata.csv").write_text("trace_name\na\nb\nc\n")
    with pytest.raises(RunExistsError, match=r"data .* changed"):
        RunDir(tmp_path / "run", resume=True).begin(
            {"seed": 1, "training": {"lr": 0.001, "epochs": 2}}, data=data
        )


def test_data_synth_refuses_a_write_the_disk_cannot_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import shutil

    from seislearn.cli.main import main

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage._replace(free=1000))
    code = main(["data", "synth", "events", "--n", "50", "--out", str(tmp_path / "s")])
    assert code == 1
    assert "MB are free" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()
