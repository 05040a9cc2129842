from __future__ import annotations

import subprocess
import sys

import pytest

from seislearn.cli.main import build_parser, main


def test_version_flag_prints_the_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert "seislearn" in capsys.readouterr().out


def test_every_subcommand_has_help_text():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"demo", "data"} <= set(sub.choices)
    for name, p in sub.choices.items():
        assert p.format_help().strip(), name
        assert p.description or p.epilog or name


def test_help_does_not_import_torch():
    code = "import sys; from seislearn.cli.main import build_parser; build_parser(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_bad_input_exits_with_a_message_not_a_traceback(tmp_path, capsys):
    assert main(["data", "info", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "empty" in err and "Traceback" not in err
