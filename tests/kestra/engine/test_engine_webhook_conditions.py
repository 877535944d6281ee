"""Webhook trigger conditions through the embedded engine's REST API: `conditions` (1.3) and `when` (2.0).

Kestra's own case: core/src/test/resources/flows/valids/webhook-with-condition.yaml (an
`ExpressionCondition` on `trigger.body.hello == 'world'`), posted by `ExecutionControllerTest.webhookWithCondition`
with {"hello": "world"} (an execution) and {"hello": "webhook"} (no execution: CONFLICT on 1.3, 204 before
1.1 and again on 2.0).
"""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import httpx
import pytest

from lab.kestra.engine.api import KestraApi
from lab.kestra.engine.conditions import check_trigger_conditions
from lab.kestra.engine.engine import Engine

NS = "company.team"
HOOK = "/api/v1/main/executions/webhook/company.team/{flow}/k"
MONDAY_NOON = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.timezone.utc).timestamp()


def hook_flow(flow_id: str, trigger_extra: str, *, log: str = "ran") -> str:
    return (
        f"id: {flow_id}\nnamespace: {NS}\ntasks:\n  - id: out\n    type: io.kestra.plugin.core.log.Log\n"
        f"    message: {log}\ntriggers:\n  - id: webhook\n    type: io.kestra.plugin.core.trigger.Webhook\n"
        f"    key: k\n{trigger_extra}"
    )


def conditions(*items: str) -> str:
    return "    conditions:\n" + "".join(items)


def expression(text: str, indent: int = 6) -> str:
    pad = " " * indent
    return f"{pad}- type: io.kestra.plugin.core.condition.Expression\n{pad}  expression: {json.dumps(text)}\n"


async def post(
    engine: Engine, flow_id: str, body: dict | bytes, headers: dict | None = None
) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    transport = httpx.ASGITransport(app=KestraApi(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://e") as http:
        return await http.post(
            HOOK.format(flow=flow_id),
            content=content,
            headers={"Content-Type": "application/json", **(headers or {})},
        )


def executions(engine: Engine) -> int:
    return len(engine._runs)


async def test_kestra_webhook_with_condition_case_1_3_answers_409_with_an_empty_body():
    """Kestra's webhook-with-condition.yaml, with the legacy alias ExpressionCondition it uses."""
    engine = Engine()
    engine.deploy(
        hook_flow(
            "webhook-with-condition",
            conditions(
                "      - type: io.kestra.plugin.core.condition.ExpressionCondition\n"
                "        expression: \"{{trigger.body.hello == 'world'}}\"\n"
            ),
        )
    )
    met = await post(engine, "webhook-with-condition", {"hello": "world"})
    assert met.status_code == 200 and met.json()["state"]["current"] == "CREATED"
    execution = await engine.wait(met.json()["id"], timeout=5)
    assert execution.state.current == "SUCCESS"
    assert execution.trigger["variables"]["body"] == {"hello": "world"}
    skipped = await post(engine, "webhook-with-condition", {"hello": "webhook"})
    assert skipped.status_code == 409 and skipped.content == b""
    assert executions(engine) == 1


async def test_2_0_when_not_met_answers_204_and_met_starts_an_execution():
    engine = Engine(version="2.0")
    engine.deploy(hook_flow("picky", "    when: \"{{ trigger.body.hello == 'world' }}\"\n"))
    skipped = await post(engine, "picky", {"hello": "webhook"})
    assert skipped.status_code == 204 and skipped.content == b""
    met = await post(engine, "picky", {"hello": "world"})
    assert (
        met.status_code == 200
        and (await engine.wait(met.json()["id"], timeout=5)).state.current == "SUCCESS"
    )
    assert executions(engine) == 1


STATUS = {
    "object": "whatsapp_business_account",
    "entry": [
        {
            "id": "1",
            "changes": [
                {
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "statuses": [{"id": "wamid.1", "status": "delivered"}],
                    },
                }
            ],
        }
    ],
}
MESSAGE = {
    "object": "whatsapp_business_account",
    "entry": [
        {
            "id": "1",
            "changes": [
                {
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "messages": [{"id": "wamid.2", "type": "text", "text": {"body": "oi"}}],
                    },
                }
            ],
        }
    ],
}
ONLY_MESSAGES = "{{ trigger.body.entry[0].changes[0].value.messages is defined }}"


