"""Cassettes: stable keys, reviewable YAML, no secrets, atomic writes, clear errors."""

from __future__ import annotations

import pytest

from lab import yamlio
from lab.errors import ConfigError
from lab.llm.canonical import chat_key
from lab.llm.cassette import CassetteStore
from lab.llm.scrub import Scrubber

from .conftest import GATEWAY_KEY, UPSTREAM_KEY, make_gateway
from .test_modes import client, conversation


def test_the_key_ignores_key_order_nulls_stream_and_user_but_not_what_decides_the_answer():
    a = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "oi", "name": None}],
        "temperature": 1,
    }
    b = {
        "temperature": 1.0,
        "stream": True,
        "user": "x",
        "messages": [{"content": "oi", "role": "user"}],
        "model": "gpt-4o-mini",
    }
    assert chat_key(a).key == chat_key(b).key and len(chat_key(a).key) == 16
    assert chat_key({**a, "temperature": 0.5}).key != chat_key(a).key
    assert chat_key({**a, "seed": 1}).key != chat_key(a).key
    assert (
        chat_key({**a, "tools": [{"type": "function", "function": {"name": "f"}}]}).key
        != chat_key(a).key
    )
    changed_system = {**a, "messages": [{"role": "system", "content": "x"}, *a["messages"]]}
    assert chat_key(changed_system).conversation_hash == chat_key(a).conversation_hash


async def test_no_secret_reaches_a_cassette(upstream, serve_gateway, cassette_path):
    lab = serve_gateway(make_gateway("record", upstream, cassette_path))
    leaked = [
        {
            "role": "system",
            "content": f"Chave interna: {UPSTREAM_KEY}. Token Meta: EAAWxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        },
        {
            "role": "user",
            "content": f"meu header é Authorization: Bearer abc.def-ghi e a chave {GATEWAY_KEY}",
        },
    ]
    await client(lab).chat.completions.create(
        model="gpt-4o-mini", messages=leaked, extra_body={"metadata": {"api_key": "plainvalue123"}}
    )
    text = cassette_path.read_text()
    for secret in (
        UPSTREAM_KEY,
        GATEWAY_KEY,
        "EAAWxxxxxxxx",
        "abc.def-ghi",
        "sk-test",
        "Bearer abc",
    ):
        assert secret not in text, secret
    assert "[REDACTED]" in text
    # The request still replays: the key was computed before scrubbing.
    data = yamlio.load(cassette_path)
    assert data["version"] == 1 and data["entries"][0]["summary"]["model"] == "gpt-4o-mini"
    assert data["entries"][0]["reply"].startswith("eco:")


def test_scrubber_redacts_fields_by_name_and_values_by_shape():
    s = Scrubber(["my-exact-secret-value"])
    out = s.data(
        {
            "Authorization": "Bearer x",
            "headers": {"api-key": "abc"},
            "note": "use sk-proj-ABCDEFGH1234 here",
            "aws": "AKIAABCDEFGHIJKLMNOP",
            "mine": "x my-exact-secret-value y",
            "n": 3,
        }
    )
    assert out == {
        "Authorization": "[REDACTED]",
        "headers": {"api-key": "[REDACTED]"},
        "note": "use [REDACTED] here",
        "aws": "[REDACTED]",
        "mine": "x [REDACTED] y",
        "n": 3,
    }


async def test_recording_writes_atomically_and_rerecording_replaces_the_entry(
    upstream, serve_gateway, cassette_path
):
    lab = serve_gateway(make_gateway("record", upstream, cassette_path))
    await client(lab).chat.completions.create(model="gpt-4o-mini", messages=conversation("oi"))
    assert [p.name for p in cassette_path.parent.iterdir()] == [
        cassette_path.name
    ]  # no temp file left behind
    again = serve_gateway(make_gateway("record", upstream, cassette_path))
    await client(again).chat.completions.create(model="gpt-4o-mini", messages=conversation("oi"))
    assert len(yamlio.load(cassette_path)["entries"]) == 1


def test_a_bad_cassette_names_the_file(tmp_path):
    bad = tmp_path / "x.cassette.yaml"
    bad.write_text("version: 7\nentries: []\n")
    with pytest.raises(ConfigError) as info:
        CassetteStore(bad).lookup("k")
    assert str(bad) in str(info.value) and "version" in str(info.value)
    bad.write_text("version: 1\nentries:\n- key: k\n  kind: chat\n")
    with pytest.raises(ConfigError, match="lacks request, response or stream"):
        CassetteStore(bad).lookup("k")


def test_a_directory_store_finds_every_cassette(tmp_path):
    (tmp_path / "a").mkdir()
    for name in ("a/one.cassette.yaml", "two.cassette.yaml"):
        (tmp_path / name).write_text(
            "version: 1\nentries:\n- {key: k%s, kind: chat, request: {}, response: {}}\n"
            % len(name)
        )
    (tmp_path / "scenario.yaml").write_text("not: a cassette\n")
    store = CassetteStore(tmp_path)
    assert [p.name for p in store.files] == ["one.cassette.yaml", "two.cassette.yaml"]
    assert store.lookup("k17") is not None and store.lookup("k19") is not None


async def test_a_directory_store_records_into_recorded_cassette(upstream, serve_gateway, tmp_path):
    from lab.llm.gateway import LLMGateway

    store = CassetteStore(tmp_path)
    assert store.record_to == tmp_path / "recorded.cassette.yaml"
    gw = LLMGateway(
        mode="record",
        key=GATEWAY_KEY,
        upstream_url=upstream.url,
        upstream_key=UPSTREAM_KEY,
        cassettes=store,
    )
    await client(serve_gateway(gw)).chat.completions.create(
        model="gpt-4o-mini", messages=conversation("oi")
    )
    assert yamlio.load(tmp_path / "recorded.cassette.yaml")["entries"][0]["reply"] == "eco: oi"


async def test_a_cassette_that_cannot_be_written_is_reported_on_the_call_not_to_the_flow(
    upstream, serve_gateway, tmp_path
):
    from lab.llm.gateway import LLMGateway

    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = CassetteStore(
        [], record_to=blocker / "sub" / "c.cassette.yaml"
    )  # a file where a directory should be
    gw = LLMGateway(
        mode="record",
        key=GATEWAY_KEY,
        upstream_url=upstream.url,
        upstream_key=UPSTREAM_KEY,
        cassettes=store,
    )
    reply = await client(serve_gateway(gw)).chat.completions.create(
        model="gpt-4o-mini", messages=conversation("oi")
    )
    assert reply.choices[0].message.content == "eco: oi"
    assert gw.calls()[0].error.startswith("not recorded:")


async def test_an_internal_bug_becomes_an_openai_error_not_a_dropped_connection(monkeypatch):
    import httpx

    from lab.llm.gateway import LLMGateway

    gw = LLMGateway(mode="scripted", key=GATEWAY_KEY)
    monkeypatch.setattr(
        gw.canned, "scripted", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom"))
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gw.app), base_url="http://lab"
    ) as http:
        resp = await http.post(
            "/v1/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "oi"}]},
            headers={"Authorization": f"Bearer {GATEWAY_KEY}"},
        )
    assert (
        resp.status_code == 500
        and "internal error in the walab LLM gateway: RuntimeError: boom" in resp.text
    )


