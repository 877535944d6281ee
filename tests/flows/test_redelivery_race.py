"""A redelivery racing the first execution: the message is claimed once (flows/claim_message.yml).

Kestra's KV store has no atomic check-and-set, so a dedupe written as a KV read then a KV write
answers twice when Meta's redelivery reads before the first execution writes. The agent flows
claim each message through a subflow that runs one execution at a time (`concurrency: {limit: 1,
behavior: QUEUE}`), which closes the window however wide it is.
"""

from __future__ import annotations

import asyncio
import json

from lab.kestra.engine import Engine

from .conftest import MARIA, ROOT

CLAIM = (ROOT / "flows" / "claim_message.yml").read_text(encoding="utf-8")
# The gap a busy Kestra leaves between two task runs (each goes through its queue and a worker),
# written out so the race happens every time rather than now and then.
GAP = """
  - id: scheduling_gap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT0.05S
"""
WIDENED_CLAIM = CLAIM.replace("\n  - id: claim\n", GAP + "\n  - id: claim\n", 1)
assert "scheduling_gap" in WIDENED_CLAIM

NAIVE = """
id: naive
namespace: company.whatsapp
tasks:
  - id: check_duplicate
    type: io.kestra.plugin.core.flow.If
    condition: "{{ kv('seen_' ~ trigger.body.id, errorOnMissing=false) != null }}"
    then:
      - id: ignore_duplicate
        type: io.kestra.plugin.core.log.Log
        message: duplicate
    else:
      - id: scheduling_gap
        type: io.kestra.plugin.core.flow.Sleep
        duration: PT0.05S
      - id: remember
        type: io.kestra.plugin.core.kv.Set
        key: "seen_{{ trigger.body.id }}"
        value: "{{ execution.id }}"
      - id: reply
        type: io.kestra.plugin.core.log.Log
        message: reply
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: k
"""

CLAIMED = """
id: claimed
namespace: company.whatsapp
tasks:
  - id: claim
    type: io.kestra.plugin.core.flow.Subflow
    namespace: "{{ flow.namespace }}"
    flowId: claim_message
    inputs:
      wamid: "{{ trigger.body.id }}"
      execution: "{{ execution.id }}"
  - id: check_duplicate
    type: io.kestra.plugin.core.flow.If
    condition: "{{ outputs.claim.outputs.owner != execution.id }}"
    then:
      - id: ignore_duplicate
        type: io.kestra.plugin.core.log.Log
        message: duplicate
    else:
      - id: reply
        type: io.kestra.plugin.core.log.Log
        message: reply
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: k
"""


async def replies_to_redeliveries(engine: Engine, flow_id: str, copies: int = 3) -> int:
    """Deliver one webhook `copies` times at once; how many executions replied."""
    body = json.dumps({"id": "wamid.HBgLNTUxMTk4NzY1NDMyMRUCABIYFDNBMkM5"}).encode()
    started = await asyncio.gather(
        *(engine.webhook("company.whatsapp", flow_id, "k", body=body) for _ in range(copies))
    )
    done = [await engine.wait(x.id, timeout=10) for x in started]
    assert {x.state.current for x in done} == {"SUCCESS"}
    return sum(
        1
        for x in done
        for t in x.task_runs
        if t.task_id == "reply" and t.state.current == "SUCCESS"
    )


async def test_a_read_then_write_dedupe_answers_a_racing_redelivery_twice():
    engine = Engine()
    engine.deploy(NAIVE)
    assert await replies_to_redeliveries(engine, "naive") == 3  # the race this test reproduces


async def test_the_claim_subflow_answers_a_racing_redelivery_once():
    engine = Engine()
    engine.deploy(CLAIM)
    engine.deploy(CLAIMED)
    assert await replies_to_redeliveries(engine, "claimed") == 1


async def test_the_claim_holds_however_wide_the_gap_between_its_read_and_write():
    engine = Engine()
    engine.deploy(WIDENED_CLAIM)
    engine.deploy(CLAIMED)
    assert await replies_to_redeliveries(engine, "claimed") == 1
    claims = [x for x in engine.executions() if x.flow_id == "claim_message"]
    assert len(claims) == 3 and sum("QUEUED" in [s for s, _ in x.state.histories] for x in claims)
    assert {x.outputs["owner"] for x in claims} == {claims[0].inputs["execution"]}


async def test_whatsapp_agent_answers_a_racing_redelivery_once(open_lab):
    """The bundled agent, through the lab: Meta's redeliveries posted with the first delivery
    (the executions run side by side), the claim's read and write a scheduling gap apart, as on
    a busy Kestra; one reply, one model call."""
    async with open_lab(flow="whatsapp_agent", scripted=[{"json": {"text": "Oi!"}}]) as lab:
        await lab.client.flows.deploy(WIDENED_CLAIM)
        inbound = lab.phone.text(MARIA, "Oi")
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": inbound.signature}
        posted = await asyncio.gather(
            *(
                lab.client.trigger_webhook(
                    "company.whatsapp", "whatsapp_agent", "whatsapp-inbound", inbound.body, headers
                )
                for _ in range(3)
            )
        )
        ids = [p.execution_id for p in posted]
        finished = [await lab.client.wait_terminal(i, timeout=10) for i in ids]
        assert {x.state.current for x in finished} == {"SUCCESS"}
        await lab.sandbox.drain()
        texts = [s for s in lab.sandbox.thread(MARIA) if s.payload.get("type") == "text"]
        assert len(texts) == 1 and texts[0].payload["text"]["body"] == "Oi!"
        assert len(lab.gateway.calls()) == 1
        duplicates = [x for x in finished if "ignore_duplicate" in {t.task_id for t in x.task_runs}]
        assert len(duplicates) == 2