@pytest.mark.parametrize("dialect,skip", [("1.3", 409), ("2.0", 204)])
async def test_a_whatsapp_flow_starts_nothing_for_status_webhooks(dialect, skip):
    engine = Engine(version=dialect)
    extra = (
        conditions(expression(ONLY_MESSAGES))
        if dialect == "1.3"
        else f"    when: {json.dumps(ONLY_MESSAGES)}\n"
    )
    engine.deploy(hook_flow("agent", extra))
    assert (await post(engine, "agent", STATUS)).status_code == skip
    assert (await post(engine, "agent", MESSAGE)).status_code == 200
    assert executions(engine) == 1


async def test_expression_reads_headers_parameters_flow_and_labels():
    engine = Engine()
    engine.deploy(
        hook_flow(
            "signed",
            conditions(
                expression("{{ trigger.headers['x-hub-signature-256'][0] is defined }}"),
                expression("{{ flow.id == 'signed' and flow.namespace == 'company.team' }}"),
                expression("{{ labels.system.from == 'trigger' and execution.id is defined }}"),
            ),
        )
    )
    assert (await post(engine, "signed", {})).status_code == 409
    response = await post(engine, "signed", {}, {"X-Hub-Signature-256": "sha256=abc"})
    assert response.status_code == 200


async def test_every_condition_of_the_list_must_hold():
    engine = Engine()
    engine.deploy(
        hook_flow(
            "both",
            conditions(
                expression("{{ trigger.body.a == 1 }}"), expression("{{ trigger.body.b == 2 }}")
            ),
        )
    )
    assert (await post(engine, "both", {"a": 1, "b": 3})).status_code == 409
    assert (await post(engine, "both", {"a": 1, "b": 2})).status_code == 200


async def test_not_and_or():
    engine = Engine()
    engine.deploy(
        hook_flow(
            "logic",
            conditions(
                "      - type: io.kestra.plugin.core.condition.Or\n        conditions:\n"
                + expression("{{ trigger.body.kind == 'a' }}", 10)
                + expression("{{ trigger.body.kind == 'b' }}", 10),
                "      - type: io.kestra.plugin.core.condition.Not\n        conditions:\n"
                + expression("{{ trigger.body.test ?? false }}", 10),
            ),
        )
    )
    assert (await post(engine, "logic", {"kind": "a"})).status_code == 200
    assert (await post(engine, "logic", {"kind": "b"})).status_code == 200
    assert (await post(engine, "logic", {"kind": "c"})).status_code == 409
    assert (await post(engine, "logic", {"kind": "a", "test": True})).status_code == 409


async def test_a_condition_that_fails_to_render_counts_as_not_met_even_under_not():
    """ConditionService.valid catches the exception, logs it and answers false; Not/Or let it through
    (throwPredicate), so Not(error) is not met either. 2.0 `when`: the same (isNotValid -> true)."""
    engine = Engine()
    engine.deploy(
        hook_flow("broken", conditions(expression("{{ trigger.body.missing.deep == 1 }}")))
    )
    engine.deploy(
        hook_flow(
            "negated",
            conditions(
                "      - type: io.kestra.plugin.core.condition.Not\n        conditions:\n"
                + expression("{{ trigger.body.missing.deep }}", 10)
            ),
        )
    )
    assert (await post(engine, "broken", {"a": 1})).status_code == 409
    assert (await post(engine, "negated", {"a": 1})).status_code == 409
    two = Engine(version="2.0")
    two.deploy(hook_flow("broken", '    when: "{{ trigger.body.missing.deep }}"\n'))
    assert (await post(two, "broken", {"a": 1})).status_code == 204
    assert executions(engine) == executions(two) == 0


async def test_expression_counts_0_as_met_but_when_counts_it_as_falsy():
    """Expression.test: not met only when blank or "false"; `when` uses TruthUtils.isFalsy ("0" too)."""
    one = Engine()
    one.deploy(hook_flow("zero", conditions(expression("{{ trigger.body.n }}"))))
    assert (await post(one, "zero", {"n": 0})).status_code == 200
    assert (await post(one, "zero", {"n": " false "})).status_code == 409
    two = Engine(version="2.0")
    two.deploy(hook_flow("zero", '    when: "{{ trigger.body.n }}"\n'))
    assert (await post(two, "zero", {"n": 0})).status_code == 204
    assert (await post(two, "zero", {"n": 1})).status_code == 200


