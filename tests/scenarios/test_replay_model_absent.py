"""A replay decides whether the lead flow asks a model as the recording did, and a failed check
says when the turn's model calls missed the cassette (QA P1-3, P2-6)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lab.conversation.assembly import lead_uses_llm
from lab.llm.cassette import CassetteStore
from lab.llm.scripted import ScriptedReplies

ROOT = Path(__file__).resolve().parents[2]
GREETING_CASSETTE = ROOT / "scenarios" / "whatsapp_agent" / "greeting_plans.cassette.yaml"

SCENARIO = """version: 1
flow: company.whatsapp/lead_qualification
contacts: [{name: Carlos Lima, wa_id: "5541991234567"}]
clock: 2026-03-02T12:00:00+00:00
llm: {source: cassette, cassette: rec.cassette.yaml}
steps:
  - user: Oi, boa tarde
    expect: {state: SUCCESS}
  - user: Moro em Curitiba
    expect: {state: SUCCESS}
"""


class _Settings:
    def __init__(self, mode: str) -> None:
        self.llm_mode, self.llm_upstream_key = mode, None


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("flows", "prompts"):
        os.symlink(ROOT / name, tmp_path / name)
    (tmp_path / "scenarios" / "lead").mkdir(parents=True)
    (tmp_path / "scenarios" / "lead" / "rec.yaml").write_text(SCENARIO, encoding="utf-8")
    for var in [v for v in os.environ if v.startswith(("OPENAI_", "WALAB_"))]:
        monkeypatch.delenv(var)
    return tmp_path


def _play(project: Path):
    from lab.scenarios.loader import expand, load_scenario
    from lab.scenarios.player import Player

    case = expand(load_scenario(project / "scenarios" / "lead" / "rec.yaml"))[0]
    return Player(project_dir=project).play_sync(case)


def test_a_cassette_without_chat_entries_means_no_model(tmp_path: Path) -> None:
    empty = tmp_path / "a.cassette.yaml"
    empty.write_text("version: 1\nentries: []\n", encoding="utf-8")
    replay = _Settings("replay")
    assert not lead_uses_llm(replay, empty, None, CassetteStore(empty))
    assert not lead_uses_llm(
        replay,
        tmp_path / "none.cassette.yaml",
        None,
        CassetteStore(tmp_path / "none.cassette.yaml"),
    )
    assert lead_uses_llm(replay, GREETING_CASSETTE, None, CassetteStore(GREETING_CASSETTE))
    assert not lead_uses_llm(replay, None, None, None)
    scripted = _Settings("scripted")
    assert lead_uses_llm(scripted, None, ScriptedReplies([{"match": ".*", "reply": "outro"}]))
    assert lead_uses_llm(
        scripted, None, ScriptedReplies([])
    )  # a scenario may script no reply on purpose
    assert not lead_uses_llm(scripted, None, None)


def test_a_lead_conversation_recorded_without_a_model_replays(project: Path) -> None:
    (project / "scenarios" / "lead" / "rec.cassette.yaml").write_text(
        "version: 1\nentries: []\n", encoding="utf-8"
    )
    playback = _play(project)
    assert playback.passed, [c.describe() for c in playback.failures]
    assert not any(t.llm_calls for t in playback.transcript.turns)


def test_a_failed_check_says_the_turn_missed_the_cassette(project: Path) -> None:
    from lab.scenarios.assertions import describe_failures

    # A cassette with recordings, none of them this flow's: the model is on and its call misses.
    (project / "scenarios" / "lead" / "rec.cassette.yaml").write_bytes(
        GREETING_CASSETTE.read_bytes()
    )
    playback = _play(project)
    assert not playback.passed
    texts = describe_failures(playback.failures, playback.transcript.turns)
    assert len(texts) == 1 and "execution state" in texts[0], texts
    because = texts[0].split("because:", 1)[1]
    assert "missed the cassette" in because and "last user message 'Moro em Curitiba'" in because
    assert f"`walab replay {project / 'scenarios' / 'lead' / 'rec.yaml'} --llm record`" in because
    assert because.rstrip().endswith("OpenAI-compatible server)")  # whole, not cut


def test_a_turn_error_cutting_a_miss_short_is_followed_by_the_miss_whole() -> None:
    from lab.conversation.model import InboundEvent, Turn
    from lab.llm.model import LLMCall
    from lab.scenarios.assertions import Check, describe_failures

    miss = (
        "replay: no recording of model m (key k). "
        + "x" * 400
        + " `walab replay s.yaml --llm record` end"
    )
    turn = Turn(
        1,
        "55",
        InboundEvent.__new__(InboundEvent),
        verdict="error",
        llm_calls=[LLMCall("e", "m", "replay", 0, 0, status=404, error=miss)],
    )
    cut = f"execution f FAILED at task llm: {miss[:299]}…"
    check = Check(1, 1, "turn finished", False, "ok", f"error: {cut}", 3)
    (text,) = describe_failures([check], [turn])
    summary, because = text.split("\n    because:  ")
    assert (
        summary.endswith(cut)
        and because == f"1 of this turn's 1 model call(s) missed the cassette: {miss}"
    )
