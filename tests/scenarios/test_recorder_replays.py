"""What the recorder writes plays back: media files, late webhooks, clock moves, the scenario's clock.

Each test records on the real Lab (lead_qualification, no model), then replays the file and
expects every check to pass.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from lab import yamlio
from lab.config import load_settings
from lab.conversation.actions import Advance
from lab.conversation.composer import USAGE
from lab.conversation.lab import Lab
from lab.llm.scripted import ScriptedReplies
from lab.scenarios.loader import expand, load_scenario
from lab.scenarios.player import Player
from lab.scenarios.recorder import Recorder, duration_text

ROOT = Path(__file__).parents[2]
CLOCK = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
BILL = ROOT / "tests" / "conversation" / "data" / "conta_de_luz.png"
LATE = timedelta(hours=25)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("flows", "prompts", "templates.yaml"):
        os.symlink(ROOT / name, tmp_path / name)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "files").mkdir()
    shutil.copy(BILL, tmp_path / "files" / "conta.png")
    for var in [v for v in os.environ if v.startswith(("OPENAI_", "WALAB_"))]:
        monkeypatch.delenv(var)
    return tmp_path


def _settings(project: Path) -> object:
    return load_settings(
        project, namespace="company.whatsapp", flow="lead_qualification", llm_mode="scripted"
    )


def _replays(path: Path, project: Path) -> None:
    playback = Player(project_dir=project).play_sync(expand(load_scenario(path))[0])
    assert playback.error is None and not playback.failures, (
        playback.error,
        [c.describe() for c in playback.failures],
    )


def _record(
    project: Path, before, during, *, clock_start: datetime | None = CLOCK
) -> tuple[Recorder, Path]:
    """Run `before(lab, wa_id)`, start a recorder as the TUI does (no clock given), run `during`."""
    settings = _settings(project)

    async def session() -> tuple[Recorder, Path]:
        async with Lab.open(settings, scripted=ScriptedReplies([]), clock_start=clock_start) as lab:
            wa_id = settings.contacts[0].wa_id
            await before(lab, wa_id)
            rec = Recorder(lab, settings.scenarios_dir / "rec.yaml", "rec")
            rec.start()
            await (
                during(lab, wa_id, rec) if during.__code__.co_argcount == 3 else during(lab, wa_id)
            )
            return rec, rec.stop()

    return asyncio.run(session())


def test_a_recorded_image_names_its_file_and_replays(project: Path) -> None:
    async def nothing(lab, wa_id):
        pass

    async def images(lab, wa_id):
        await lab.send_text(wa_id, "Oi")
        await lab.send_media(wa_id, "image", project / "files" / "conta.png", caption="minha conta")
        # outside the project: copied beside the scenario
        await lab.send_media(wa_id, "image", BILL)

    _, path = _record(project, nothing, images)
    media = [s["media"] for s in yamlio.load(path)["steps"] if "media" in s]
    copy = path.with_name(f"{path.stem}.{BILL.name}")
    assert media == [
        {"kind": "image", "path": "files/conta.png", "caption": "minha conta"},
        {"kind": "image", "path": copy.relative_to(project).as_posix()},
    ]
    assert copy.read_bytes() == BILL.read_bytes()
    _replays(path, project)


def test_a_late_webhook_is_recorded_with_its_delay_and_replays(project: Path) -> None:
    async def nothing(lab, wa_id):
        pass

    async def late(lab, wa_id):
        await lab.send_text(wa_id, "Oi")
        await lab.send_text(wa_id, "Ainda está aí?", delivered_after=LATE)  # the TUI's /late 25h

    _, path = _record(project, nothing, late)
    steps = yamlio.load(path)["steps"]
    assert steps[1]["user"] == {"text": "Ainda está aí?", "delivered_after": "25h"}
    assert steps[1]["expect"]["violation"] == 131047
    _replays(path, project)


def test_late_webhooks_and_clock_moves_before_the_recording_are_kept(project: Path) -> None:
    """The QA's case: /late and /advance 25h happened before F3; the typing pause is not a clock move."""

    async def before(lab, wa_id):
        await lab.send_text(wa_id, "Oi")
        await lab.send_text(wa_id, "Ainda está aí?", delivered_after=LATE)
        lab.advance(LATE)
        lab.clock.advance(
            9
        )  # the seconds the person took to type (the TUI's clock follows the wall)

    async def after(lab, wa_id):
        await lab.send_text(wa_id, "Minha conta é de 300 reais")

    rec, path = _record(project, before, after)
    steps = yamlio.load(path)["steps"]
    assert steps[1]["user"] == {"text": "Ainda está aí?", "delivered_after": "25h"}
    assert steps[2] == {"advance": "25h"}
    assert (rec.turns, rec.earlier_count) == (3, 2)
    _replays(path, project)


