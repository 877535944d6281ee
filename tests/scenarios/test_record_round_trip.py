"""`walab record` then `walab replay`: every act the composer offers is written as it was performed
and replays with every check passing, one test per act (lead_qualification, no model).

Both commands run in-process through `lab.cli.main`, as a person types them; the record chat reads
its lines from stdin.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from lab import yamlio
from lab.cli import main
from lab.conversation import actions as acts
from lab.conversation.composer import USAGE, command_names
from lab.errors import ConfigError

ROOT = Path(__file__).parents[2]
BILL = ROOT / "tests" / "conversation" / "data" / "conta_de_luz.png"
CLOCK = "2026-03-02T12:00:00+00:00"
HELLO = ["Oi, boa tarde"]  # the welcome template and a text: something to react and reply to
QUOTE = [*HELLO, "Quero um orçamento, minha conta de luz vem uns R$ 450 por mês"]  # reply buttons

# command -> (lines typed before it, what is typed, the steps it must be written as)
ACTS: dict[str, tuple[list[str], list[str], list[dict[str, Any]]]] = {
    "text": (HELLO, ["Moro em Curitiba"], [{"user": "Moro em Curitiba"}]),
    "/image": (
        [],
        ["/image files/conta.png minha conta"],
        [{"media": {"kind": "image", "path": "files/conta.png", "caption": "minha conta"}}],
    ),
    "/doc": (
        [],
        ["/doc files/conta.pdf"],
        [{"media": {"kind": "document", "path": "files/conta.pdf"}}],
    ),
    "/audio": (
        [],
        ["/audio files/nota.ogg"],
        [{"media": {"kind": "audio", "path": "files/nota.ogg"}}],
    ),
    "/voice": ([], ["/voice files/nota.ogg"], [{"voice": {"path": "files/nota.ogg"}}]),
    "/video": (
        [],
        ["/video files/clipe.mp4"],
        [{"media": {"kind": "video", "path": "files/clipe.mp4"}}],
    ),
    "/sticker": (
        [],
        ["/sticker files/figura.webp"],
        [{"media": {"kind": "sticker", "path": "files/figura.webp"}}],
    ),
    "/media": (
        [],
        ["/media files/nota.ogg"],
        [{"media": {"kind": "audio", "path": "files/nota.ogg"}}],
    ),
    "/location": (
        [],
        ["/location -25.43 -49.27 Curitiba"],
        [{"location": {"lat": -25.43, "lon": -49.27, "name": "Curitiba"}}],
    ),
    "/contact": (
        [],
        ["/contact Ana Lima +5541999998888"],
        [{"contacts": [{"name": "Ana Lima", "phone": "+5541999998888"}]}],
    ),
    "/react": (HELLO, ["/react 👍"], [{"react": "👍"}]),
    "/reply": (HELLO, ["/reply Sim, pode ser"], [{"reply_to": {"text": "Sim, pode ser"}}]),
    "/tap": (QUOTE, ["/tap Agendar visita"], [{"tap": "Agendar visita"}]),
    "/advance": (HELLO, ["/advance 2h", "Voltei"], [{"advance": "2h"}, {"user": "Voltei"}]),
    "/late": (
        HELLO,
        ["/late 25h Ainda está aí?"],
        [{"user": {"text": "Ainda está aí?", "delivered_after": "25h"}}],
    ),
    "/dup": (
        HELLO,
        ["/dup Moro em Curitiba"],
        [{"user": {"text": "Moro em Curitiba", "duplicates": 1}}],
    ),
    "/read": (HELLO, ["/read"], [{"read": True}]),
    "/as": (HELLO, ["/as João", "Olá"], [{"contact": "5521998765432"}, {"user": "Olá"}]),
    "/fault": (
        HELLO,
        ["/fault fail_next 1 131026", "Moro em Curitiba"],
        [{"fault": {"fail_next": 1, "code": 131026}}, {"user": "Moro em Curitiba"}],
    ),
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("flows", "prompts", "templates.yaml"):
        os.symlink(ROOT / name, tmp_path / name)
    (tmp_path / "scenarios").mkdir()
    files = tmp_path / "files"
    files.mkdir()
    shutil.copy(BILL, files / "conta.png")
    for name, data in (
        ("conta.pdf", b"%PDF-1.4\n"),
        ("nota.ogg", b"OggS"),
        ("clipe.mp4", b"\0\0\0\x18ftyp"),
        ("figura.webp", b"RIFF\0\0\0\0WEBP"),
    ):
        (files / name).write_bytes(data)
    for var in [v for v in os.environ if v.startswith(("OPENAI_", "WALAB_"))]:
        monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def record(
    lines: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    options: tuple[str, ...] = ("--no-redact",),
) -> str:
    """`walab record rt`, typing the lines; returns what it printed (acts written exactly as
    performed: no redaction unless `options` leave --no-redact out)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join([*lines, "/quit"]) + "\n"))
    code = main(
        [
            "record",
            "rt",
            "--flow",
            "company.whatsapp/lead_qualification",
            "--clock",
            CLOCK,
            *options,
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "> ! " not in out, out  # no act was refused (an error follows the prompt)
    return out


def test_every_composer_command_has_a_round_trip() -> None:
    offered = {name for name in command_names() if name not in ("/help", "/document")}
    assert offered == set(ACTS) - {"text"}, "a composer command without a round trip below"
    assert set(USAGE) >= {
        "/late 25h TEXT",
        "/dup TEXT",
        "/as NAME [PHONE]",
        "/fault NAME [N] [CODE]",
    }


@pytest.mark.parametrize("command", list(ACTS))
def test_a_recorded_act_replays(
    command: str, project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    before, typed, written = ACTS[command]
    record([*before, *typed], monkeypatch, capsys)
    path = project / "scenarios" / "lead_qualification" / "rt.yaml"
    steps = [{k: v for k, v in s.items() if k != "expect"} for s in yamlio.load(path)["steps"]]
    assert steps[len(before) :] == written, steps
    assert main(["replay", str(path)]) == 0, capsys.readouterr().out


@pytest.mark.parametrize(
    ("key", "value", "act"),
    [
        ("user", "Oi", acts.SendText("Oi")),
        (
            "user",
            {"text": "Oi", "delivered_after": "25h", "duplicates": 1},
            acts.SendText("Oi", timedelta(hours=25), 1),
        ),
        ("tap", "Ver planos", acts.Tap("Ver planos")),
        (
            "media",
            {"kind": "image", "path": "files/conta.png"},
            acts.SendMedia("image", Path("files/conta.png")),
        ),
        (
            "location",
            {"lat": 1.5, "lon": 2, "address": "Rua A"},
            acts.SendLocation(1.5, 2.0, None, "Rua A"),
        ),
        (
            "contacts",
            [{"name": "Ana", "phone": "+55"}],
            acts.SendContacts((acts.ContactCard("Ana", "+55"),)),
        ),
        ("react", {"emoji": "👍", "to": "wamid.X"}, acts.React("👍", "wamid.X")),
        ("reply_to", {"text": "Sim", "to": "wamid.X"}, acts.ReplyTo("Sim", "wamid.X")),
        ("advance", "1h30m", acts.Advance(timedelta(minutes=90), "1h30m")),
        ("wait", {"status": "read", "timeout": "10s"}, acts.Wait("read", 10.0)),
        ("read", True, acts.Read()),
        ("contact", "João", acts.SwitchContact("João")),
        (
            "fault",
            {"server_error": 2, "http_status": 503},
            acts.ArmFault("server_error", 2, http_status=503),
        ),
    ],
)
def test_a_step_reads_into_its_act_and_back(key: str, value: Any, act: acts.Action) -> None:
    assert acts.from_step(key, value) == act
    assert act.to_step() == {key: value}
    assert act.turn == (key in acts.TURN_STEPS)


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("user", {"text": "Oi", "typo": 1}, "user: unexpected value"),
        ("advance", "soon", "not a duration"),
        ("fault", {"rate_limit": 1, "code": 131026}, "fault: unexpected value"),
        ("fault", {"fail_next": 10**9}, "outside 0 to 1,000"),
        ("wait", {"status": "seen"}, "wait: unexpected value"),
        ("tapp", "x", "unknown step key 'tapp'"),
    ],
)
def test_a_wrong_step_says_where_and_what(key: str, value: Any, said: str) -> None:
    with pytest.raises(ConfigError) as err:
        acts.from_step(key, value, "s.yaml:7")
    assert said in err.value.what and err.value.where == "s.yaml:7" and err.value.fix
