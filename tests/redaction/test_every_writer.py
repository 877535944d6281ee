"""One redaction policy applied by every writer beyond the recorder: snapshots, compare reports
(JSON and HTML) and load reports hold none of the personal data a conversation carried, and the
same value becomes the same pseudonym in each (a snapshot rendered twice is the same text)."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from lab.cli import main
from lab.load.report import build_report, write_report
from lab.redaction import RedactionPolicy
from lab.scenarios.loader import expand, load_scenario
from lab.scenarios.player import Player
from lab.scenarios.snapshot import render

ROOT = Path(__file__).parents[2]
ORIGINALS = [
    "Joana Araújo",
    "Araújo",
    "529.982.247-25",
    "joana.araujo@gmail.com",
    "5541998765432",
    "(41) 99876-5432",
    "11.222.333/0001-81",
    "80010-010",
]
SCENARIO = """\
# PERSONAL DATA: written with --no-redact; do not commit this file.
version: 1
flow: company.whatsapp/whatsapp_agent
contacts: [{name: Joana Araújo, wa_id: "5541998765432"}]
clock: 2026-03-02T12:00:00+00:00
llm:
  scripted:
    - "Olá Joana Araújo! Anotei o CPF 529.982.247-25 e o e-mail joana.araujo@gmail.com."
    - "Ligo para (41) 99876-5432 sobre a empresa 11.222.333/0001-81, CEP 80010-010."
steps:
  - user: "Sou a Joana Araújo, CPF 529.982.247-25, e-mail joana.araujo@gmail.com"
  - user: "Meu celular é (41) 99876-5432; empresa 11.222.333/0001-81, CEP 80010-010"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("flows", "prompts", "templates.yaml"):
        os.symlink(ROOT / name, tmp_path / name)
    (tmp_path / "scenarios" / "whatsapp_agent").mkdir(parents=True)
    (tmp_path / "scenarios" / "whatsapp_agent" / "pii.yaml").write_text(SCENARIO)
    for var in [v for v in os.environ if v.startswith(("OPENAI_", "WALAB_"))]:
        monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _leaks(text: str) -> list[str]:
    return [value for value in ORIGINALS if value in text]


def test_the_snapshot_holds_no_personal_data_and_is_stable(project: Path) -> None:
    case = expand(load_scenario(project / "scenarios" / "whatsapp_agent" / "pii.yaml"))[0]
    first = Player(project_dir=project).play_sync(case)
    assert first.error is None and not first.failures
    text = render(first.transcript, title="pii", redaction=first.redaction)
    assert _leaks(text) == [] and "Anotei o CPF" in text
    again = Player(project_dir=project).play_sync(case)
    assert render(again.transcript, title="pii", redaction=again.redaction) == text
    plain = render(first.transcript, title="pii")  # no policy: what the conversation said
    assert "529.982.247-25" in plain


def test_compare_reports_hold_no_personal_data(
    project: Path, capsys: pytest.CaptureFixture
) -> None:
    code = main(
        [
            "compare",
            "scenarios",
            "--variants",
            "whatsapp_agent.default,whatsapp_agent.concise",
            "--json",
            "out/compare.json",
            "--html",
            "out/compare.html",
        ]
    )
    out, err = capsys.readouterr()
    assert code in (0, 1), out + err
    for name in ("compare.json", "compare.html"):
        text = (project / "out" / name).read_text()
        assert "Anotei o CPF" in text and _leaks(text) == [], name


def test_load_reports_hold_no_personal_data(tmp_path: Path) -> None:
    said = "Sou a Joana Araújo, CPF 529.982.247-25, celular (41) 99876-5432"
    records = [
        {
            "user": "0/5541998765432",
            "wa_id": "5541998765432",
            "scenario": "pii",
            "step": 1,
            "started": 100.0,
            "ack_ms": 5.0,
            "first_reply_ms": 50.0,
            "turn_ms": 80.0,
            "executions": ["a"],
            "deliveries": 1,
            "outcome": "timeout",
            "replies": ["Olá Joana Araújo! Anotei o CPF 529.982.247-25"],
            "failures": [f"no reply to {said!r}"],
        }
    ]
    lab = {
        "ended_ids": ["a"],
        "executions_running": [],
        "watched_pending": [],
        "executions_ended": {"SUCCESS": 1},
        "meta_errors": {},
        "stop_reason": None,
    }
    outcome = SimpleNamespace(
        lab=lab, seconds=1.0, locust_exit=0, llm_calls=0, llm_cost_usd=0.0, fault_counts={}
    )
    report = build_report(records, outcome, {"target": "embedded", "mode": "closed loop"})
    policy = RedactionPolicy().with_names(["Joana Araújo"])
    paths = write_report(report, records, tmp_path / "load", redaction=policy)
    assert "Anotei o CPF" in (tmp_path / "load" / "turns.csv").read_text()
    for path in paths:
        assert _leaks(path.read_text()) == [], path.name