def test_the_clock_is_the_first_turns_not_when_recording_started(project: Path) -> None:
    async def nothing(lab, wa_id):
        pass

    async def wait_then_write(lab, wa_id):
        lab.clock.advance(40)  # F3, then 40 s before the first message
        await lab.send_text(wa_id, "Oi")

    _, path = _record(project, nothing, wait_then_write)
    assert yamlio.load(path)["clock"] == (CLOCK + timedelta(seconds=40)).isoformat()
    _replays(path, project)


def test_a_first_advance_starts_the_clock_before_it(project: Path) -> None:
    async def nothing(lab, wa_id):
        pass

    async def advance_then_write(lab, wa_id, rec):
        lab.clock.advance(10)
        await lab.perform(wa_id, Advance(LATE, "25h"))  # the TUI's and `walab record`'s /advance
        await lab.send_text(wa_id, "Oi")

    _, path = _record(project, nothing, advance_then_write)
    doc = yamlio.load(path)
    assert doc["clock"] == (CLOCK + timedelta(seconds=10)).isoformat() and doc["steps"][0] == {
        "advance": "25h"
    }
    _replays(path, project)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (90009, "25h"),
        (90000, "25h"),
        (5400, "1h30m"),
        (45, "45s"),
        (125, "2m5s"),
        (3600 * 48 + 59, "48h"),
    ],
)
def test_clock_moves_are_written_as_a_person_writes_them(seconds: int, text: str) -> None:
    from lab.clock import parse_duration

    assert duration_text(seconds) == text
    assert parse_duration(text).total_seconds() == (
        seconds // 60 * 60 if seconds >= 3600 else seconds
    )


def test_the_tui_counts_every_turn_in_the_file(project: Path) -> None:
    from lab.tui.recording import Recording

    async def before(lab, wa_id):
        await lab.send_text(wa_id, "Oi")
        await lab.send_text(wa_id, "Quero um orçamento")

    async def after(lab, wa_id):
        await lab.send_text(wa_id, "Minha conta é de 300 reais")

    rec, path = _record(project, before, after)
    recording = Recording("rec", path, rec)
    assert recording.turns == 3 == len([s for s in yamlio.load(path)["steps"] if "expect" in s])
    assert recording.status() == "rec · 3 turns (2 before recording) → rec.yaml"


def _walab_record(project: Path, lines: list[str], *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "WALAB_"))}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "lab",
            "record",
            "cli",
            "--flow",
            "company.whatsapp/lead_qualification",
            "--clock",
            CLOCK.isoformat(),
            *args,
        ],
        cwd=project,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )


def test_walab_record_without_a_key_takes_the_tui_commands_and_replays(project: Path) -> None:
    done = _walab_record(
        project,
        [
            "/help",
            "Oi",
            "/image files/conta.png minha conta",
            "/late 25h Ainda está aí?",
            "/advance 2h",
            "/as João",
            "Olá",
            "/quit",
        ],
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for usage in [*USAGE, "/quit"]:  # the TUI composer's commands, and its own
        assert f"  {usage} " in done.stdout, usage
    assert "LLM no model" in done.stdout and "now chatting as João Pereira" in done.stdout
    path = project / "scenarios" / "lead_qualification" / "cli.yaml"
    doc = yamlio.load(path)
    assert doc["llm"] == {"source": "none"}  # recorded with no model: replays without one
    assert [next(iter(s)) for s in doc["steps"]] == [
        "user",
        "media",
        "user",
        "advance",
        "contact",
        "user",
    ]
    assert doc["steps"][1]["media"]["path"] == "files/conta.png"
    assert doc["steps"][2]["user"] == {"text": "Ainda está aí?", "delivered_after": "25h"}
    assert doc["steps"][3] == {"advance": "2h"}
    _replays(path, project)


def test_walab_record_with_a_model_mode_still_needs_a_key(project: Path) -> None:
    done = _walab_record(project, ["/quit"], "--llm", "record")
    assert done.returncode == 2
    assert "--llm record talks to a real model" in done.stderr and "--llm scripted" in done.stderr


def test_the_record_chat_does_not_import_textual() -> None:
    code = (
        "import sys, lab.scenarios.cli_record, lab.conversation.composer, lab.conversation.actions\n"
        "sys.exit(1 if any(m == 'textual' or m.startswith('textual.') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
