"""The simulated user: a scripted persona (its moves in order) or a model through the gateway.

The model sees the persona (`Persona.describe`), the conversation so far (the agent's messages as
the user's turns, its own as the assistant's) and answers with one move as JSON (`lab.simulate.moves`).
Its request is built only from the persona and the conversation, so a recorded conversation replays
from the cassette deterministically.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from lab.conversation import gateway_calls
from lab.conversation.model import Turn
from lab.conversation.session import LabSession
from lab.errors import ConfigError, LabError
from lab.simulate.moves import Move, parse_move
from lab.simulate.persona import Persona
from lab.whatsapp.reply import Reply

MOVE_FORMAT = (
    "Responda SOMENTE com um objeto JSON, uma jogada por vez: "
    '{"say": "texto"} para escrever; {"tap": "título"} para tocar um botão ou item de lista da última '
    'mensagem; {"burst": ["msg1", "msg2"]} para mandar várias mensagens seguidas; '
    '{"location": {"lat": -23.5, "lon": -46.6, "name": "..."}} para mandar a localização; '
    '{"contacts": [{"name": "...", "phone": "+55..."}]} para mandar um contato; {"quiet": "25h"} para '
    'sumir e voltar depois; {"done": "goal_reached"} quando seu objetivo foi atendido; '
    '{"done": "gave_up"} quando você desiste.'
)


def agent_lines(turn: Turn) -> list[str]:
    """The agent's visible replies of a turn as the simulated user reads them (with buttons and rows)."""
    lines = []
    for send in turn.replies:
        reply = Reply.of(send)
        if not reply.visible:
            continue
        text = " ".join(x for x in (reply.header, reply.body, reply.footer) if x)
        if reply.template is not None:
            text = text or f"[modelo {reply.template.name}]"
        extra = f" [botões: {', '.join(reply.buttons)}]" if reply.buttons else ""
        rows = [r for _, titles in reply.sections for r in titles]
        extra += f" [lista: {', '.join(rows)}]" if rows else ""
        lines.append(text + extra)
    return lines


class SimulatedUser(Protocol):
    async def next_move(self, lab: LabSession, history: list[tuple[Move, list[Turn]]]) -> Move: ...


@dataclass
class ScriptedUser:
    """The persona's script, move by move; when it runs out the user gives up."""

    persona: Persona
    _next: int = 0

    async def next_move(self, lab: LabSession, history: list[tuple[Move, list[Turn]]]) -> Move:
        script = self.persona.script or []
        if self._next >= len(script):
            return Move((), "gave_up", {"done": "gave_up"})
        move = script[self._next]
        self._next += 1
        return move


@dataclass
class ModelUser:
    """The persona played by a model through the lab's gateway (`persona.model`)."""

    persona: Persona
    run: int = 1
    temperature: float = 0.0
    _turn: int = field(default=0)

    def request(self, history: list[tuple[Move, list[Turn]]]) -> dict[str, Any]:
        """The chat completion body: persona, conversation, and the move format."""
        system = f"{self.persona.describe()}\n\n{MOVE_FORMAT}"
        messages: list[dict[str, str]] = [
            {"role": "system", "content": system},
            {"role": "user", "content": "(a conversa começa: mande sua primeira mensagem)"},
        ]
        for move, turns in history:
            messages.append(
                {"role": "assistant", "content": json.dumps(move.step, ensure_ascii=False)}
            )
            said = [line for t in turns for line in agent_lines(t)]
            messages.append({"role": "user", "content": "\n".join(said) or "(sem resposta)"})
        body: dict[str, Any] = {
            "model": self.persona.model,
            "temperature": self.temperature,
            "messages": messages,
        }
        if self.run > 1:  # repeat runs differ on purpose: each its own recording
            body["seed"] = self.run
        return body

    async def next_move(self, lab: LabSession, history: list[tuple[Move, list[Turn]]]) -> Move:
        self._turn += 1
        call_id = f"persona-{self.persona.name}-r{self.run}-{self._turn}"
        content = await gateway_calls.chat(lab, call_id, self.request(history))
        return move_of(content, self.persona.name)


def move_of(content: str, who: str) -> Move:
    """The move in a model's answer (JSON, perhaps inside prose or a code fence)."""
    match = re.search(r"\{.*\}", content or "", re.S)
    try:
        data = json.loads(match.group(0)) if match else None
    except ValueError:
        data = None
    if data is None and content and content.strip():
        return parse_move({"say": content.strip()})  # a model that forgot the format just talks
    try:
        return parse_move(data)
    except ConfigError as exc:
        raise LabError(
            f"the simulated user {who!r} answered something that is not a move: {content[:200]!r}",
            fix=exc.fix,
        ) from None


def simulated_user(persona: Persona, run: int = 1) -> SimulatedUser:
    """The persona's simulated user: its model when it has one, else its script."""
    return ModelUser(persona, run) if persona.model else ScriptedUser(persona)
