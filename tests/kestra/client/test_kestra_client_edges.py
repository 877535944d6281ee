"""Client behaviour a static target cannot show in the shared suite: skipped webhooks, fallbacks,
transport failures, KV typing, and parsing of every fixture shape."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import httpx
import orjson
import pytest
from conftest import free_port
from kestra_fixture_app import EX_OK, PASSWORD, USER

from lab.kestra.client import KestraClient
from lab.kestra.errors import (
    KestraInvalid,
    KestraServerError,
    KestraTimeout,
    KestraUnreachable,
    WebhookSkipped,
)
from lab.kestra.resources.kv import kv_body
from lab.kestra.shapes import Execution, FlowReport, KVEntry, LogEntry, NamespaceFile, dialect_of

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def load(dialect: str, name: str):
    return json.loads((FIXTURES / dialect / name).read_text())


@pytest.mark.parametrize("dialect", ["1.3", "2.0"])
async def test_conditions_not_met_is_skipped_not_an_execution(fixture_servers, dialect):
    async with KestraClient(fixture_servers[dialect], username=USER, password=PASSWORD) as kestra:
        with pytest.raises(WebhookSkipped) as err:
            await kestra.trigger_webhook("company.team", "picky", "picky-key", b"{}")
        assert "conditions" in err.value.render()
        result = await kestra.trigger_webhook(
            "company.team", "picky", "picky-key", b"{}", skipped_ok=True
        )
        assert result.started is False and result.execution_id is None
        assert result.status == (409 if dialect == "1.3" else 204)


@pytest.mark.parametrize("dialect", ["1.3", "2.0"])
def test_running_execution_fixture_parses(dialect):
    execution = Execution.from_json(load(dialect, "execution-hello-running.json"))
    assert execution.state.current == "RUNNING" and not execution.terminated
    assert execution.state.end_date is None and execution.task_runs[0].state.current == "RUNNING"
    assert execution.task_runs[0].attempts[0].state.current == "RUNNING"


def test_2_0_task_runs_have_no_outputs_and_1_3_do():
    assert Execution.from_json(load("2.0", "execution-hello-success.json")).task_outputs() == {}
    assert Execution.from_json(load("1.3", "execution-hello-success.json")).task_outputs() == {
        "greet": {"value": "Hello Ana"}
    }


@pytest.mark.parametrize("dialect", ["1.3", "2.0"])
def test_every_json_fixture_parses_into_its_model(dialect):
    assert all(LogEntry.from_json(e).level for e in load(dialect, "logs-hello.json"))
    assert [FlowReport.from_json(r).valid for r in load(dialect, "validate.json")] == [True, False]
    assert KVEntry.from_json(load(dialect, "kv-greeting.json")).value == "hello"
    assert NamespaceFile.from_json(load(dialect, "files-directory.json")[0]).name == "system.md"
    assert Execution.from_json(load(dialect, "webhook-hello.json")).state.current == "CREATED"
    assert (
        Execution.from_json(load(dialect, "execution-boom-failed.json")).state.current == "FAILED"
    )


def test_versions_map_to_dialects():
    assert [
        dialect_of(v)
        for v in ("1.3.25", "1.0.4", "0.24.1", "2.0.3", "v2.1.0", "", "1.3.0-embedded")
    ] == ["1.3", "1.3", "1.3", "2.0", "2.0", "1.3", "1.3"]


async def test_follow_falls_back_to_polling_when_sse_is_not_available():
    success = load("1.3", "execution-hello-success.json")
    running = load("1.3", "execution-hello-running.json")
    gets = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/follow"):  # e.g. a proxy that does not pass SSE through
            return httpx.Response(502, text="Bad Gateway")
        gets.append(request.url.path)
        return httpx.Response(200, json=running if len(gets) < 3 else success)

    async with KestraClient("http://kestra", transport=httpx.MockTransport(handler)) as kestra:
        snapshots = [
            s.state.current async for s in kestra.follow_execution(EX_OK, poll_interval=0.001)
        ]
    assert snapshots == ["RUNNING", "RUNNING", "SUCCESS"]


async def test_follow_stream_cut_mid_way_continues_by_polling():
    success = load("1.3", "execution-hello-success.json")
    running = load("1.3", "execution-hello-running.json")
    cut = b'id: start\ndata: {"id":"x"}\n\nid: progress\ndata: ' + orjson.dumps(running) + b"\n\n"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/follow"):
            return httpx.Response(200, content=cut, headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json=success)

    async with KestraClient("http://kestra", transport=httpx.MockTransport(handler)) as kestra:
        states = [s.state.current async for s in kestra.follow_execution(EX_OK)]
    assert states == ["RUNNING", "SUCCESS"]


async def test_connection_refused_says_is_kestra_running_and_how_to_start_it():
    url = f"http://127.0.0.1:{free_port()}"
    async with KestraClient(url) as kestra:
        with pytest.raises(KestraUnreachable) as err:
            await kestra.detect()
    text = err.value.render()
    assert f"is Kestra running at {url}?" in text
    assert "docker compose up -d" in text and "`--target` of replay" in text


async def test_a_slow_server_is_a_timeout_error():
    async def slow(scope, receive, send):  # accepts, then never answers in time
        await asyncio.sleep(0.5)

    from loopback import LoopbackServer

    with LoopbackServer(slow) as server:
        async with KestraClient(server.url, timeout=0.2) as kestra:
            with pytest.raises(KestraTimeout) as err:
                await kestra.detect()
    assert "within 0.2 s" in err.value.render()


async def test_wait_terminal_timeout():
    running = load("1.3", "execution-hello-running.json")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/follow"):
            return httpx.Response(404)
        return httpx.Response(200, json=running)

    async with KestraClient("http://kestra", transport=httpx.MockTransport(handler)) as kestra:
        with pytest.raises(Exception) as err:
            await kestra.wait_terminal(EX_OK, timeout=0.05)
    assert err.type.__name__ in ("KestraTimeout", "KestraNotFound")


async def test_422_lists_kestra_constraints_and_500_points_at_server_logs():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(
                422,
                json={
                    "message": "Invalid entity: flow is not valid",
                    "_embedded": {
                        "errors": [
                            {"message": 'must match "^[a-z0-9][a-z0-9._-]*"', "path": "namespace"}
                        ]
                    },
                },
            )
        return httpx.Response(500, json={"message": "Internal Server Error: boom"})

    async with KestraClient("http://kestra", transport=httpx.MockTransport(handler)) as kestra:
        with pytest.raises(KestraInvalid) as err:
            await kestra.flows.create("id: x\nnamespace: Bad\ntasks: []\n")
        assert "namespace: must match" in err.value.render()
        assert err.value.constraints[0] == "Invalid entity: flow is not valid"
        with pytest.raises(KestraServerError) as err:
            await kestra.flows.get("a", "b")
        assert "docker compose logs kestra" in err.value.fix


async def test_waited_failed_webhook_500_still_returns_the_execution():
    failed = load("1.3", "execution-boom-failed.json")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json=failed)

    async with KestraClient("http://kestra", transport=httpx.MockTransport(handler)) as kestra:
        hook = await kestra.trigger_webhook("company.team", "boom", "boom-key", b"{}")
    assert hook.status == 500 and hook.execution.state.current == "FAILED"


async def test_namespace_sync_sends_delete_false_unless_asked():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params["delete"])
        return httpx.Response(200, json=[])

    async with KestraClient("http://kestra", transport=httpx.MockTransport(handler)) as kestra:
        await kestra.flows.sync_namespace("ns", ["id: a\nnamespace: ns\n"])
        await kestra.flows.sync_namespace("ns", ["id: a\nnamespace: ns\n"], delete=True)
    assert seen == ["false", "true"]


def test_kv_bodies_are_what_kestras_ion_reader_types():
    assert kv_body("hello world") == b'"hello world"'
    assert kv_body(42) == b"42" and kv_body(1.5) == b"1.5" and kv_body(True) == b"true"
    assert kv_body({"a": [1]}) == b'{"a":[1]}'
    assert kv_body(dt.date(2021, 9, 1)) == b"2021-09-01"
    assert (
        kv_body(dt.datetime(2021, 9, 1, 1, 2, 3, tzinfo=dt.timezone.utc)) == b"2021-09-01T01:02:03Z"
    )
    assert kv_body(dt.timedelta(seconds=5)) == b'"PT5S"'
    assert kv_body(7, "STRING") == b'"7"' and kv_body("3", "NUMBER") == b"3"
    with pytest.raises(Exception):
        kv_body(1, "FLOAT")


async def test_kv_list_on_1_3_and_its_absence_on_2_0(fixture_servers):
    async with KestraClient(fixture_servers["1.3"], username=USER, password=PASSWORD) as kestra:
        assert await kestra.kv.keys("company.team") == ["WA_GRAPH_URL", "greeting"]
    async with KestraClient(fixture_servers["2.0"], username=USER, password=PASSWORD) as kestra:
        with pytest.raises(Exception) as err:
            await kestra.kv.keys("company.team")
    assert err.type.__name__ == "KestraNotFound"
