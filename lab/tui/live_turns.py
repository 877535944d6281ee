"""Turns in flight, assembled from the session's events so the side panel can stream them.

A pure model (no widgets): the chat screen feeds it events and reads provisional `Turn`s from
it until the finished `Turn` arrives and replaces them.
"""

from __future__ import annotations

from collections import deque

from lab.conversation import events as ev
from lab.conversation.model import Turn
from lab.whatsapp.model import CapturedSend


class LiveTurns:
    """In-flight turns by index, pending bubbles per contact, and captured sends by wamid."""

    def __init__(self) -> None:
        self.turns: dict[int, Turn] = {}
        self.done: set[int] = set()
        self.sends: dict[str, CapturedSend] = {}
        self._pending: dict[str, deque[str]] = {}
        self.claimed: dict[
            str, str
        ] = {}  # pending bubble key -> the key of the bubble that replaced it

    def add_pending(self, wa_id: str, key: str) -> None:
        """A bubble shown before its turn started (the person pressed Enter)."""
        self._pending.setdefault(wa_id, deque()).append(key)

    def claim_pending(self, wa_id: str) -> str | None:
        """The oldest pending bubble of the contact, now that its turn started."""
        queue = self._pending.get(wa_id)
        return queue.popleft() if queue else None

    def drop_pending(self, key: str) -> str | None:
        """Forget a pending bubble whose action failed, so no later turn claims (replaces) it.

        Returns the key the bubble has now: `key` while unclaimed, else the key of the turn's bubble.
        """
        for queue in self._pending.values():
            if key in queue:
                queue.remove(key)
                return key
        return self.claimed.pop(key, key)

    def started(self, event: ev.TurnStarted) -> None:
        self.turns[event.index] = Turn(
            index=event.index, contact=event.contact, inbound=event.inbound
        )

    def reply(self, event: ev.ReplyCaptured) -> None:
        if event.send.wamid:
            self.sends[event.send.wamid] = event.send
        turn = self.turns.get(event.turn_index) if event.turn_index is not None else None
        if turn is not None and all(s.seq != event.send.seq for s in turn.replies):
            turn.replies.append(event.send)

    def log(self, event: ev.LogReceived) -> None:
        turn = self.turns.get(event.turn_index)
        if turn is not None:
            turn.logs.append(event.line)

    def update(self, event: ev.ExecutionUpdated | ev.LLMCallMetered) -> None:
        if isinstance(event, ev.ExecutionUpdated):
            turn = self.turns.get(event.turn_index)
            if turn is not None:
                turn.executions = [e for e in turn.executions if e.id != event.execution.id] + [
                    event.execution
                ]
                turn.executions.sort(key=lambda e: (e.parent_id is not None, e.start or 0.0))
        elif event.turn_index is not None and event.turn_index in self.turns:
            self.turns[event.turn_index].llm_calls.append(event.call)

    def finished(self, turn: Turn) -> None:
        """The finished turn replaces the provisional one."""
        self.turns.pop(turn.index, None)
        self.done.add(turn.index)
        for send in turn.replies:
            if send.wamid:
                self.sends[send.wamid] = send

    def get(self, index: int) -> Turn | None:
        return self.turns.get(index)

    def latest_for(self, wa_id: str) -> Turn | None:
        live = [t for t in self.turns.values() if t.contact == wa_id]
        return max(live, key=lambda t: t.index) if live else None

    def send_for(self, wamid: str) -> CapturedSend | None:
        return self.sends.get(wamid)
