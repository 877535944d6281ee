"""A chat completion through the lab's LLM gateway, so live, record, replay and scripted apply.

The simulated user, its rubric judge and a scenario's LLM judge call the gateway in-process (ASGI)
under their own call id (`/x/persona-…/`, `/x/judge-…/`): metered like the agent's calls, recorded
in the same cassette, and replayed from it with no key.
"""

from __future__ import annotations

from typing import Any

import orjson

from lab.conversation.session import LabSession
from lab.errors import LabError
from lab.server import asgi_post


class ModelCallFailed(LabError):
    """The gateway answered a lab-side model call with an error status."""

    def __init__(self, call_id: str, status: int, text: str) -> None:
        super().__init__(
            f"the {call_id} model call failed: HTTP {status} {text[:300]}",
            fix="record it (`--llm record` with a key), or use a scripted persona and judge",
        )
        self.status = status
        self.text = text


async def chat(lab: LabSession, call_id: str, body: dict[str, Any]) -> str:
    """The answer's text; a failed call is a ModelCallFailed saying what the gateway answered."""
    gateway = getattr(lab, "gateway", None)
    if gateway is None:
        raise LabError(
            "this lab has no LLM gateway for the simulated user or the judge",
            fix="play on a lab with a gateway, or use a scripted persona and judge",
        )
    # In-process, no HTTP client objects on the way (one per call was a tenth of a replayed
    # simulated conversation's CPU): the gateway answers as it answers the flow's calls.
    status, content = await asgi_post(
        gateway.app,
        f"/x/{call_id}/v1/chat/completions",
        orjson.dumps(body),
        {
            "host": "walab-gateway",
            "content-type": "application/json",
            "authorization": f"Bearer {lab.settings.gateway_key}",
        },
    )
    if status != 200:
        raise ModelCallFailed(call_id, status, content.decode("utf-8", "replace"))
    return str(orjson.loads(content)["choices"][0]["message"].get("content") or "")


def cost_of(lab: LabSession, call_id: str) -> tuple[float, int, int]:
    """(USD, input tokens, output tokens) the gateway metered for one call id (unknown price: 0)."""
    gateway = getattr(lab, "gateway", None)
    calls = gateway.calls(call_id) if gateway is not None else []
    return (
        sum(c.cost_usd or 0.0 for c in calls),
        sum(c.input_tokens for c in calls),
        sum(c.output_tokens for c in calls),
    )
