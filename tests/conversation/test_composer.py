"""The composer's commands, and the errors a mistake gets (nothing typed is lost)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lab.conversation import actions as acts
from lab.conversation.composer import ShowHelp, parse_command
from lab.errors import ConfigError


def test_text_and_commands(tmp_path):
    photo = tmp_path / "conta.jpg"
    photo.write_bytes(b"\xff\xd8")
    assert parse_command("Olá") == acts.SendText("Olá")
    assert parse_command("//start is text") == acts.SendText("/start is text")
    assert parse_command("/image conta.jpg minha conta", project_dir=tmp_path) == acts.SendMedia(
        "image", photo, "minha conta"
    )
    assert parse_command(f"/doc {photo}").kind == "document"
    assert parse_command(f"/media {photo}").kind == "image"
    assert parse_command("/location -23.55, -46.63 Av Paulista") == acts.SendLocation(
        -23.55, -46.63, "Av Paulista"
    )
    assert parse_command("/contact Ana Lima +5511912345678") == acts.SendContacts(
        (acts.ContactCard("Ana Lima", "+5511912345678"),)
    )
    assert parse_command("/react 👍") == acts.React("👍")
    assert parse_command("/reply Sim") == acts.ReplyTo("Sim")
    assert parse_command("/tap Ver planos") == acts.Tap("Ver planos")
    assert parse_command("/advance 25h") == acts.Advance(timedelta(hours=25), "25h")
    late = acts.SendText("Oi", delivered_after=timedelta(hours=25))
    assert parse_command("/late 25h Oi") == late
    assert parse_command("/dup Oi") == acts.SendText("Oi", duplicates=1)
    assert parse_command("/read") == acts.Read()
    assert parse_command("/as João") == acts.SwitchContact("João")
    assert parse_command("/fault rate_limit") == acts.ArmFault("rate_limit", 1)
    assert parse_command("/fault fail_next 2 131026") == acts.ArmFault("fail_next", 2, code=131026)
    assert parse_command("/fault server_error 1 503") == acts.ArmFault(
        "server_error", 1, http_status=503
    )
    assert parse_command("/help") == ShowHelp()


@pytest.mark.parametrize(
    "text, what",
    [
        ("", "nothing to send"),
        ("/image missing.jpg", "no such file"),
        ("/location north", "latitude and a longitude"),
        ("/location 91 0", "not a place on Earth"),
        ("/advance soon", "not a duration"),
        ("/late 25h", "/late needs"),
        ("/frobnicate", "unknown command /frobnicate"),
        ('/image "unclosed', "cannot read the arguments"),
        ("/fault meteor", "/fault needs one of"),
        ("/fault rate_limit 1 131026", "takes no code"),
        ("/as", "/as needs a contact"),
    ],
)
def test_mistakes_say_what_and_how(text, what, tmp_path):
    with pytest.raises(ConfigError) as err:
        parse_command(text, project_dir=tmp_path)
    assert what in err.value.what and err.value.fix