async def test_date_conditions_follow_the_engine_clock_and_need_an_explicit_date():
    engine = Engine(clock=SimpleNamespace(time=lambda: MONDAY_NOON))
    now = '        date: "{{ now() }}"\n'
    cases = {
        "monday": ("DayWeek", now + "        dayOfWeek: MONDAY\n", 200),
        "tuesday": ("DayWeek", now + "        dayOfWeek: TUESDAY\n", 409),
        "nodate": (
            "DayWeek",
            "        dayOfWeek: MONDAY\n",
            409,
        ),  # {{ trigger.date }}: undefined on a webhook
        "weekend": ("Weekend", now, 409),
        "noon": (
            "TimeBetween",
            now + '        after: "11:00:00Z"\n        before: "13:00:00+00:00"\n',
            200,
        ),
        "evening": ("TimeBetween", now + '        after: "18:00:00+02:00"\n', 409),
        "march": (
            "DateTimeBetween",
            now + '        after: "2026-03-01T00:00:00Z"\n'
            '        before: "2026-03-31T00:00:00Z"\n',
            200,
        ),
        "past": ("DateTimeBetween", now + '        before: "2026-01-01T00:00:00Z"\n', 409),
    }
    for flow_id, (kind, props, _) in cases.items():
        engine.deploy(
            hook_flow(
                flow_id,
                conditions(f"      - type: io.kestra.plugin.core.condition.{kind}\n" + props),
            )
        )
    assert {f: (await post(engine, f, {})).status_code for f in cases} == {
        f: c[2] for f, c in cases.items()
    }


def problems(trigger: dict, dialect: str = "1.3") -> list[tuple[str, str, tuple]]:
    return check_trigger_conditions(
        {"id": "webhook", "type": "io.kestra.plugin.core.trigger.Webhook", "key": "k", **trigger},
        dialect,
    )


def test_deploy_checks_name_the_dialect_and_the_condition_types():
    ok = {"type": "io.kestra.plugin.core.condition.Expression", "expression": "{{ 1 }}"}
    assert problems({"conditions": [ok]}) == []
    assert problems({"when": "{{ true }}"}, "2.0") == []
    [(kind, message, path)] = problems({"conditions": []}, "2.0")
    assert (
        kind == "unknown-property"
        and "`when`" in message
        and "2.0" in message
        and path == ("conditions",)
    )
    [(kind, message, path)] = problems({"when": "{{ true }}"})
    assert (
        kind == "unknown-property"
        and "2.0" in message
        and "`conditions:`" in message
        and path == ("when",)
    )
    [(kind, message, path)] = problems(
        {"conditions": [{"type": "io.kestra.plugin.core.condition.Nope"}]}
    )
    assert (
        kind == "unknown-type"
        and "does not exist in Kestra" in message
        and path == ("conditions", 0, "type")
    )
    [(kind, message, _)] = problems(
        {"conditions": [{"type": "io.kestra.plugin.core.condition.Expresion"}]}
    )
    assert (
        kind == "unknown-type"
        and "did you mean io.kestra.plugin.core.condition.Expression?" in message
    )
    [(kind, message, _)] = problems(
        {
            "conditions": [
                {"type": "io.kestra.plugin.core.condition.ExecutionStatus", "in": ["SUCCESS"]}
            ]
        }
    )
    assert (
        kind == "unsupported-type"
        and "exists in Kestra" in message
        and "ExecutionStatus" in message
    )
    [(kind, message, _)] = problems(
        {"conditions": [{"type": "io.kestra.plugin.core.condition.MultipleCondition"}]}
    )
    assert kind == "invalid" and "MultipleCondition are not supported" in message
    [(kind, _, _)] = problems(
        {"conditions": [{"type": "io.kestra.plugin.core.condition.Expression"}]}
    )
    assert kind == "missing-property"
    assert (
        problems(
            {
                "conditions": [
                    {
                        "type": "io.kestra.plugin.core.condition.Or",
                        "conditions": [
                            {
                                "type": "io.kestra.plugin.core.condition.Expression",
                                "expression": "{{ trigger.body.a == }}",
                            }
                        ],
                    }
                ]
            }
        )
        == []
    )
    [(kind, _, path)] = problems(
        {"conditions": [{"type": "io.kestra.plugin.core.condition.DayWeek", "dayOfWeek": "FUNDAY"}]}
    )
    assert kind == "invalid" and path == ("conditions", 0, "dayOfWeek")
    [(kind, _, _)] = problems(
        {
            "conditions": [
                {"type": "io.kestra.plugin.core.condition.TimeBetween", "date": "{{ now() }}"}
            ]
        }
    )
    assert kind == "missing-property"
    [(kind, message, _)] = problems(
        {
            "conditions": [
                {
                    "type": "io.kestra.plugin.core.condition.TimeBetween",
                    "date": "{{ now() }}",
                    "after": "22:00:00Z",
                    "before": "02:00:00Z",
                }
            ]
        }
    )
    assert kind == "unsupported-property" and "midnight" in message and "Or" in message


