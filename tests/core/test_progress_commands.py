"""Every long stage of the command line tells its progress in a log, and ``--quiet`` none.

The commands run as a user runs them, with standard error a file (not a terminal):
each long stage then writes one ``seislearn: STAGE: ...`` line when it ends, and
nothing from the libraries (Lightning's tips, device lines, deprecation warnings)
reaches the screen. With ``seislearn --quiet`` standard error stays empty. One fresh
process runs the commands one after the other (imports are paid once), each with
standard error sent to its own file at the descriptor level, so whatever the
libraries print is caught too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
NOISE = re.compile(
    r"Tip:|litlogger|GPU available|TPU available|HPU available|Warning|deprecat|it/s\]",
    re.IGNORECASE,
)
SMALL_LINE = "SEISLEARN_SMALL is set"

#: (name, arguments, the stage lines it must print off a terminal)
COMMANDS = [
    ("data check", ["data", "check", "{events}"], ["checking waveforms: 40 traces in"]),
    ("data convert", ["data", "convert", "{events}", "{out}/converted"], ["writing converted: 40"]),
    (
        "azimuth pick",
        ["azimuth", "pick", "--data", "{dummy}", "--out", "{out}/picked", "--weights", "{weights}"],
        ["picking: 100 traces in"],
    ),
    (
        "azimuth train",
        ["azimuth", "train", "--data", "{events}", "--out", "{out}/az"],
        ["azimuth end-to-end training: 2 epochs in"],
    ),
    (
        "classify train",
        ["classify", "train", "--data", "{events}", "--target", "source_type", "--out", "{out}/cl"],
        ["classify training: 2 epochs in"],
    ),
    (
        "images fit",
        ["images", "fit", "{patches}", "--out", "{out}/img", "--set", "plot_projection=pca"],
        ["self-supervised training: 2 epochs in"],
    ),
]

DRIVER = """
import json, os, sys
from seislearn.cli.main import main
commands, folder = json.loads(sys.argv[1]), sys.argv[2]
codes = []
for i, argv in enumerate(commands):
    sys.stderr.flush()
    fd = os.open(os.path.join(folder, f"stderr{i}.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    saved = os.dup(2)
    os.dup2(fd, 2)
    try:
        codes.append(main(argv))
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(fd)
print(json.dumps(codes))
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, shared_data, synthetic_archive) -> dict[str, str]:
    from seislearn.data.synthetic_images import write_images

    root = tmp_path_factory.mktemp("progress_inputs")
    write_images(root / "patches", n=24, seed=1, size=33, fmt="npy")
    return {
        "events": str(synthetic_archive(40, seed=3)),
        "patches": str(root / "patches"),
        "dummy": str(shared_data / "seisbench_dummy"),
        "weights": str(shared_data / "weights" / "phasenetlight_ethz"),
    }


def _run_all(inputs: dict[str, str], folder: Path, quiet: bool) -> list[str]:
    folder.mkdir()
    values = {**inputs, "out": str(folder)}
    argvs = [
        (["--quiet"] if quiet else []) + [a.format(**values) for a in args]
        for _, args, _ in COMMANDS
    ]
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env.update({"SEISLEARN_SMALL": "1", "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"})
    env.pop("SEISLEARN_QUIET", None)
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(argvs), str(folder)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1500,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    errs = [(folder / f"stderr{i}.txt").read_text() for i in range(len(COMMANDS))]
    assert result.returncode == 0, result.stderr[-3000:]
    codes = json.loads(result.stdout.strip().splitlines()[-1])
    for (name, _, _), code, err in zip(COMMANDS, codes, errs, strict=True):
        assert code == 0, f"{name} exited {code}:\n{err[-3000:]}"
    return errs


@pytest.fixture(scope="module")
def logged(inputs, tmp_path_factory) -> list[str]:
    return _run_all(inputs, tmp_path_factory.mktemp("progress") / "run", quiet=False)


@pytest.fixture(scope="module")
def quiet(inputs, tmp_path_factory) -> list[str]:
    return _run_all(inputs, tmp_path_factory.mktemp("progress_quiet") / "run", quiet=True)


def _shown(err: str) -> list[str]:
    return [line for line in err.splitlines() if SMALL_LINE not in line]


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("index", range(len(COMMANDS)), ids=[c[0] for c in COMMANDS])
def test_a_long_stage_prints_one_progress_line_in_a_log_and_no_library_noise(logged, index) -> None:
    name, _, expected = COMMANDS[index]
    lines = _shown(logged[index])
    progress = [line for line in lines if line.startswith("seislearn: ")]
    for stage in expected:
        found = [line for line in progress if line.startswith(f"seislearn: {stage}")]
        assert len(found) == 1, f"{name}: no single line '{stage}' in:\n" + "\n".join(lines)
    noise = [line for line in lines if NOISE.search(line) and "seislearn" not in line]
    assert not noise, f"{name} printed library noise:\n" + "\n".join(noise)
    assert "\r" not in logged[index], f"{name} drew a terminal bar into a file"


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("index", range(len(COMMANDS)), ids=[c[0] for c in COMMANDS])
def test_quiet_prints_no_progress_at_all(quiet, index) -> None:
    name = COMMANDS[index][0]
    lines = [line for line in _shown(quiet[index]) if not line.startswith("WARNING seislearn")]
    assert lines == [], f"{name} --quiet printed:\n" + "\n".join(lines)
