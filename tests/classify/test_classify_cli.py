"""The command line: help, train refusal, evaluate, predict, explain; the demo section."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from seislearn.cli.main import main


def test_classify_help_lists_the_three_actions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["classify", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert all(action in out for action in ("train", "evaluate", "predict", "--variants"))


def test_train_into_an_existing_run_fails_with_a_message(
    trained_run: Path, events_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["classify", "train", "--data", str(events_dir), "--out", str(trained_run)])
    assert code == 1
    assert "--overwrite" in capsys.readouterr().err


def test_unknown_config_key_is_reported_with_a_suggestion(
    events_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["classify", "train", "--data", str(events_dir), "--out", str(tmp_path / "r")]
    assert main([*argv, "--set", "varient=P32"]) == 1
    assert "did you mean 'variant'" in capsys.readouterr().err


def test_predict_and_evaluate_from_the_command_line(
    trained_run: Path, events_dir: Path, tmp_path: Path
) -> None:
    csv = tmp_path / "pred.csv"
    assert (
        main(
            [
                "classify",
                "predict",
                "--model",
                str(trained_run),
                "--data",
                str(events_dir),
                "--out",
                str(csv),
            ]
        )
        == 0
    )
    assert len(pd.read_csv(csv)) == 120
    out = tmp_path / "eval"
    args = ["classify", "evaluate", "--model", str(trained_run), "--data", str(events_dir)]
    assert main([*args, "--split", "test", "--out", str(out)]) == 0
    assert (out / "metrics.json").is_file() and (out / "figures" / "confusion_matrix.png").is_file()


def test_explain_from_the_command_line(trained_run: Path, events_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "ig"
    args = ["explain", "--model", str(trained_run), "--data", str(events_dir), "--n", "2"]
    assert main([*args, "--explainer", "ig", "--out", str(out)]) == 0
    assert (out / "attributions.npz").is_file() and (out / "report.html").is_file()


def test_quick_demo_section_reports_measured_metrics_and_figures(
    events_dir: Path, tmp_path: Path
) -> None:
    from seislearn.explain.demo import demo_section
    from seislearn.runs import RunDir

    section = demo_section(RunDir(tmp_path / "demo"), events_dir, seed=0, quick=True)
    assert section.tables and section.figures
    assert all(path.is_file() for path, _ in section.figures)
    assert (tmp_path / "demo" / "classify" / "explain_gradient" / "attributions.npz").is_file()


def test_train_with_on_error_skip_says_how_many_traces_it_left_out(
    synthetic_small, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import numpy as np

    from seislearn.data.dataset import WaveformDataset
    from seislearn.io.seisbench import write_seisbench

    meta = synthetic_small.metadata.copy()
    meta.loc[meta.index[:2], "trace_p_arrival_sample"] = np.nan  # two traces without a P pick
    write_seisbench(WaveformDataset(meta, synthetic_small.loader), tmp_path / "data")
    argv = ["classify", "train", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "r")]
    argv += ["--set", "training.epochs=1", "--set", "model.channels=[8,16]", "--on-error", "skip"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "2 traces skipped" in out
