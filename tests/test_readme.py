"""The README says what a fresh clone does: commands as they run, every key of the chat, the Pythons supported."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def command_rows() -> list[str]:
    table = README[README.index("| command | what it does |") :]
    return re.findall(r"^\| (`[^|]*`) \|", table.split("\n\n")[0], flags=re.M)


def test_the_command_table_says_commands_as_they_run_from_a_fresh_clone():
    rows = command_rows()
    assert len(rows) >= 10
    not_runnable = [row for row in rows if not row.startswith("`./walab")]
    assert not_runnable == [], "nothing puts walab on the PATH: the table must say ./walab"
    assert "source .venv/bin/activate" in README


def test_every_key_of_the_chat_is_in_the_readme():
    from lab.tui.app import WalabApp
    from lab.tui.screens.chat import ChatScreen

    keys = {b.key for b in [*WalabApp.BINDINGS, *ChatScreen.BINDINGS]} | {"ctrl+p"}
    written = {"escape": "esc"}
    missing = sorted(k for k in keys if f"`{written.get(k, k)}`" not in README)
    assert missing == []


def test_what_the_readme_writes_under_out_is_not_committed():
    assert "--json out/" in README
    assert "out/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_the_supported_pythons_are_said_the_same_everywhere():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["requires-python"] == ">=3.11,<3.14"
    classified = [
        c.rsplit(" ", 1)[1]
        for c in project["classifiers"]
        if c.startswith("Programming Language :: Python :: 3.")
    ]
    assert classified == ["3.11", "3.12", "3.13"]
    assert "supported=(3.11 3.12 3.13)" in (ROOT / "walab").read_text(encoding="utf-8")
    assert "3.11, 3.12 or 3.13" in README
    assert (
        README.count('matrix: {python-version: ["3.11", "3.12", "3.13"]}') == 2
    )  # both GitHub Actions examples
