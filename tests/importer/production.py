"""A production Kestra for import tests: a conversation run on the lab (the embedded engine), whose
REST API is then served on loopback as if it were production's."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from lab.config import Contact, load_settings
from lab.conversation.actions import Action, Advance, SendText
from lab.conversation.lab import Lab
from lab.kestra.engine.api import KestraApi
from lab.llm.scripted import ScriptedReplies

TYPING = timedelta(seconds=20)
USER, PASSWORD = "prod@example.com", "prod-password-1234"
CLOCK = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
NAME, WA_ID = "Joana Araújo", "5541998765432"
LEAD_ACTS: list[Action] = [
    SendText("Oi, sou a Joana Araújo, CPF 529.982.247-25"),
    SendText("Quero economizar na conta de luz"),
    SendText("Meu e-mail é joana.araujo@gmail.com"),
]
AGENT_ACTS: list[Action] = [
    SendText("Oi, meu nome é Joana Araújo"),
    SendText("Quanto custa o plano?"),
]
AGENT_ANSWERS = ["Olá Joana! Como posso ajudar?", "O plano Essencial custa R$ 99 por mês."]
PERSONAL_ACTS: list[Action] = [
    SendText("Oi, sou a Joana Araújo, CPF 529.982.247-25"),
    SendText("Meu e-mail é joana.araujo@gmail.com"),
    SendText("Quanto custa o plano?"),
]
PERSONAL_ANSWERS = [
    "Olá Joana Araújo! Anotei seu CPF 529.982.247-25.",
    "Obrigada, vou escrever para joana.araujo@gmail.com.",
    "O plano Essencial custa R$ 99 por mês.",
]


def run_production(
    project: Path,
    flow: str,
    acts: list[Action],
    answers: list[Any] | None = None,
    version: str = "1.3",
) -> tuple[Any, list[Any]]:
    """Run the acts on the lab; its engine (holding the executions) and the turns."""
    settings = load_settings(
        project,
        namespace="company.whatsapp",
        flow=flow,
        llm_mode="scripted",
        kestra_version=version,
    )
    settings.contacts = [Contact(WA_ID, NAME)]

    async def session() -> tuple[Any, list[Any]]:
        async with Lab.open(
            settings, scripted=ScriptedReplies(answers or []), clock_start=CLOCK
        ) as lab:
            turns = []
            for act in acts:  # a person takes a while to type the next message
                turns.append(await lab.perform(WA_ID, act))
                await lab.perform(WA_ID, Advance(TYPING))
            kept = dict(lab.engine._runs)  # closing the session forgets its executions
            engine = lab.engine
        engine._runs.update(kept)  # production keeps them: its API serves them
        return engine, turns

    return asyncio.run(session())


def production_api(engine: Any, dialect: str) -> KestraApi:
    return KestraApi(engine, dialect=dialect, username=USER, password=PASSWORD)
