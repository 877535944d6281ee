"""The embedded engine's REST API beyond the shared contract: live streaming on a real socket,
kill, inputs, mounting in the lab server, Kestra's defaults, both dialects, bad input."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from conftest import FLOWS
from kestra_fixture_app import PASSWORD, USER
from loopback import LoopbackServer
from waiting import PATIENCE, eventually

from lab.kestra.client import KestraClient
from lab.kestra.engine.api import KestraApi
from lab.kestra.engine.engine import Engine
from lab.kestra.errors import KestraGone, KestraInvalid, KestraNotFound
from lab.server import LabServer

NS = "company.team"
SLEEPY = """id: sleepy
namespace: company.team
inputs:
  - id: pause
    type: DURATION
    defaults: PT0.2S
tasks:
  - id: before
    type: io.kestra.plugin.core.log.Log
    message: "sleeping {{ inputs.pause }}"
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: "{{ inputs.pause }}"
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: awake
triggers:
  - id: webhook
    type: io.kestra.plugin.core.trigger.Webhook
    key: sleepy-key
"""


HELD = """id: held
namespace: company.team
tasks:
  - id: before
    type: io.kestra.plugin.core.log.Log
    message: held until the test resumes it
  - id: hold
    type: io.kestra.plugin.core.flow.Pause
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: resumed
triggers:
  - id: webhook
    type: io.kestra.plugin.core.trigger.Webhook
    key: held-key
