"""`walab record` adds a new contact (issue 15): `/as NAME PHONE`, the number as people write it,
adds the contact and chats as them; the scenario lists them and replays."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab import yamlio
from lab.cli import main
from lab.conversation import actions as acts
from lab.conversation.composer import parse_command
from lab.errors import ConfigError

from .test_record_round_trip import HELLO, project, record  # noqa: F401 - the project fixture


def test_as_with_a_phone_is_a_new_contact_and_a_name_with_a_digit_is_not() -> None:
    assert parse_command("/as Ana Lima +55 (41) 99999-8888") == acts.SwitchContact(
        "Ana Lima", number="5541999998888"
    )
    assert parse_command("/as João") == acts.SwitchContact("João")
    assert parse_command("/as +55 21 99876-5432") == acts.SwitchContact("+55 21 99876-5432")
    assert parse_command("/as Pessoa 3") == acts.SwitchContact("Pessoa 3")
    with pytest.raises(ConfigError, match="not a valid phone number: '41 9999-88'"):
        parse_command("/as Ana 41 9999-88")


def test_record_adds_a_contact_who_then_speaks_and_the_scenario_replays(
    project: Path,  # noqa: F811 - the fixture imported above
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    out = record(
        [*HELLO, "/as Ana Lima +55 (41) 99999-8888", "Quero um orçamento"], monkeypatch, capsys
    )
    assert "added as a new contact; now chatting as Ana Lima (5541999998888)" in out
    assert "Ana Lima> " in out  # the prompt names who is typing
    path = project / "scenarios" / "lead_qualification" / "rt.yaml"
    scenario = yamlio.load(path)
    assert {"name": "Ana Lima", "wa_id": "5541999998888"} in scenario["contacts"]
    steps = [{k: v for k, v in s.items() if k != "expect"} for s in scenario["steps"]]
    assert steps[-2:] == [{"contact": "5541999998888"}, {"user": "Quero um orçamento"}]
    assert main(["replay", str(path)]) == 0, capsys.readouterr().out


def test_record_help_says_how_to_add_a_contact(
    project: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    out = record(["/help"], monkeypatch, capsys)
    assert "/as NAME [PHONE]" in out and "/as Ana Lima +55 11 91234-5678" in out
