"""KV store: types, TTL on the engine clock, the kv tasks and the kv()/secret()/read() functions."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import pytest
from engine_helpers import flow, outputs, run

from lab.clock import VirtualClock
from lab.kestra.engine import Engine
from lab.kestra.engine.store import KVExpired


def test_ttl_follows_the_engine_clock():
    clock = VirtualClock(datetime(2026, 1, 1, tzinfo=timezone.utc))
    engine = Engine(clock=clock)
    engine.kv.set("ns", "session", {"turns": 1}, ttl=60)
    assert engine.kv.get("ns", "session") == {"turns": 1}
    assert engine.kv.entry("ns", "session").type == "JSON"
    clock.advance(61)
    with pytest.raises(KVExpired):
        engine.kv.get("ns", "session")
    assert engine.kv.keys("ns") == []
    with pytest.raises(KeyError):
        engine.kv.get("ns", "absent")


def test_types_and_revisions():
    engine = Engine()
    engine.kv.set("ns", "n", "42", kind="NUMBER")
    engine.kv.set("ns", "n", 43)
    entry = engine.kv.entry("ns", "n")
    assert (entry.value, entry.type, entry.revision) == (43, "NUMBER", 2)
    engine.kv.set("ns", "flag", True)
    assert engine.kv.entry("ns", "flag").type == "BOOLEAN"


async def test_kv_tasks_and_the_kv_function():
    clock = VirtualClock(datetime(2026, 1, 1, tzinfo=timezone.utc))
    engine = Engine(clock=clock)
    engine.kv.set("company", "GREETING", "hello")  # found from the child namespace by kv()
    x = await run(
        engine,
        flow(
            """
        tasks:
          - id: set
            type: io.kestra.plugin.core.kv.Set
            key: count
            value: "{{ 41 + 1 }}"
            kvType: NUMBER
            ttl: PT1H
          - id: get
            type: io.kestra.plugin.core.kv.Get
            key: count
          - id: missing
            type: io.kestra.plugin.core.kv.Get
            key: nothing
          - id: fn
            type: io.kestra.plugin.core.debug.Return
            format: "{{ kv('GREETING') }} {{ kv('count') + 1 }} {{ kv('nothing', errorOnMissing=false) ?? 'none' }}"
          - id: keys
            type: io.kestra.plugin.core.kv.GetKeys
          - id: delete
            type: io.kestra.plugin.core.kv.Delete
            key: count
    """,
            namespace="company.test",
        ),
    )
    assert x.state.current == "SUCCESS", engine.logs(x.id)
    assert outputs(x, "get") == {"value": 42}
    assert outputs(x, "missing") == {}
    assert outputs(x, "fn") == {"value": "hello 43 none"}
    assert outputs(x, "keys") == {"keys": ["count"]}
    assert outputs(x, "delete") == {"deleted": True}
    assert engine.kv.keys("company.test") == []


async def test_kv_get_error_on_missing_fails_the_task():
    engine = Engine()
    x = await run(
        engine,
        flow("""
        tasks:
          - id: get
            type: io.kestra.plugin.core.kv.Get
            key: nope
            errorOnMissing: true
    """),
    )
    assert x.state.current == "FAILED"
    assert "No value found for key 'nope'" in engine.logs(x.id)[0].message


async def test_secret_and_read_functions():
    engine = Engine(secrets={"SECRET_WA_TOKEN": base64.b64encode(b"t0ken").decode()})
    engine.files.put("company.test", "prompts/system.md", "Be brief.".encode())
    x = await run(
        engine,
        flow("""
        tasks:
          - id: r
            type: io.kestra.plugin.core.debug.Return
            format: "{{ secret('wa_token') | length }} {{ read('prompts/system.md') }}"
          - id: unknown
            type: io.kestra.plugin.core.debug.Return
            format: "{{ secret('NOPE') }}"
    """),
    )
    assert outputs(x, "r") == {"value": "5 Be brief."}
    assert x.state.current == "FAILED"
    assert any("Cannot find secret for key 'NOPE'" in e.message for e in engine.logs(x.id))
    assert engine.files.list("company.test") == ["/prompts/system.md"]
