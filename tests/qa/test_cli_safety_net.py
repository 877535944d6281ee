"""The walab command never shows a traceback for an unexpected error, unless asked to (WALAB_DEBUG)."""

from __future__ import annotations

import sys
import types

import pytest

from lab import cli


@pytest.fixture
def broken_command(monkeypatch):
    module = types.ModuleType("qa_broken_command")
    module.configure = lambda parser: parser.add_argument("name")

    def run(args):
        raise ValueError(f"Invalid name {args.name!r}")

    module.run = run
    monkeypatch.setitem(sys.modules, "qa_broken_command", module)
    monkeypatch.setitem(cli.COMMANDS, "broken", ("qa_broken_command", "a command with a bug"))


def test_unexpected_error_is_one_clear_line(broken_command, capsys, monkeypatch):
    monkeypatch.delenv("WALAB_DEBUG", raising=False)
    assert cli.main(["broken", "../x"]) == 1
    err = capsys.readouterr().err
    assert "walab broken: unexpected error: ValueError: Invalid name '../x'" in err
    assert "WALAB_DEBUG=1" in err and "Traceback" not in err


def test_walab_debug_shows_the_traceback(broken_command, monkeypatch):
    monkeypatch.setenv("WALAB_DEBUG", "1")
    with pytest.raises(ValueError):
        cli.main(["broken", "x"])
