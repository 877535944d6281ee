"""A flow whose webhook trigger conditions skip WhatsApp status webhooks, in a whole Lab session.

Kestra answers a webhook whose conditions are not met with no execution (409 with an empty body
on 1.3, as in its webhook-with-condition.yaml case; 204 on 2.0). For status webhooks that is the
flow working as meant: the relay records a delivery that started no execution and raises no
error. A *message* webhook that starts nothing is still the turn's error.
"""

from __future__ import annotations

import shutil
from typing import Any

from waiting import eventually

from lab.conversation import events as ev

from .conftest import CLOCK, MARIA, ROOT

ONLY_MESSAGES = (
    "    conditions:\n      - type: io.kestra.plugin.core.condition.Expression\n"
    '        expression: "{{ trigger.body.entry[0].changes[0].value.messages is defined }}"\n'
)
NOTHING = (
    "    conditions:\n      - type: io.kestra.plugin.core.condition.Expression\n"
    '        expression: "{{ trigger.body.never is defined }}"\n'
)


def project(tmp_path, condition: str) -> Any:
    """A project folder with the bundled whatsapp_agent flow, its webhook trigger given `condition`."""
    from lab.config import load_settings

    shutil.copytree(ROOT / "prompts", tmp_path / "prompts")
    shutil.copytree(ROOT / "flows" / "files", tmp_path / "flows" / "files")
    shutil.copy(ROOT / "flows" / "claim_message.yml", tmp_path / "flows")  # its subflow
    source = (ROOT / "flows" / "whatsapp_agent.yml").read_text(encoding="utf-8")
    marker = "    key: whatsapp-inbound\n"
    assert source.count(marker) == 1
    (tmp_path / "flows" / "whatsapp_agent.yml").write_text(
        source.replace(marker, marker + condition), encoding="utf-8"
    )
    return load_settings(tmp_path, env={}, flow="whatsapp_agent", llm_mode="scripted")


async def test_status_webhooks_skipped_by_the_conditions_are_deliveries_without_executions(
    tmp_path,
):
    from lab.conversation.lab import Lab
    from lab.llm.scripted import ScriptedReplies

    seen: list = []
    replies = ScriptedReplies([{"match": ".", "reply": '{"text": "Olá!"}'}], source="test")
    async with Lab.open(
        project(tmp_path, ONLY_MESSAGES), clock_start=CLOCK, scripted=replies
    ) as lab:
        lab.subscribe(seen.append)
        turn = await lab.send_text(MARIA, "Oi")
        texts = [s.payload["text"]["body"] for s in turn.replies if s.type == "text"]
        assert turn.verdict == "ok" and texts == ["Olá!"]
        assert [e.flow_id for e in turn.executions] == ["whatsapp_agent", "claim_message"]
        # the sandbox delivers statuses asynchronously, as Meta does
        await eventually(lambda: len(lab.status_deliveries) >= 2, "two status webhooks delivered")
        deliveries = list(lab.status_deliveries)
        await lab.sandbox.drain()
    assert len(deliveries) >= 2 and {s for d in deliveries for s in d.statuses} >= {"sent"}
    assert all(d.http_status == 409 and d.execution_id is None for d in deliveries)
    assert not [e for e in seen if isinstance(e, ev.LabErrorRaised)]


async def test_a_message_webhook_the_conditions_skip_is_the_turns_error(tmp_path):
    from lab.conversation.lab import Lab
    from lab.llm.scripted import ScriptedReplies

    replies = ScriptedReplies([{"match": ".", "reply": '{"text": "Olá!"}'}], source="test")
    async with Lab.open(project(tmp_path, NOTHING), clock_start=CLOCK, scripted=replies) as lab:
        turn = await lab.send_text(MARIA, "Oi")
    assert turn.verdict == "error" and not turn.executions
    assert (
        "did not start an execution" in turn.error
        and "conditions" in turn.error
        and "409" in turn.error
    )


async def test_the_relay_records_a_2_0_skip_as_204():
    """The relay against an engine answering as Kestra 2.0 does when `when` is not met (204, no body)."""
    from types import SimpleNamespace

    from lab.conversation import relay
    from lab.whatsapp.signing import signature

    async def kestra_2_0(scope: dict, receive: Any, send: Any) -> None:
        await receive()
        assert scope["path"] == "/api/v1/main/executions/webhook/company.whatsapp/agent/k"
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    errors: list = []
    parts = SimpleNamespace(
        plan=SimpleNamespace(
            namespace="company.whatsapp", flow=lambda _: SimpleNamespace(webhook_key="k")
        ),
        settings=SimpleNamespace(flow="agent", app_secret="s3cret"),
        engine=object(),
        server=kestra_2_0,
        client=SimpleNamespace(base_url="http://e"),
        status_deliveries=[],
        on_error=lambda *a: errors.append(a),
    )
    app = relay.StatusRelay(parts)
    sent: list = []
    body = {"type": "http.request", "body": b'{"entry": []}', "more_body": False}

    async def receive() -> dict:
        return body

    async def send(message: dict) -> None:
        sent.append(message)

    signed = [(b"x-hub-signature-256", signature(body["body"], "s3cret").encode())]
    await app({"type": "http", "method": "POST", "headers": signed}, receive, send)
    assert sent[0]["status"] == 200 and not errors
    [delivery] = parts.status_deliveries
    assert delivery.http_status == 204 and delivery.execution_id is None
