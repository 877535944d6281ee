"""The Engine facade: webhooks as Kestra fires them, input validation, following and killing."""

from __future__ import annotations

import json

import pytest
from engine_helpers import flow

from lab.kestra.engine import Engine, FlowDisabled, FlowNotFound, InputInvalid, WebhookNotFound

HOOKED = flow(
    """
    labels: {agent: support}
    inputs:
      - id: tone
        type: STRING
        defaults: warm
    triggers:
      - id: wa
        type: io.kestra.plugin.core.trigger.Webhook
        key: "{{ flow.id }}-key"
    tasks:
      - id: text
        type: io.kestra.plugin.core.debug.Return
        format: "{{ trigger.body.entry[0].text }}|{{ trigger.headers['X-Hub-Signature-256'][0] }}|{{ trigger.parameters.a | join(',') }}|{{ inputs.tone }}|{{ labels.system.from }}"
""",
    id="inbound",
    namespace="company.wa",
)


async def test_webhook_exposes_body_headers_parameters_and_labels():
    engine = Engine()
    engine.deploy(HOOKED)
    body = json.dumps({"entry": [{"text": "hola"}]}).encode()
    x = await engine.webhook(
        "company.wa",
        "inbound",
        "inbound-key",
        body=body,
        headers={"X-Hub-Signature-256": "sha256=ab"},
        query={"a": ["1", "2"]},
    )
    assert x.state.current == "CREATED"
    x = await engine.wait(x.id, timeout=5)
    assert x.task_runs[0].outputs == {"value": "hola|sha256=ab|1,2|warm|trigger"}
    assert x.trigger["type"] == "io.kestra.plugin.core.trigger.Webhook" and x.trigger["id"] == "wa"
    assert x.trigger["variables"]["headers"] == {"X-Hub-Signature-256": ["sha256=ab"]}
    labels = dict(x.labels)
    assert labels["system.correlationId"] == x.id and labels["agent"] == "support"
    await engine.aclose()


async def test_webhook_body_that_is_not_a_json_object_stays_a_string():
    engine = Engine()
    engine.deploy(
        flow("""
        triggers:
          - id: hook
            type: io.kestra.plugin.core.trigger.Webhook
            key: k
        tasks:
          - id: r
            type: io.kestra.plugin.core.debug.Return
            format: "{{ trigger.body }}"
    """)
    )
    x = await engine.wait((await engine.webhook("company.test", "f", "k", body=b'"bla"')).id)
    assert x.trigger["variables"]["body"] == '"bla"' and x.task_runs[0].outputs == {
        "value": '"bla"'
    }
    x = await engine.wait((await engine.webhook("company.test", "f", "k", body=b"[1, 2]")).id)
    assert x.trigger["variables"]["body"] == [1, 2] and x.task_runs[0].outputs == {"value": "[1,2]"}


async def test_webhook_errors_are_kestras():
    engine = Engine()
    engine.deploy(HOOKED)
    with pytest.raises(FlowNotFound) as e:
        await engine.webhook("company.wa", "nope", "k")
    assert e.value.status == 404
    with pytest.raises(WebhookNotFound) as e:
        await engine.webhook("company.wa", "inbound", "wrong")
    assert e.value.status == 404 and "Webhook not found" in e.value.what
    engine.deploy(HOOKED.replace("labels:", "disabled: true\nlabels:"))
    with pytest.raises(FlowDisabled) as e:
        await engine.webhook("company.wa", "inbound", "inbound-key")
    assert e.value.status == 409


async def test_start_validates_inputs_with_kestra_messages():
    engine = Engine()
    engine.deploy(
        flow("""
        inputs:
          - id: age
            type: INT
            min: 18
        tasks:
          - id: r
            type: io.kestra.plugin.core.debug.Return
            format: "{{ inputs.age }}"
    """)
    )
    with pytest.raises(InputInvalid) as e:
        await engine.start("company.test", "f", inputs={"age": "12"})
    assert (
        e.value.status == 422
        and "Invalid value for input `age`. Cause: it must be more than `18`" in e.value.what
    )
    with pytest.raises(InputInvalid) as e:
        await engine.start("company.test", "f")
    assert "Missing required input:age" in e.value.what
    x = await engine.wait((await engine.start("company.test", "f", inputs={"age": "30"})).id)
    assert x.inputs == {"age": 30} and x.task_runs[0].outputs == {"value": "30"}


