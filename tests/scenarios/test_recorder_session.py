"""The recorder on the real Lab, as the TUI uses it: names, where files go, turns from before the recording."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lab import yamlio
from lab.config import load_settings
from lab.conversation.lab import Lab
from lab.errors import ConfigError
from lab.llm.scripted import ScriptedReplies
from lab.scenarios.loader import expand, load_scenario
from lab.scenarios.player import Player
from lab.scenarios.recorder import Recorder, check_name

ROOT = Path(__file__).parents[2]
CLOCK = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
LEAD = [{"match": ".*", "reply": "outro"}]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("flows", "prompts"):
        os.symlink(ROOT / name, tmp_path / name)
    (tmp_path / "scenarios").mkdir()
    for var in [v for v in os.environ if v.startswith(("OPENAI_", "WALAB_"))]:
        monkeypatch.delenv(var)
    return tmp_path


def _replays(path: Path, project: Path) -> None:
    playback = Player(project_dir=project).play_sync(expand(load_scenario(path))[0])
    assert playback.error is None and not playback.failures, [
        c.describe() for c in playback.failures
    ]


@pytest.mark.parametrize("name", ["../../x", "a/b", "..", "Greeting Plans", "", ".hidden"])
def test_path_like_names_are_refused(name: str) -> None:
    with pytest.raises(ConfigError) as err:
        check_name(name)
    assert "lowercase letters, digits" in err.value.render()


def test_walab_record_refuses_a_path_like_name(project: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "WALAB_"))}
    done = subprocess.run(
        [sys.executable, "-m", "lab", "record", "../../x"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "invalid scenario name '../../x'" in done.stderr and "no `/`, no `..`" in done.stderr
    assert "unexpected" not in done.stderr and not list(project.parent.glob("x*.yaml"))


def test_recording_mid_conversation_includes_the_earlier_turns_and_replays(project: Path) -> None:
    """lead_qualification welcomes and stores the lead on the first message; the second depends on it."""
    settings = load_settings(
        project, namespace="company.whatsapp", flow="lead_qualification", llm_mode="scripted"
    )

    async def session() -> Path:
        async with Lab.open(settings, scripted=ScriptedReplies(LEAD), clock_start=CLOCK) as lab:
            wa_id = settings.contacts[0].wa_id
            await lab.send_text(wa_id, "Oi, boa tarde")
            lab.advance(3600)  # an hour of silence before the recording starts
            rec = Recorder(
                lab, settings.scenarios_dir / "orcamento.yaml", "orcamento"
            )  # as the TUI calls it
            rec.start()
            await lab.send_text(
                wa_id, "Quero um orçamento, minha conta de luz vem uns R$ 450 por mês"
            )
            return rec.stop()

    path = asyncio.run(session())
    assert path == project / "scenarios" / "lead_qualification" / "orcamento.yaml"
    doc = yamlio.load(path)
    assert doc["name"] == "orcamento" and doc["clock"] == CLOCK.isoformat()
    assert [next(iter(s)) for s in doc["steps"]] == ["user", "advance", "user"]
    assert doc["steps"][0]["user"] == "Oi, boa tarde"
    assert doc["steps"][0]["expect"]["replies"][0]["template"]["name"] == "hello_world"
    assert "Solar Casa" in doc["steps"][2]["expect"]["replies"][0]["text"]
    _replays(path, project)


def test_a_restarted_chat_is_not_included(project: Path) -> None:
    settings = load_settings(
        project, namespace="company.whatsapp", flow="lead_qualification", llm_mode="scripted"
    )

    async def session() -> dict:
        async with Lab.open(settings, scripted=ScriptedReplies(LEAD), clock_start=CLOCK) as lab:
            wa_id = settings.contacts[0].wa_id
            await lab.send_text(wa_id, "Oi, boa tarde")
            await lab.restart(wa_id, new_user=True)
            rec = Recorder(lab, settings.scenarios_dir / "fresh.yaml", "fresh")
            rec.start()
            await lab.send_text(wa_id, "Oi de novo")
            return yamlio.load(rec.stop())

    doc = asyncio.run(session())
    assert [s["user"] for s in doc["steps"]] == ["Oi de novo"]


def test_tui_recording_carries_its_own_cassette(project: Path) -> None:
    """In replay mode the session's gateway reads scenarios/; the recorded scenario gets <name>.cassette.yaml."""
    source = ROOT / "scenarios" / "whatsapp_agent"
    shutil.copy(
        source / "greeting_plans.cassette.yaml",
        project / "scenarios" / "greeting_plans.cassette.yaml",
    )
    settings = load_settings(
        project, namespace="company.whatsapp", flow="whatsapp_agent", llm_mode="replay"
    )

    async def session() -> Path:
        async with Lab.open(settings, clock_start=CLOCK) as lab:
            wa_id = settings.contacts[0].wa_id
            await lab.send_text(wa_id, "Oi")
            rec = Recorder(
                lab, settings.scenarios_dir / "planos.yaml", "planos", description="Planos"
            )
            rec.start()
            turn = await lab.tap(wa_id, "Ver planos")
            assert turn.llm_calls, "the tap is answered by the model"
            return rec.stop()

    path = asyncio.run(session())
    assert path.parent == project / "scenarios" / "whatsapp_agent"
    doc = yamlio.load(path)
    assert doc["llm"]["cassette"] == "planos.cassette.yaml" and doc["name"] == "planos"
    cassette = yamlio.load(path.with_name("planos.cassette.yaml"))
    assert len(cassette["entries"]) == 2  # the earlier turn's call and the recorded one
    (
        project / "scenarios" / "greeting_plans.cassette.yaml"
    ).unlink()  # the scenario needs only its own
    _replays(path, project)


def test_an_existing_scenario_in_the_flow_folder_is_not_overwritten(project: Path) -> None:
    from lab.errors import LabError

    settings = load_settings(project, namespace="company.whatsapp", flow="whatsapp_agent")
    kept = project / "scenarios" / "whatsapp_agent" / "planos.yaml"
    kept.parent.mkdir()
    kept.write_text("version: 1\n", encoding="utf-8")

    class Session:  # what the recorder reads before start()
        pass

    lab = Session()
    lab.settings = settings
    with pytest.raises(LabError, match="already exists"):
        Recorder(lab, settings.scenarios_dir / "planos.yaml", "planos")
    assert kept.read_text(encoding="utf-8") == "version: 1\n"
