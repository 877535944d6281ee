"""Fixtures: a lab on the embedded engine, frozen clock, for the project's own flows."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, AsyncIterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "conversation" / "data"
CLOCK = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
MARIA = "5511987654321"
JOAO = "5521998765432"


def settings(**overrides: Any) -> Any:
    from lab.config import load_settings

    return load_settings(ROOT, env={}, **overrides)


@pytest.fixture
def open_lab():
    """`async with open_lab(flow=..., llm_mode=..., scripted=[...]) as lab`."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def opener(
        flow: str = "lead_qualification",
        llm_mode: str = "replay",
        scripted: list | None = None,
        **kw: Any,
    ) -> AsyncIterator[Any]:
        from lab.conversation.lab import Lab
        from lab.llm.scripted import ScriptedReplies

        s = settings(flow=flow, llm_mode="scripted" if scripted is not None else llm_mode)
        replies = ScriptedReplies(scripted, source="test") if scripted is not None else None
        async with Lab.open(s, clock_start=CLOCK, scripted=replies, **kw) as lab:
            yield lab

    return opener
