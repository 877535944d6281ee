"""Media a user sends, as Meta posts it: a `url` the Graph API serves, and `voice` only for a voice note."""

from __future__ import annotations

from pathlib import Path

from .conftest import MARIA

SCRIPT = [{"match": ".", "reply": '{"text": "Recebi!"}'}]


def media_node(turn, kind: str) -> dict:
    return turn.inbound.payload["entry"][0]["changes"][0]["value"]["messages"][0][kind]


async def test_a_media_webhook_carries_a_url_the_fake_graph_api_serves(open_lab, tmp_path: Path):
    photo = tmp_path / "conta.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 a small jpeg")
    async with open_lab(flow="whatsapp_agent", scripted=SCRIPT) as lab:
        turn = await lab.send_media(MARIA, "image", photo)
        node = media_node(turn, "image")
        assert node["url"].startswith(f"{lab.settings.base_url}/graph/media/download/{node['id']}?")
        download = await lab.parts.http.get(
            node["url"], headers={"Authorization": f"Bearer {lab.settings.access_token}"}
        )
        assert download.status_code == 200 and download.content == photo.read_bytes()
        assert download.headers["content-type"].startswith("image/jpeg")
        refused = await lab.parts.http.get(node["url"])  # the URL alone is not enough, as at Meta
        assert refused.status_code == 401


async def test_only_an_ogg_opus_voice_note_is_a_voice_note(open_lab, tmp_path: Path):
    from lab.voice.synth import synthesise

    song, note = tmp_path / "song.mp3", tmp_path / "nota.ogg"
    song.write_bytes(b"ID3 an mp3")
    note.write_bytes(synthesise("Oi, tudo bem?"))
    async with open_lab(flow="whatsapp_agent", scripted=SCRIPT) as lab:
        mp3 = media_node(await lab.send_media(MARIA, "audio", song), "audio")
        ogg = media_node(await lab.send_media(MARIA, "audio", note), "audio")
    assert (mp3["voice"], mp3["mime_type"]) == (False, "audio/mpeg")
    assert (ogg["voice"], ogg["mime_type"]) == (True, "audio/ogg; codecs=opus") and ogg["url"]