def _entry(i: int, occurrence: int = 0):
    from lab.llm.cassette import CassetteEntry

    body = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": f"mensagem {i}\ncom duas linhas"}],
    }
    return CassetteEntry(
        key=chat_key(body).key,
        occurrence=occurrence,
        kind="chat",
        model="gpt-4o-mini",
        summary={"last_user": f"mensagem {i}"},
        request=body,
        usage={"prompt_tokens": 9},
        response={"choices": [{"message": {"role": "assistant", "content": f"resposta {i}"}}]},
        reply=f"resposta {i}",
        recorded_at="2026-01-05T12:00:00Z",
    )


def test_recording_appends_each_entry_and_the_file_reads_as_if_written_whole(tmp_path):
    from lab.llm.cassette import Cassette

    path = tmp_path / "a.cassette.yaml"
    store = CassetteStore(path)
    store.record(_entry(0))  # a new file is written whole, atomically
    first = path.stat().st_ino
    for i in range(1, 4):
        store.record(_entry(i))
    assert path.stat().st_ino == first  # appended in place, not rewritten
    on_disk = path.read_text()
    whole = Cassette.load(path)
    whole.save()  # what writing the whole cassette gives
    assert path.read_text() == on_disk and len(whole.entries) == 4
    first = path.stat().st_ino
    # A re-recording of an existing entry rewrites the file (atomic replace), keeping the others.
    again = _entry(2)
    again.reply = "outra"
    CassetteStore(path).record(again)
    assert path.stat().st_ino != first
    assert [e.reply for e in Cassette.load(path).entries] == [
        "resposta 0",
        "resposta 1",
        "resposta 3",
        "outra",
    ]