"""


def make_engine(version: str = "1.3") -> Engine:
    engine = Engine(version=version)
    for path in sorted(FLOWS.glob("*.yml")):
        engine.deploy(path.read_text())
    engine.deploy(SLEEPY)
    engine.deploy(HELD)
    return engine


def in_process(api) -> KestraClient:
    return KestraClient(
        "http://embedded", username=USER, password=PASSWORD, transport=httpx.ASGITransport(app=api)
    )


async def test_follow_streams_live_snapshots_over_a_real_socket():
    """Served by uvicorn, the follow stream shows the execution before its end and its logs arrive while
    it runs: a Pause holds it until the test has seen both (a timed sleep could end first under load)."""
    api = KestraApi(make_engine(), username=USER, password=PASSWORD)
    with LoopbackServer(api) as server:
        async with KestraClient(server.url, username=USER, password=PASSWORD) as kestra:
            hook = await kestra.trigger_webhook(NS, "held", "held-key", b"{}")
            logs = kestra.logs_until_terminal(hook.execution_id, grace=0.05, timeout=PATIENCE)
            first = await anext(logs)  # while the execution is held
            states = []
            async for snapshot in kestra.follow_execution(hook.execution_id):
                states.append(snapshot.state.current)
                if states.count("PAUSED") == 1 and states[-1] == "PAUSED":
                    await kestra.resume(hook.execution_id)
            messages = [first.message, *[e.message async for e in logs]]
    assert "PAUSED" in states and states[-1] == "SUCCESS"
    assert messages == ["held until the test resumes it", "resumed"]


async def _collect(iterator):
    return [item async for item in iterator]


@pytest.mark.parametrize("dialect", ["1.3", "2.0"])
async def test_kill_a_running_execution(dialect):
    async with in_process(
        KestraApi(make_engine(dialect), username=USER, password=PASSWORD)
    ) as kestra:
        await kestra.detect()
        execution = await kestra.start_execution(NS, "sleepy", {"pause": "PT5S"})
        await asyncio.sleep(0.05)
        await kestra.kill(execution.id)
        killed = await kestra.wait_terminal(execution.id, timeout=5)
    assert killed.state.current == "KILLED"
    assert killed.task_run("nap").state.current == "KILLED"


async def test_create_execution_with_inputs_and_labels_and_invalid_inputs():
    async with in_process(KestraApi(make_engine(), username=USER, password=PASSWORD)) as kestra:
        execution = await kestra.start_execution(
            NS, "sleepy", {"pause": "PT0.01S"}, labels={"team": "qa"}, wait=True
        )
        assert execution.state.current == "SUCCESS" and execution.inputs == {"pause": "PT0.01S"}
        assert execution.labels["team"] == "qa" and execution.url.endswith(
            f"/{NS}/sleepy/{execution.id}"
        )
        with pytest.raises(KestraInvalid) as err:
            await kestra.start_execution(NS, "sleepy", {"pause": "not a duration"})
        assert "not a duration" in err.value.render()
        with pytest.raises(KestraNotFound):
            await kestra.start_execution(NS, "nope")


async def test_mounted_in_the_lab_server_with_full_paths():
    server = LabServer()
    server.mount("/api/v1", KestraApi(make_engine(), username=USER, password=PASSWORD), strip=False)
    async with KestraClient(
        "http://lab", username=USER, password=PASSWORD, transport=httpx.ASGITransport(app=server)
    ) as kestra:
        assert (await kestra.detect()).dialect == "1.3"
        hook = await kestra.trigger_webhook(
            NS, "hello", "hello-key", json.dumps({"name": "Bo"}).encode()
        )
        assert (await kestra.wait_terminal(hook.execution_id)).outputs == {"greeting": "Hello Bo"}


async def test_kestra_defaults_tenant_alias_and_namespace_update_deleting_by_default():
    api = KestraApi(make_engine())  # no basic auth configured
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api), base_url="http://e"
    ) as http:
        legacy = await http.post(
            "/api/v1/executions/webhook/company.team/hello/hello-key", json={"name": "Al"}
        )
        assert legacy.status_code == 200 and legacy.json()["state"]["current"] == "CREATED"
        hello = (FLOWS / "hello.yml").read_text()
        synced = await http.post(
            "/api/v1/main/flows/company.team",
            content=hello,
            headers={"Content-Type": "application/x-yaml"},
        )
        assert synced.status_code == 200
        deleted = {f["id"] for f in synced.json() if f.get("deleted")}
        assert deleted == {
            "boom",
            "dormant",
            "held",
            "sleepy",
            "waiter",
        }  # Kestra's delete=true default
        assert (await http.get("/api/v1/main/flows/company.team/boom")).status_code == 404


async def test_bad_input_gets_kestra_errors_never_a_500():
    api = KestraApi(make_engine(), username=USER, password=PASSWORD)
    auth = (USER, PASSWORD)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api), base_url="http://e", auth=auth
    ) as http:
        yaml_headers = {"Content-Type": "application/x-yaml"}
        garbage = await http.post(
            "/api/v1/main/flows", content=b"id: [unclosed", headers=yaml_headers
        )
        assert garbage.status_code == 422 and garbage.json()["message"].startswith("Invalid entity")
        unknown = await http.post(
            "/api/v1/main/flows",
            headers=yaml_headers,
            content=(
                "id: x\nnamespace: company.team\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.debug.Nope\n"
            ).encode(),
        )
        assert unknown.status_code == 422 and "io.kestra.plugin.core.debug.Nope" in unknown.text
        assert (await http.get("/api/v1/main/nowhere")).status_code == 404
        assert (await http.patch("/api/v1/main/executions/abc")).status_code == 405
        text_body = await http.post(
            "/api/v1/main/executions/webhook/company.team/hello/hello-key",
            content=b"not json {",
            headers={"Content-Type": "text/plain"},
        )
        assert text_body.status_code == 200  # Kestra keeps a non-JSON body as a string
        assert text_body.json()["trigger"]["variables"]["body"] == "not json {"
        wrong_key = await http.post(
            "/api/v1/main/executions/webhook/company.team/hello/bad-key", content=b"{}"
        )
        assert (
            wrong_key.status_code == 404
            and wrong_key.json()["message"] == "Not Found: Webhook not found"
        )
        bad_ttl = await http.put(
            "/api/v1/main/namespaces/company.team/kv/k", content=b"1", headers={"ttl": "soon"}
        )
        assert bad_ttl.status_code == 422
        no_part = await http.post(
            "/api/v1/main/namespaces/company.team/files?path=/a.txt", files={"x": b"1"}
        )
        assert no_part.status_code == 422


async def test_kv_types_and_expiry():
    async with in_process(KestraApi(make_engine(), username=USER, password=PASSWORD)) as kestra:
        import datetime as dt

        cases = {
            "n": (42, "NUMBER"),
            "j": ({"a": [1]}, "JSON"),
            "b": (True, "BOOLEAN"),
            "d": (dt.date(2021, 9, 1), "DATE"),
            "s": ("hello world", "STRING"),
        }
        for key, (value, _kind) in cases.items():
            await kestra.kv.put(NS, key, value)
        assert await kestra.kv.keys(NS) == sorted(cases)
        got = {key: (await kestra.kv.get(NS, key)) for key in cases}
        assert {k: e.type for k, e in got.items()} == {k: kind for k, (_v, kind) in cases.items()}
        assert (
            got["j"].value == {"a": [1]} and got["d"].value == "2021-09-01" and got["n"].value == 42
        )
        await kestra.kv.put(NS, "brief", "x", ttl="PT0.01S")
        await asyncio.sleep(0.03)
        with pytest.raises(KestraGone):
            await kestra.kv.get(NS, "brief")


async def test_2_0_dialect_serves_outputs_endpoint_and_omits_task_run_outputs():
    async with in_process(
        KestraApi(make_engine("2.0"), username=USER, password=PASSWORD)
    ) as kestra:
        assert (await kestra.detect()).dialect == "2.0"
        hook = await kestra.trigger_webhook(NS, "hello", "hello-key", b'{"name": "Ana"}')
        execution = await kestra.wait_terminal(hook.execution_id)
        assert execution.task_outputs() == {}
        assert {o.task_id: o.value for o in await kestra.results.outputs(execution)} == {
            "greet": {"value": "Hello Ana"}
        }


@pytest.mark.parametrize("dialect,status", [("1.3", 409), ("2.0", 422)])
async def test_webhook_inputs_that_fail_to_render_answer_as_kestra(dialect, status):
    engine = Engine(version=dialect)
    engine.deploy(
        "id: typed\nnamespace: company.team\ninputs:\n  - id: name\n    type: STRING\ntasks:\n"
        "  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: '{{ inputs.name }}'\n"
        "triggers:\n  - id: hook\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: k\n"
        "    inputs:\n      name: '{{ trigger.body.missing.field }}'\n"
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=KestraApi(engine)), base_url="http://e"
    ) as http:
        response = await http.post(
            "/api/v1/main/executions/webhook/company.team/typed/k", json={"a": 1}
        )
    assert response.status_code == status
    assert (response.content == b"") == (dialect == "1.3")


async def test_webhook_extra_path_and_kill_without_cascade_answer_as_kestra():
    api = KestraApi(make_engine())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api), base_url="http://e"
    ) as http:
        base = "/api/v1/main/executions/webhook/company.team/hello/hello-key"
        for path in (base + "/", base + "/more/segments"):
            response = await http.post(path, json={"name": "x"})
            assert (response.status_code, response.content) == (404, b"")
        hook = (await http.post(base, json={"name": "x"})).json()
        await api.engine.wait(hook["id"], 5)
        finished = await http.delete(
            f"/api/v1/main/executions/{hook['id']}/kill", params={"isOnKillCascade": "false"}
        )
        assert finished.status_code == 409 and finished.json()["message"].endswith(
            "already finished"
        )
        assert (await http.delete(f"/api/v1/main/executions/{hook['id']}/kill")).status_code == 202


LLM_FLOW = """id: llm
namespace: company.team
tasks:
  - id: answer
    type: io.kestra.plugin.ai.completion.ChatCompletion
    provider:
      type: io.kestra.plugin.ai.provider.OpenAI
      apiKey: test-key
      modelName: gpt-4o-mini
      baseUrl: http://llm.local/v1
    messages:
      - type: USER
        content: Olá