def test_condition_expressions_are_checked_as_every_expression_of_a_flow():
    """The validator's one expression walker: a syntax error, a Kestra name the engine lacks
    (unsupported) and a name that exists nowhere (invalid, with a did-you-mean), wherever they sit."""
    from lab.kestra.engine.validation import validate

    one = validate(
        hook_flow(
            "f",
            conditions(
                "      - type: io.kestra.plugin.core.condition.Or\n        conditions:\n"
                + expression("{{ trigger.body.a == }}", 10),
                expression("{{ fileURI('x') }}"),
                '      - type: io.kestra.plugin.core.condition.DateTimeBetween\n        date: "{{ now() }}"\n'
                '        after: "{{ now() | upperr }}"\n',
            ),
        )
    )
    assert [(p.kind, p.path) for p in one] == [
        ("expression", "triggers[0].conditions[0].conditions[0].expression"),
        ("expression", "triggers[0].conditions[1].expression"),
        ("expression", "triggers[0].conditions[2].after"),
    ]
    assert "fileURI exists in Kestra but is not supported" in one[1].message
    assert "upperr (did you mean upper?) does not exist" in one[2].message
    [two] = validate(hook_flow("f", '    when: "{{ trigger.body | upperr }}"\n'), version="2.0")
    assert (
        two.kind == "expression"
        and two.path == "triggers[0].when"
        and "did you mean upper?" in two.message
    )
    assert validate(hook_flow("f", conditions(expression("{{ trigger.body.a == 1 }}")))) == []


async def test_an_invalid_condition_is_refused_at_deploy():
    from lab.kestra.engine.errors import FlowInvalid

    with pytest.raises(FlowInvalid) as err:
        Engine(version="2.0").deploy(hook_flow("old", conditions(expression("{{ true }}"))))
    assert "`when`" in str(err.value.problems[0])


def test_a_trigger_without_conditions_builds_no_context():
    """The webhook hot path: no condition, no run context (an engine without envs or functions will do)."""
    from lab.kestra.engine.flow import TriggerDef
    from lab.kestra.engine.webhooks import conditions_met

    trigger = TriggerDef(id="w", type="io.kestra.plugin.core.trigger.Webhook", props={"key": "k"})
    for version in ("1.3", "2.0"):
        assert conditions_met(SimpleNamespace(version=version), None, trigger, {}, "id") is True
    trigger.props["conditions"] = []
    assert conditions_met(SimpleNamespace(version="1.3"), None, trigger, {}, "id") is True


async def test_conditions_see_the_id_the_execution_then_gets(monkeypatch):
    """Kestra builds the execution first and checks the conditions on it: `execution.id` is the same."""
    from lab.kestra.engine import engine as engine_module

    seen: list[str] = []
    real = engine_module.conditions_met

    def spy(engine, flow, trigger, trigger_vars, eid):
        seen.append(eid)
        return real(engine, flow, trigger, trigger_vars, eid)

    monkeypatch.setattr(engine_module, "conditions_met", spy)
    engine = Engine()
    engine.deploy(
        hook_flow(
            "ids",
            "    conditions:\n      - type: io.kestra.plugin.core.condition.Expression\n"
            '        expression: "{{ execution.id | length == 22 }}"\n',
        )
    )
    execution = await engine.webhook(NS, "ids", "k", body=b"{}")
    assert execution is not None and seen == [execution.id]
    assert execution.label("system.correlationId") == execution.id
    await engine.aclose()
