"""`walab review`: a scenario's snapshot changes walked turn by turn and accepted, rejected or
skipped; what is accepted is written as --snapshot-update writes it, and then matches."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from lab.cli import main
from lab.scenarios.review import kinds_of

ROOT = Path(__file__).parents[2]
SCENARIO = """\
version: 1
flow: company.whatsapp/whatsapp_agent
contacts: [{{name: Maria Souza, wa_id: "5511987654321"}}]
clock: 2026-03-02T12:00:00+00:00
llm:
  scripted: [{first!r}, {second!r}]
steps:
  - user: Oi
  - user: Quanto custa?
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("flows", "prompts", "templates.yaml"):
        os.symlink(ROOT / name, tmp_path / name)
    (tmp_path / "scenarios" / "whatsapp_agent").mkdir(parents=True)
    for var in [v for v in os.environ if v.startswith(("OPENAI_", "WALAB_"))]:
        monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _scenario(project: Path, first: str, second: str) -> None:
    path = project / "scenarios" / "whatsapp_agent" / "price.yaml"
    path.write_text(SCENARIO.format(first=first, second=second))


def _review(monkeypatch, capsys, *args: str, answers: str = "") -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(answers))
    code = main(["review", "scenarios", *args])
    return code, capsys.readouterr().out


SNAPSHOT = Path("scenarios/whatsapp_agent/__snapshots__/price/price.yaml")


def test_review_accepts_rejects_and_writes_per_turn(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    _scenario(project, "Olá!", "Custa R$ 99.")
    code, out = _review(monkeypatch, capsys, "--accept", "all")
    assert code == 0 and "2 accepted" in out and SNAPSHOT.exists()
    assert _review(monkeypatch, capsys)[1].startswith("no snapshot changes")

    _scenario(project, "Oi, tudo bem?", "Custa R$ 129.")
    stored = SNAPSHOT.read_text()
    code, out = _review(monkeypatch, capsys, answers="a\nr\n")
    assert code == 1 and "1 accepted, 1 rejected" in out
    assert "price · turn 2 · text" in out and "≠ bot: Custa R$ 99." in out
    merged = SNAPSHOT.read_text()
    assert merged != stored and "Oi, tudo bem?" in merged and "Custa R$ 99." in merged

    code, out = _review(monkeypatch, capsys, answers="s\n")
    assert code == 1 and "1 skipped" in out and SNAPSHOT.read_text() == merged
    code, out = _review(monkeypatch, capsys, answers="A text\n")
    assert code == 0 and "1 accepted" in out
    assert _review(monkeypatch, capsys)[1].startswith("no snapshot changes")  # now it matches


def test_the_kinds_of_a_change() -> None:
    turn = {
        "user": "Oi",
        "replies": [{"type": "interactive/button", "text": "Olá", "buttons": ["Ver planos"]}],
        "executions": [{"state": "SUCCESS"}],
        "llm": [{"tokens_in": 10, "tokens_out": 5, "cost_usd": 0.001}],
    }
    changed = {
        **turn,
        "replies": [{"type": "interactive/button", "text": "Olá", "buttons": ["Planos"]}],
        "executions": [{"state": "FAILED"}],
    }
    assert kinds_of(turn, changed) == ("buttons", "state")
    assert kinds_of(
        turn, {**turn, "llm": [{"tokens_in": 12, "tokens_out": 5, "cost_usd": 0.002}]}
    ) == ("cost",)
    assert kinds_of(None, turn) == ("added",) and kinds_of(turn, None) == ("removed",)
    assert kinds_of(turn, {**turn, "from": "x"}) == ("other",)