"""


async def fake_openai(scope, receive, send):
    """An OpenAI-compatible /chat/completions answering with usage, as OpenAI does."""
    while (await receive()).get("more_body"):
        pass
    body = json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Oi!"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42},
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def test_metrics_carry_the_token_counters_plugin_ai_publishes():
    engine = Engine(http=httpx.AsyncClient(transport=httpx.ASGITransport(app=fake_openai)))
    engine.deploy(LLM_FLOW)
    async with in_process(KestraApi(engine, username=USER, password=PASSWORD)) as kestra:
        execution = await kestra.start_execution(NS, "llm", wait=True)
        assert execution.state.current == "SUCCESS", execution.raw
        metrics = await kestra.results.metrics(execution.id)
    assert {m.name: m.value for m in metrics} == {
        "input.token.count": 12,
        "output.token.count": 30,
        "total.token.count": 42,
    }
    assert {m.task_id for m in metrics} == {"answer"} and metrics[0].type == "counter"
    assert all(m.tags == {} for m in metrics)  # AIUtils.sendMetrics publishes them untagged
    await engine.aclose()


async def test_waited_webhook_response_code_and_plain_text_content_type():
    engine = Engine()
    engine.deploy("""id: verify
namespace: company.team
tasks:
  - id: check
    type: io.kestra.plugin.core.output.OutputValues
    values:
      code: "{{ trigger.parameters['hub.mode'][0] == 'subscribe' ? 200 : 403 }}"
outputs:
  - id: response
    type: STRING
    value: "{{ trigger.parameters['hub.challenge'][0] }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: k
    wait: true
    returnOutputs: true
    responseContentType: text/plain
    responseCode: "{{ outputs.check.values.code }}"
""")
    async with KestraClient(
        "http://e", transport=httpx.ASGITransport(app=KestraApi(engine))
    ) as kestra:
        ok = await kestra.trigger_webhook(
            NS, "verify", "k", method="GET", params={"hub.mode": "subscribe", "hub.challenge": "42"}
        )
        refused = await kestra.trigger_webhook(
            NS, "verify", "k", method="GET", params={"hub.mode": "other", "hub.challenge": "7"}
        )
    assert (ok.status, ok.outputs) == (200, {"response": "42"})
    assert (refused.status, refused.outputs) == (403, {"response": "7"})


async def test_a_follower_that_disconnects_stops_the_stream_on_the_server():
    engine = make_engine()
    watching = {"open": 0, "closed": 0}
    original_watch = engine.watch

    async def tracked_watch(execution_id):
        watching["open"] += 1
        try:
            async for snapshot in original_watch(execution_id):
                yield snapshot
        finally:
            watching["closed"] += 1

    engine.watch = tracked_watch
    with LoopbackServer(KestraApi(engine)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            execution = await engine_start(http, "PT5S")
            async with http.stream("GET", f"/api/v1/main/executions/{execution}/follow") as stream:
                async for line in stream.aiter_lines():
                    if line.startswith("data:"):
                        break  # got the start event: hang up
            await eventually(
                lambda: watching["closed"], "the hung-up follow stream to stop watching"
            )
            assert watching == {"open": 1, "closed": 1}  # while the execution still runs (5 s)
            assert engine.execution(execution).state.current == "RUNNING"


async def engine_start(http: httpx.AsyncClient, pause: str) -> str:
    response = await http.post(
        "/api/v1/main/executions/company.team/sleepy", files={"pause": (None, pause)}
    )
    assert response.status_code == 200, response.text
    return response.json()["id"]
