"""Autopilot: a persona chatting in a live session (the chat TUI) while a person watches.

The persona plays as the contact on show: its acts go through `Lab.perform` like the person's, so
the chat shows each bubble as the turn runs. The person can stop it at any time, or take over by
typing: the move in flight finishes, the persona makes no other, and the conversation ends as
`stopped` (unjudged). Otherwise, when the persona is done, its rubric is judged as in
`walab simulate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from lab.conversation.model import Turn
from lab.conversation.session import LabSession
from lab.errors import LabError
from lab.simulate.moves import Move
from lab.simulate.persona import Persona, load_persona
from lab.simulate.runner import Conversation, simulate
from lab.simulate.user import ScriptedUser, SimulatedUser, simulated_user

# Modes in which the simulated user's model answers; otherwise a persona with a script plays it
# (a chat on replay or scripted has no recording of a persona's model calls).
MODEL_MODES = ("live", "record")


@dataclass(frozen=True, slots=True)
class PersonaChoice:
    """A persona file as the autopilot picker lists it."""

    path: Path
    name: str
    flow: str  # the flow id it was written for (without the namespace)
    goal: str


def personas_for(project_dir: Path, flow: str) -> list[PersonaChoice]:
    """The project's personas, those written for `flow` first; unreadable files are left out."""
    folder = project_dir / "personas"
    found = []
    for path in sorted(folder.rglob("*.y*ml")) if folder.is_dir() else []:
        if path.name.endswith(".cassette.yaml"):
            continue
        try:
            persona = load_persona(path)
        except LabError:
            continue
        flow_id = (persona.flow or "").rpartition("/")[2]
        found.append(PersonaChoice(path, persona.name, flow_id, persona.goal or ""))
    return sorted(found, key=lambda c: (c.flow != flow, c.name))


def autopilot_user(persona: Persona, lab: LabSession) -> SimulatedUser:
    """The persona's script unless the session calls a real model (and the persona has one)."""
    mode = getattr(lab, "llm_mode", None)
    if persona.script and (persona.model is None or mode not in MODEL_MODES):
        return ScriptedUser(persona)
    if persona.model is None:
        raise LabError(
            f"persona {persona.name!r} has neither a script nor a model to play it",
            where=str(persona.path),
            fix="add `script:` moves or `model:` to the persona",
        )
    return simulated_user(persona)


@dataclass
class Autopilot:
    """One persona's run in a live chat as `wa_id`; `stop()` ends it before its next move."""

    persona: Persona
    wa_id: str
    stop_requested: bool = False
    moves: int = field(default=0)

    def stop(self) -> None:
        self.stop_requested = True

    async def run(
        self, lab: LabSession, on_move: Callable[[Move, list[Turn]], None] | None = None
    ) -> Conversation:
        """Play until the persona is done or `stop()`; the conversation (judged unless stopped)."""

        def moved(move: Move, turns: list[Turn]) -> None:
            self.moves += 1
            if on_move is not None:
                on_move(move, turns)

        return await simulate(
            lab,
            self.persona,
            self.wa_id,
            user=autopilot_user(self.persona, lab),
            stopped=lambda: self.stop_requested,
            on_move=moved,
        )


def summary(conv: Conversation) -> str:
    """One line for the chat: how the persona's conversation ended and, when judged, its score."""
    line = f"autopilot {conv.persona}: {conv.outcome}, {len(conv.turns)} turns"
    if conv.error:
        return f"{line} · {conv.error}"
    if conv.verdict is not None:
        mark = "pass" if conv.passed else "FAIL"
        line += (
            f" · rubric {conv.verdict.total:.2f} (>= {conv.verdict.threshold:g}) {mark}"
            f" · judge {conv.verdict.by}"
        )
    failures = conv.failures
    if failures:
        line += f" · {len(failures)} check(s) failed: {failures[0].describe().splitlines()[0]}"
    return line
