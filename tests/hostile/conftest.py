"""Hostile input: files and requests built to hang, crash or half-write the lab, and what it answers."""

from __future__ import annotations

from typing import Any

from lab.kestra.engine.api import KestraApi
from lab.kestra.engine.engine import Engine


def alias_bomb(levels: int = 9, fan: int = 9) -> str:
    """A 'billion laughs' document: `fan ** levels` strings once its aliases are expanded."""
    names = [f"l{i}" for i in range(levels + 1)]
    lines = [f'{names[0]}: &{names[0]} [{", ".join(["lol"] * fan)}]']
    for prev, name in zip(names, names[1:]):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * fan)}]")
    return "\n".join(lines) + "\n"


SELF_ALIAS = "a: &a [1, *a]\n"
DEEP = "a: " + "[" * 200 + "]" * 200 + "\n"
HUGE_INT = "a: 1" + "0" * 5000 + "\n"
BAD_DATE = "a: 2026-13-45\n"


def engine_api(**kwargs: Any) -> KestraApi:
    """The embedded engine's REST API with no flow deployed."""
    return KestraApi(Engine(), **kwargs)


TOKEN = "EAAWtest-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def sandbox_app(**kwargs: Any) -> Any:
    """The fake Graph API (with /_lab control), a frozen clock, no bot behind it."""
    from datetime import datetime, timezone

    from lab.clock import VirtualClock
    from lab.config import Business
    from lab.whatsapp.sandbox import GraphSandbox
    from lab.whatsapp.templates import TemplateRegistry

    return GraphSandbox(
        access_token=TOKEN,
        app_secret="app-secret-0123456789abcdef",
        business=Business(),
        clock=VirtualClock(datetime(2026, 3, 2, 12, tzinfo=timezone.utc)),
        templates=TemplateRegistry.load(),
        **kwargs,
    )
