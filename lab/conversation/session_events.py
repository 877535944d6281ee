"""The session's event stream: what its parts report, told as `LabEvent`s of its turns.

The sandbox reports captured sends and status changes, the LLM gateway metered calls, the embedded
engine execution updates; each is tied to the turn it belongs to (`TurnEngine`) and emitted on the
one `EventBus` the front ends subscribe to (`Lab.subscribe`). Events are only built while someone
listens: a replayed suite with no view pays nothing for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from lab.conversation import events as ev
from lab.conversation.turns import TurnEngine, lab_event_of

if TYPE_CHECKING:
    from lab.conversation.assembly import Parts


class SessionEvents:
    """Listens to the parts of one session until `close()`; `bus` is where its events go."""

    def __init__(self, parts: Parts, turns: TurnEngine, bus: ev.EventBus) -> None:
        self.bus = bus
        self._turns = turns
        self._client = parts.client
        self._unsubscribe = [
            parts.sandbox.subscribe(self._on_sandbox),
            parts.gateway.subscribe(self._on_llm_call),
        ]
        if parts.engine is not None:
            self._unsubscribe.append(parts.engine.subscribe(self._on_engine))

    def subscribe(self, callback: Callable[[ev.LabEvent], None]) -> Callable[[], None]:
        """Call back on every LabEvent (synchronously; keep it cheap). Returns an unsubscribe
        function."""
        return self.bus.subscribe(callback)

    def close(self) -> None:
        """Stop listening to the parts."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

    def _on_sandbox(self, send: Any, status: Any) -> None:
        if status is None:
            index = self._turns.on_reply(send)
            if self.bus:
                self.bus.emit(ev.ReplyCaptured(send.to, send, index))
        elif self.bus:
            self.bus.emit(ev.StatusChanged(send.to, send.wamid or "", status.status, status.error))

    def _on_engine(self, event: Any) -> None:
        """Live execution updates on the embedded engine (built only when someone listens)."""
        if not self.bus:
            return
        index = self._turns.turn_of_execution(event.execution_id)
        if index is not None:
            update = lab_event_of(event, index, self._client.dialect, self._turns.task_types)
            if update is not None:
                self.bus.emit(update)

    def _on_llm_call(self, call: Any) -> None:
        if self.bus:
            self.bus.emit(ev.LLMCallMetered(call, self._turns.turn_of_execution(call.execution_id)))