@pytest.mark.parametrize("cut", [25, 120, -1])
def test_a_recording_killed_mid_append_loses_only_that_entry(tmp_path, cut):
    from lab.llm.cassette import Cassette

    path = tmp_path / "a.cassette.yaml"
    store = CassetteStore(path)
    for i in range(3):
        store.record(_entry(i))
    text = path.read_text()
    last = text.rfind("\n- key:") + 1
    torn = text[: last + cut] if cut > 0 else text[:-1] + "  response: {choices: [\n"
    path.write_text(torn)
    assert [e.reply for e in Cassette.load(path).entries] == ["resposta 0", "resposta 1"]
    store = CassetteStore(path)  # recording goes on: the torn tail is dropped by a whole rewrite
    store.record(_entry(5))
    assert [e.reply for e in Cassette.load(path).entries] == [
        "resposta 0",
        "resposta 1",
        "resposta 5",
    ]
    assert "com duas linhas" in path.read_text() and yamlio.load(path)["version"] == 1


def test_a_hand_edited_cassette_is_rewritten_before_appending(tmp_path):
    from lab.llm.cassette import Cassette

    path = tmp_path / "a.cassette.yaml"
    CassetteStore(path).record(_entry(0))
    data = yamlio.load(path)
    path.write_text(
        yamlio.dumps({"entries": data["entries"], "version": 1})
    )  # entries no longer last
    CassetteStore(path).record(_entry(1))
    assert [e.reply for e in Cassette.load(path).entries] == ["resposta 0", "resposta 1"]


def test_a_folder_not_made_yet_records_into_a_cassette_inside_it(tmp_path):
    """A project's scenarios/ before its first recording: a folder to make, never a file of that name."""
    store = CassetteStore(tmp_path / "scenarios")
    assert store.record_to == tmp_path / "scenarios" / "recorded.cassette.yaml"
    assert CassetteStore(tmp_path / "new.cassette.yaml").record_to == tmp_path / "new.cassette.yaml"


def test_has_entries_reads_the_kind_lines_without_parsing_and_agrees_with_a_parse(tmp_path):
    from lab.llm.cassette import Cassette

    written = tmp_path / "written.cassette.yaml"
    cassette = Cassette(written)
    cassette.add(_entry(1))
    embeddings = tmp_path / "emb.cassette.yaml"
    embeddings.write_text(
        "version: 1\nentries:\n- key: e\n  kind: embeddings\n  request: {}\n  response: {}\n"
    )
    flow_style = tmp_path / "flow.cassette.yaml"
    flow_style.write_text(
        "version: 1\nentries:\n- {key: k, kind: chat, request: {}, response: {}}\n"
    )
    empty = tmp_path / "empty.cassette.yaml"
    empty.write_text("version: 1\nentries: []\n")
    for path, chat in ((written, True), (embeddings, False), (flow_style, True), (empty, False)):
        lazy, loaded = CassetteStore(path), CassetteStore(path)
        loaded.lookup("none")
        assert lazy.has_entries("chat") is loaded.has_entries("chat") is chat, path.name
        assert lazy.has_entries() is loaded.has_entries() is (path is not empty), path.name
    store = CassetteStore(written)
    assert store.has_entries("chat") and store._cassettes is None  # answered without parsing


def test_a_cassette_is_parsed_once_per_version_of_its_file(tmp_path, monkeypatch):
    from lab.llm.cassette import Cassette

    path = tmp_path / "a.cassette.yaml"
    store = CassetteStore(path)
    for i in range(2):
        store.record(_entry(i))
    parses = []
    loads = yamlio.loads
    monkeypatch.setattr(yamlio, "loads", lambda *a, **k: parses.append(1) or loads(*a, **k))
    first, second = Cassette.load(path), Cassette.load(path)
    assert len(parses) == 1 and len(first.entries) == len(second.entries) == 2
    first.entries.append(_entry(9))  # each load has a list of its own
    assert len(Cassette.load(path).entries) == 2 and len(parses) == 1
    store.record(_entry(2))  # appended: another version of the file, parsed afresh
    assert [e.reply for e in Cassette.load(path).entries][-1] == "resposta 2"
    assert len(parses) == 2
    again = _entry(1)
    again.reply = "outra"  # re-recorded: the file is replaced
    CassetteStore(path).record(again)
    assert "outra" in [e.reply for e in Cassette.load(path).entries] and len(parses) == 3
