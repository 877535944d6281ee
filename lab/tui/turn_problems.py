"""What went wrong inside a finished turn that the chat should say out loud.

A failed model call does not fail the turn: the flow catches it and the person only sees the
agent's fallback reply. The error panel says why (the gateway's own explanation, which tells how
to fix it), where, and where to look further.
"""

from __future__ import annotations

from typing import Any

from lab.errors import LabError


def model_call_failure(turn: Any) -> LabError | None:
    """The first failed model call of the turn, as an error for the error panel (None: none failed)."""
    calls = list(getattr(turn, "llm_calls", None) or [])
    failed = [c for c in calls if c.error is not None or not 200 <= c.status < 300]
    if not failed:
        return None
    first = failed[0]
    count = f"{len(failed)} of {len(calls)} calls" if len(calls) > 1 else "1 call"
    what = (
        f"the model call failed in turn {turn.index} ({count}, HTTP {first.status}): the reply shown is "
        "what the flow sent without the model's answer"
    )
    where = f"model {first.model}, LLM mode {first.mode}" + (
        f", execution {first.execution_id}" if first.execution_id else ""
    )
    # The gateway's message says what was missing or refused, and how to fix it.
    fix = f"{first.error or 'the upstream gave no answer'} (Timeline: the failed task; Logs: its lines)"
    return LabError(what, where=where, fix=fix)
