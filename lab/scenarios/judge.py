"""An LLM judge for a turn, called through the lab's gateway so the cassette records and replays it.

The request is built only from the scenario (rubric) and the normalised conversation, so it is
identical on every replay and the cassette answers it: replay stays deterministic and offline.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lab.conversation import gateway_calls
from lab.conversation.model import Turn
from lab.conversation.session import LabSession
from lab.scenarios import replies as rp
from lab.scenarios.assertions import Check
from lab.scenarios.model import ScenarioCase, Step
from lab.whatsapp.reply import visible

SYSTEM = (
    "You grade one turn of a WhatsApp conversation between a customer and a business's AI agent. "
    "Read the rubric and the conversation, then answer only with JSON: "
    '{"pass": true or false, "reason": "<one sentence>"}.'
)


def judge_request(step: Step, turn: Turn, history: list[Turn], model: str) -> dict[str, Any]:
    """The chat completion body sent to the judge model."""
    lines = []
    for t in history:
        lines.append(f"customer: {t.inbound.summary}")
        for send in t.replies:
            if visible(send):
                view = rp.show(send)
                extra = f" [buttons: {', '.join(view['buttons'])}]" if "buttons" in view else ""
                extra += f" [list: {', '.join(rp.row_titles(view))}]" if "sections" in view else ""
                lines.append(f"agent: {rp.reply_text(view)}{extra}")
    rubric = str(step.expect.judge["rubric"]) if step.expect and step.expect.judge else ""
    user = (
        f"Rubric:\n{rubric}\n\nConversation (the last agent messages are the turn to grade):\n"
        + "\n".join(lines)
    )
    return {
        "model": model,
        "temperature": 0,
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}],
    }


def verdict_of(content: str) -> tuple[bool | None, str]:
    """(passed, reason) from the judge's answer; passed is None when the answer is not the JSON asked for."""
    match = re.search(r"\{.*\}", content or "", re.S)
    try:
        data = json.loads(match.group(0)) if match else None
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("pass"), bool):
        return None, (content or "")[:200]
    return data["pass"], str(data.get("reason", ""))


async def judge_turn(lab: LabSession, step: Step, turn: Turn, case: ScenarioCase) -> Check:
    """Ask the judge model (through the gateway) whether the turn meets the step's rubric."""
    spec = step.expect.judge if step.expect else None
    model = str((spec or {}).get("model") or "gpt-4o-mini")
    history = [
        t for t in lab.transcript.turns if t.index <= turn.index and t.contact == turn.contact
    ]
    body = judge_request(step, turn, history, model)
    what = "LLM judge: " + str((spec or {}).get("rubric", ""))[:60]

    def check(ok: bool, expected: str, got: str) -> Check:
        return Check(step.index, turn.index, what, ok, expected, got, step.line)

    if getattr(lab, "gateway", None) is None:
        return check(False, "a judge verdict", "this lab has no LLM gateway")
    try:
        content = await gateway_calls.chat(lab, f"judge-{case.scenario.name}-{turn.index}", body)
    except gateway_calls.ModelCallFailed as failed:
        return check(
            False,
            "a judge verdict",
            f"the judge call failed: HTTP {failed.status} {failed.text[:300]}",
        )
    passed, reason = verdict_of(content)
    if passed is None:
        return check(False, '{"pass": true|false, "reason": ...}', reason)
    return check(passed, "pass", f"{'pass' if passed else 'fail'}: {reason}")
