"""The composer's commands, and the errors a mistake gets (nothing typed is lost)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lab.errors import ConfigError
from lab.tui import composer_syntax as cs


def test_text_and_commands(tmp_path):
    photo = tmp_path / "conta.jpg"
    photo.write_bytes(b"\xff\xd8")
    assert cs.parse("Olá") == cs.SendText("Olá")
    assert cs.parse("//start is text") == cs.SendText("/start is text")
    assert cs.parse("/image conta.jpg minha conta", project_dir=tmp_path) == cs.SendMedia("image", photo, "minha conta")
    assert cs.parse(f"/doc {photo}").kind == "document"
    assert cs.parse("/location -23.55, -46.63 Av Paulista") == cs.SendLocation(-23.55, -46.63, "Av Paulista")
    assert cs.parse("/contact Ana Lima +5511912345678") == cs.SendContact("Ana Lima", "+5511912345678")
    assert cs.parse("/react 👍") == cs.React("👍")
    assert cs.parse("/reply Sim") == cs.ReplyTo("Sim")
    assert cs.parse("/tap Ver planos") == cs.Tap("Ver planos")
    assert cs.parse("/advance 25h") == cs.Advance(timedelta(hours=25), "25h")
    assert cs.parse("/late 25h Oi") == cs.SendLate(timedelta(hours=25), "Oi")
    assert cs.parse("/read") == cs.MarkRead()
    assert cs.parse("/help") == cs.ShowHelp()


@pytest.mark.parametrize("text, what", [
    ("", "nothing to send"),
    ("/image missing.jpg", "no such file"),
    ("/location north", "latitude and a longitude"),
    ("/location 91 0", "not a place on Earth"),
    ("/advance soon", "not a duration"),
    ("/late 25h", "/late needs"),
    ("/frobnicate", "unknown command /frobnicate"),
    ('/image "unclosed', "cannot read the arguments"),
])
def test_mistakes_say_what_and_how(text, what, tmp_path):
    with pytest.raises(ConfigError) as err:
        cs.parse(text, project_dir=tmp_path)
    assert what in err.value.what and err.value.fix