async def test_an_unparsable_input_value_names_the_input_and_what_is_expected():
    """DURATION inputs are java.time Durations in Kestra: ISO-8601 only, so `5 minutes` and `90m` fail."""
    engine = Engine()
    engine.deploy(
        flow("""
        inputs:
          - id: pause
            type: DURATION
          - id: count
            type: INT
            required: false
        tasks:
          - id: r
            type: io.kestra.plugin.core.debug.Return
            format: "{{ inputs.pause }}"
    """)
    )
    for bad in ("5 minutes", "90m", "P", "PT"):
        with pytest.raises(InputInvalid) as e:
            await engine.start("company.test", "f", inputs={"pause": bad})
        assert e.value.what.startswith(
            f"Invalid value for input `pause`. Cause: Expected `DURATION` but received `{bad}`"
        )
        assert "Text cannot be parsed to a Duration" in e.value.what and "PT5M" in e.value.what
        assert "`pause`" in e.value.fix and [(p.path, p.message) for p in e.value.problems] == [
            ("pause", e.value.what)
        ]
    with pytest.raises(InputInvalid) as e:
        await engine.start("company.test", "f", inputs={"pause": "soon", "count": "many"})
    assert [p.path for p in e.value.problems] == ["pause", "count"]
    assert (
        "Expected `INT` but received `many`; write it as a whole number"
        in e.value.problems[1].message
    )
    for good, shown in (
        ("PT1M30S", "PT1M30S"),
        ("pt5m", "pt5m"),
        ("P1DT2H", "P1DT2H"),
        ("-PT5S", "-PT5S"),
    ):
        x = await engine.wait(
            (await engine.start("company.test", "f", inputs={"pause": good})).id, 5
        )
        assert x.state.current == "SUCCESS", good
    await engine.aclose()


async def test_the_api_answers_an_invalid_input_with_kestra_constraint_shape():
    import httpx

    from lab.kestra.engine.api import KestraApi

    engine = Engine()
    engine.deploy(
        flow("""
        inputs:
          - id: pause
            type: DURATION
        tasks:
          - id: r
            type: io.kestra.plugin.core.debug.Return
            format: "{{ inputs.pause }}"
    """)
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=KestraApi(engine)), base_url="http://e"
    ) as http:
        reply = await http.post(
            "/api/v1/main/executions/company.test/f", files={"pause": (None, "soon")}
        )
    assert reply.status_code == 422
    body = reply.json()
    assert body["message"].startswith(
        "Invalid entity: Invalid value for input `pause`. Cause: Expected `DURATION`"
    )
    [error] = body["_embedded"]["errors"]
    assert error["path"] == "pause" and error["message"] == body["message"].removeprefix(
        "Invalid entity: "
    )
    await engine.aclose()


async def test_watch_yields_until_terminal_and_logs_follow():
    engine = Engine()
    f = engine.deploy(
        flow("""
        tasks:
          - id: a
            type: io.kestra.plugin.core.log.Log
            message: one
          - id: b
            type: io.kestra.plugin.core.log.Log
            message: two
    """)
    )
    events = []
    unsubscribe = engine.subscribe(lambda ev: events.append(ev.kind))
    x = await engine.start(f.namespace, f.id)
    seen = [snapshot.state.current async for snapshot in engine.watch(x.id)]
    assert seen[-1] == "SUCCESS" and len(seen) >= 2
    assert [e.message async for e in engine.watch_logs(x.id)] == ["one", "two"]
    assert [e.to_json()["level"] for e in engine.logs(x.id)] == ["INFO", "INFO"]
    assert "execution" in events and events.count("log") == 2
    unsubscribe()
    await engine.wait((await engine.start(f.namespace, f.id)).id)
    assert events.count("log") == 2


async def test_watch_logs_streams_live_lines():
    engine = Engine()
    f = engine.deploy(
        flow("""
        tasks:
          - id: a
            type: io.kestra.plugin.core.log.Log
            message: before
          - id: nap
            type: io.kestra.plugin.core.flow.Sleep
            duration: PT0.05S
          - id: b
            type: io.kestra.plugin.core.log.Log
            message: after
    """)
    )
    x = await engine.start(f.namespace, f.id)
    assert [e.message async for e in engine.watch_logs(x.id)] == ["before", "after"]


async def test_deploy_again_bumps_the_revision_only_when_the_source_changes():
    engine = Engine()
    source = flow("""
        tasks:
          - id: a
            type: io.kestra.plugin.core.log.Log
            message: one
    """)
    assert engine.deploy(source).revision == 1
    assert engine.deploy(source).revision == 1
    assert engine.deploy(source.replace("one", "two")).revision == 2
    assert engine.delete_flow("company.test", "f") and engine.get_flow("company.test", "f") is None


async def test_old_finished_executions_are_dropped_beyond_the_limit():
    engine = Engine(keep_executions=3)
    f = engine.deploy(
        flow("""
        tasks:
          - id: a
            type: io.kestra.plugin.core.log.Log
            message: one
    """)
    )
    ids = [(await engine.wait((await engine.start(f.namespace, f.id)).id)).id for _ in range(5)]
    assert [engine.execution(i) is not None for i in ids] == [False, False, True, True, True]
    assert engine.logs(ids[0]) == []
