"""Every file `walab record` writes is free of the personal data typed into it, and still replays:
a conversation full of pt-BR personal data recorded against the stub model on loopback, scanned
for each original value, then replayed green from its cassette (redaction keeps what checks mean)."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from lab import yamlio
from lab.cli import main
from lab.redaction import NOTICE
from lab.scenarios.loader import expand, load_scenario
from lab.scenarios.player import Player

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "tests" / "scenarios"))
from stub_llm import serve  # noqa: E402

CLOCK = "2026-03-02T12:00:00+00:00"
ORIGINALS = [
    "529.982.247-25",
    "52998224725",
    "(41) 99876-5432",
    "41998765432",
    "joana.araujo@gmail.com",
    "Joana Araújo",
    "Araújo",
    "Marechal",
    "Deodoro",
    ", 450",
    "80010-010",
    "4111 1111 1111 1111",
    "Maria Souza",
    "5511987654321",
    "11.222.333/0001-81",
]
TYPED = [
    "Oi, sou a Joana Araújo, CPF 529.982.247-25",
    "Meu celular é (41) 99876-5432 e o e-mail joana.araujo@gmail.com",
    "Moro na Rua Marechal Deodoro, 450, CEP 80010-010; a empresa é 11.222.333/0001-81",
    "/contact Joana Araújo +5541998765432",
    "Quero ver os planos",
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("flows", "prompts", "templates.yaml"):
        os.symlink(ROOT / name, tmp_path / name)
    (tmp_path / "scenarios").mkdir()
    for var in [v for v in os.environ if v.startswith(("OPENAI_", "WALAB_"))]:
        monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _record(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, url: str, *options: str
) -> str:
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub-0123456789abcdef")
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join([*TYPED, "/quit"]) + "\n"))
    code = main(
        ["record", "pii", "--flow", "company.whatsapp/whatsapp_agent", "--clock", CLOCK, *options]
    )
    out, err = capsys.readouterr()
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    assert code == 0, out + err
    return out


def test_recorded_scenario_and_cassette_hold_no_personal_data_and_replay_green(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    with serve() as (url, stub):
        _record(monkeypatch, capsys, url)
        assert stub.requests >= 3
    folder = project / "scenarios" / "whatsapp_agent"
    written = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.is_file()}
    assert set(written) == {"pii.yaml", "pii.cassette.yaml"}
    for name, text in written.items():
        for original in ORIGINALS:
            assert original not in text, f"{original!r} in {name}"
        assert NOTICE not in text
    playback = Player(project_dir=project).play_sync(expand(load_scenario(folder / "pii.yaml"))[0])
    assert playback.error is None and not playback.failures, (
        playback.error,
        [c.describe() for c in playback.failures],
    )
    steps = yamlio.load(folder / "pii.yaml")["steps"]
    assert steps[0]["user"].startswith("Oi, sou a ") and "CPF " in steps[0]["user"]


def test_no_redact_keeps_the_data_and_says_so(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    with serve() as (url, _stub):
        out = _record(monkeypatch, capsys, url, "--no-redact")
    assert "--no-redact" in out and "personal data" in out
    text = (project / "scenarios" / "whatsapp_agent" / "pii.yaml").read_text(encoding="utf-8")
    assert text.startswith(NOTICE) and "529.982.247-25" in text
