"""What the TUI needs from a lab session, and how it opens one.

The real session is `lab.conversation.lab.Lab`; tests and benchmarks pass any object with the
same names (a scripted fake). The TUI only calls what `LabSession` lists, so the contract
between the two stays visible in one place.
"""

from __future__ import annotations

import inspect
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from lab.conversation.session import LabSession

LabFactory = Callable[[], AbstractAsyncContextManager[LabSession]]


@dataclass(slots=True)
class SessionFacts:
    """What the header shows about a session (read once it is open)."""

    target: str = "opening…"
    flow: str = ""
    llm_mode: str = ""
    records_to: str | None = None  # --llm record: the cassette the LLM calls go into


async def maybe_await(value: Any) -> Any:
    """Await `value` when the session method was async (the contract allows both)."""
    return await value if inspect.isawaitable(value) else value


def session_now(lab: LabSession) -> datetime | None:
    """The session's virtual now, or None when it has no clock."""
    clock = getattr(lab, "clock", None)
    if clock is None:
        return None
    return clock.now() if hasattr(clock, "now") else None


def facts_of(lab: LabSession, settings: Any | None) -> SessionFacts:
    """Target, flow and LLM mode as the header shows them."""
    try:
        target = lab.describe_target()
    except Exception:  # a session without it still opens; the header says so
        target = "target unknown"
    flow = getattr(lab, "flow", None) or (
        f"{settings.namespace}.{settings.flow}" if settings else ""
    )
    mode = getattr(lab, "llm_mode", None) or (settings.llm_mode if settings else "")
    transcript = getattr(lab, "transcript", None)
    if transcript is not None:
        flow = flow or transcript.flow
        mode = mode or transcript.llm_mode
    cassettes = getattr(getattr(lab, "gateway", None), "cassettes", None)
    records_to = getattr(cassettes, "record_to", None) if mode == "record" else None
    return SessionFacts(
        target=str(target),
        flow=str(flow),
        llm_mode=str(mode),
        records_to=str(records_to) if records_to else None,
    )


def contact_id(contact: Any) -> str:
    return str(getattr(contact, "wa_id", contact))


def contact_name(contact: Any) -> str:
    return str(getattr(contact, "name", "") or contact_id(contact))


def real_lab_factory(settings: Any, **options: Any) -> LabFactory:
    """A factory opening the real `Lab` (imported only when called: it pulls in the whole core)."""

    def factory() -> AbstractAsyncContextManager[Any]:
        from lab.conversation.lab import Lab  # deferred: keeps the TUI's start-up fast

        return Lab.open(settings, **options)

    return factory


def active_prompt(
    lab: LabSession | None, settings: Any | None, applied: str | None = None
) -> str | None:
    """The prompt variant the flow runs: the session's word, else the last one applied here, else the
    flow's default prompt file (what a fresh deployment uses), else None."""
    reported = getattr(lab, "active_prompt", None) if lab is not None else None
    flow = settings.flow if settings is not None else None
    if reported and (flow is None or str(reported).split(".", 1)[0] == flow):
        return str(reported)
    if applied:
        return applied
    if settings is None:
        return None
    default = settings.prompts_dir / f"{settings.flow}.default.md"
    return f"{settings.flow}.default" if default.exists() else None
