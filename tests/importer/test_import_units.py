"""The importer's parts: webhooks read back as acts and grouped into conversations, the tasks that
reached outside stood in for by fixtures, the model's answers as scripted replies, the options."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone

import pytest

from lab.conversation.actions import SendText, Tap
from lab.errors import ConfigError
from lab.importer.cli import configure, query_of
from lab.importer.conversations import group
from lab.importer.tasks import LAB, MODEL, OUTSIDE, FlowTasks
from lab.kestra.shapes import Execution

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


def _execution(
    n: int,
    message: dict | None,
    *,
    at: timedelta,
    wa_id: str = "5511987654321",
    delivered: timedelta = timedelta(),
    runs: list | None = None,
) -> Execution:
    value: dict = {"contacts": [{"wa_id": wa_id, "profile": {"name": "Joana"}}]}
    if message is None:
        value["statuses"] = [{"status": "read"}]
    else:
        value["messages"] = [
            {
                "from": wa_id,
                "id": f"wamid.{message.pop('wamid', n)}",
                "timestamp": str(int((T0 + at).timestamp())),
                **message,
            }
        ]
    start = (T0 + at + delivered).isoformat().replace("+00:00", "Z")
    return Execution.from_json(
        {
            "id": f"ex{n}",
            "namespace": "company.whatsapp",
            "flowId": "whatsapp_agent",
            "state": {"current": "SUCCESS", "startDate": start},
            "taskRunList": runs or [],
            "trigger": {
                "id": "whatsapp",
                "variables": {"body": {"entry": [{"changes": [{"value": value}]}]}},
            },
        }
    )


def _text(body: str, **extra) -> dict:
    return {"type": "text", "text": {"body": body}, **extra}


def test_webhooks_become_acts_grouped_per_contact_and_silence() -> None:
    executions = [
        _execution(1, _text("Oi"), at=timedelta()),
        _execution(2, None, at=timedelta(seconds=5)),  # a status callback
        _execution(3, _text("Oi", wamid=1), at=timedelta(), delivered=timedelta(seconds=3)),
        _execution(
            4,
            {
                "type": "interactive",
                "interactive": {
                    "type": "button_reply",
                    "button_reply": {"id": "b1", "title": "Ver planos"},
                },
            },
            at=timedelta(minutes=1),
        ),
        _execution(5, _text("Voltei"), at=timedelta(hours=2), delivered=timedelta(hours=1)),
        _execution(6, {"type": "image", "image": {"id": "m1"}}, at=timedelta(hours=2, minutes=1)),
        _execution(7, _text("Outro dia"), at=timedelta(days=3)),
        _execution(8, _text("Sou outro"), at=timedelta(minutes=2), wa_id="5521987654321"),
    ]
    grouped = group(executions, timedelta(hours=24))
    assert grouped.statuses == 1
    assert grouped.other == [
        "execution ex6: a image message: Kestra keeps its media id, not its content"
    ]
    first, other, later = grouped.conversations
    assert [m.act() for m in first.messages] == [
        SendText("Oi", duplicates=1),  # delivered twice
        Tap("Ver planos"),
        SendText("Voltei", delivered_after=timedelta(hours=1)),  # an hour late
    ]
    assert other.wa_id == "5521987654321" and later.messages[0].act() == SendText("Outro dia")


FLOW = {
    "id": "f",
    "namespace": "n",
    "tasks": [
        {
            "id": "send",
            "type": "io.kestra.plugin.core.http.Request",
            "uri": "{{ kv('WA_GRAPH_URL') }}/x",
        },
        {
            "id": "crm",
            "type": "io.kestra.plugin.core.http.Request",
            "uri": "https://crm.example.com",
        },
        {
            "id": "route",
            "type": "io.kestra.plugin.core.flow.Switch",
            "cases": {
                "a": [
                    {"id": "agent", "type": "io.kestra.plugin.ai.agent.AIAgent"},
                    {"id": "mail", "type": "io.kestra.plugin.notifications.mail.MailSend"},
                ]
            },
        },
        {"id": "calc", "type": "io.kestra.plugin.core.debug.Return"},
    ],
}


def _run(task_id: str, state: str, outputs: dict | None = None, value: str | None = None) -> dict:
    run = {
        "id": f"r-{task_id}",
        "taskId": task_id,
        "state": {"current": state},
        "attempts": [{"state": {"current": state}}],
    }
    if outputs is not None:
        run["outputs"] = outputs
    if value is not None:
        run["value"] = value
    return run


def test_outside_tasks_become_fixtures_and_the_model_answers_scripted_replies() -> None:
    tasks = FlowTasks.of(FLOW)
    assert [tasks.kind(t) for t in ("send", "crm", "agent", "mail", "calc")] == [
        LAB,
        OUTSIDE,
        MODEL,
        OUTSIDE,
        "inside",
    ]
    execution = _execution(
        1,
        _text("Oi"),
        at=timedelta(),
        runs=[
            _run("send", "SUCCESS", {"code": 200}),
            _run("crm", "SUCCESS", {"code": 201, "body": '{"lead": 7}'}),
            _run("mail", "FAILED", value="x"),
            _run(
                "agent",
                "SUCCESS",
                {
                    "textOutput": "Pronto!",
                    "toolExecutions": [
                        {"requestName": "buscar_plano", "requestArguments": '{"id": 3}'}
                    ],
                },
            ),
            _run("crm", "SKIPPED", value="again"),
        ],
    )
    assert tasks.fixtures(execution) == [
        {"id": "crm", "outputs": {"code": 201, "body": '{"lead": 7}'}},
        {"id": "mail", "value": "x", "state": "FAILED"},
    ]
    assert tasks.answers(execution) == [
        {"tool_call": {"name": "buscar_plano", "arguments": {"id": 3}}},
        "Pronto!",
    ]
    failed = _execution(2, _text("Oi"), at=timedelta(), runs=[_run("agent", "FAILED")])
    assert tasks.answers(failed) == [
        {"error": 500, "message": "the model call failed in production"}
    ]


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    configure(parser)
    return parser.parse_args(["--kestra", "http://k", *argv])


def test_the_options_name_the_executions_or_say_what_is_wrong() -> None:
    query = query_of(
        _args(
            "--flow",
            "company.whatsapp/agent",
            "--since",
            "2d",
            "--label",
            "team=vendas",
            "--state",
            "failed",
        )
    )
    assert query.flow == ("company.whatsapp", "agent") and query.since == timedelta(days=2)
    assert query.labels == {"team": "vendas"} and query.states == ("FAILED",)
    assert query_of(_args("--execution", "a", "b")).ids == ("a", "b")
    with pytest.raises(ConfigError, match="--flow needs --since"):
        query_of(_args("--flow", "ns/id"))
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        query_of(_args("--flow", "ns/id", "--since", "1d", "--label", "oops"))
    with pytest.raises(ConfigError, match="NAMESPACE/ID"):
        query_of(_args("--flow", "agent", "--since", "1d"))
