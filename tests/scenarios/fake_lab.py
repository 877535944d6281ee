"""A tiny in-memory stand-in for `Lab` (same method names) so the plugin can be tested on its own.

The bot: "menu" answers with reply buttons; a tap answers "Você escolheu <title>"; anything else
is echoed. `FAKE_BOT_WORDING=2` in the environment changes the echo (a deliberate regression).
After `advance` beyond 24 h the next reply is rejected with 131047, as Meta does.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime, timezone
from typing import Any

from lab.clock import VirtualClock
from lab.config import Contact
from lab.conversation import actions as acts
from lab.conversation.events import ActionPerformed
from lab.conversation.model import (
    ExecutionView,
    InboundEvent,
    TaskRunView,
    ThreadItem,
    Transcript,
    Turn,
    thread_of,
)
from lab.conversation.phone import find_contact
from lab.errors import LabError
from lab.llm.model import LLMCall
from lab.whatsapp.model import CapturedSend, Verdict


class FakeLab:
    def __init__(self, settings: Any, clock_start: Any = None, **_: Any) -> None:
        self.settings = settings
        self.transcript = Transcript(
            flow=f"{settings.namespace}.{settings.flow}",
            target="embedded",
            llm_mode=settings.llm_mode,
        )
        self.clock = VirtualClock(clock_start or datetime.fromtimestamp(0, timezone.utc))
        self.added: list[Contact] = []
        self.last_user_at: dict[str, float] = {}
        self.seq = 0
        self.prompt: str | None = None
        self.clock_start = clock_start
        self.listeners: list[Any] = []

    def subscribe(self, callback: Any) -> Any:
        self.listeners.append(callback)
        return lambda: self.listeners.remove(callback)

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, settings: Any, **options: Any) -> Any:
        yield cls(settings, **options)

    class client:  # noqa: N801 - the part of KestraClient the player uses
        class kv:  # noqa: N801 - `client.kv`, with its values in `values`
            values: dict[str, Any] = {}

            @classmethod
            async def put(cls, namespace: str, key: str, value: Any) -> None:
                cls.values[key] = value

    async def apply_prompt(self, prompt_id: str) -> None:
        self.prompt = prompt_id

    def advance(self, delta: Any) -> None:
        self.clock.advance(delta)

    def read(self, wa_id: str) -> None:
        return None

    async def send_text(self, wa_id: str, text: str) -> Turn:
        return await self.perform(wa_id, acts.SendText(text))

    async def tap(self, wa_id: str, title: str) -> Turn:
        return await self.perform(wa_id, acts.Tap(title))

    def _said(self, wa_id: str, text: str) -> Turn:
        if text == "menu":
            payload = {
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": {"text": "Escolha uma opção"},
                    "action": {
                        "buttons": [
                            {"type": "reply", "reply": {"id": "planos", "title": "Ver planos"}},
                            {
                                "type": "reply",
                                "reply": {"id": "humano", "title": "Falar com atendente"},
                            },
                        ]
                    },
                },
            }
            return self._turn(wa_id, "text", text, "interactive", payload)
        prefix = "Você disse" if os.environ.get("FAKE_BOT_WORDING", "1") == "1" else "Recebi"
        if self.prompt and self.prompt.endswith("concise"):
            prefix = "Disse"
        return self._turn(
            wa_id, "text", text, "text", {"type": "text", "text": {"body": f"{prefix}: {text}"}}
        )

    def _tapped(self, wa_id: str, title: str) -> Turn:
        last = next(
            (s for t in reversed(self.transcript.for_contact(wa_id)) for s in t.replies), None
        )
        buttons = [
            b["reply"]["title"]
            for b in (
                last.payload.get("interactive", {}).get("action", {}).get("buttons", [])
                if last
                else []
            )
        ]
        if title not in buttons:
            raise LabError(f"no button {title!r} in the last reply", fix=f"tap one of {buttons}")
        return self._turn(
            wa_id,
            "button",
            title,
            "text",
            {"type": "text", "text": {"body": f"Você escolheu {title}"}},
        )

    @property
    def now(self) -> float:
        return self.clock.time()

    @property
    def contacts(self) -> list[Contact]:
        return [*self.settings.contacts, *self.added]

    def add_contact(self, name: str, wa_id: str | None = None) -> Contact:
        contact = Contact(wa_id or f"55119700{len(self.added):05d}", name)
        self.added.append(contact)
        return contact

    async def restart(self, wa_id: str, new_user: bool = False) -> None:
        self.transcript.turns = [t for t in self.transcript.turns if t.contact != wa_id]

    def thread(self, wa_id: str) -> list[ThreadItem]:
        return thread_of(self.transcript, wa_id)

    def describe_target(self) -> str:
        return "embedded (fake)"

    async def perform(self, wa_id: str, action: acts.Action) -> Turn | None:
        """`Lab.perform` for the acts this bot knows: text, taps, clock moves; then `ActionPerformed`."""
        turn: Turn | None = None
        match action:
            case acts.SendText():
                turn = self._said(wa_id, action.text)
            case acts.Tap():
                turn = self._tapped(wa_id, action.title)
            case acts.Advance():
                self.advance(action.delta)
            case acts.Read():
                self.read(wa_id)
            case acts.SwitchContact():
                wa_id = find_contact(self.contacts, action.who).wa_id
            case _:
                raise LabError(f"the fake bot cannot {type(action).__name__}")
        if turn is not None:
            turn.action = action
        for cb in list(self.listeners):
            cb(ActionPerformed(wa_id, action, turn))
        return turn

    def _turn(
        self, wa_id: str, kind: str, summary: str, reply_type: str, payload: dict[str, Any]
    ) -> Turn:
        self.seq += 1
        n = len(self.transcript.turns) + 1
        message = (
            {"type": "text", "text": {"body": summary}}
            if kind == "text"
            else {
                "type": "interactive",
                "interactive": {
                    "type": "button_reply",
                    "button_reply": {"id": summary, "title": summary},
                },
            }
        )
        webhook = {"entry": [{"changes": [{"value": {"messages": [message]}}]}]}
        inbound = InboundEvent(
            wa_id, kind, summary, webhook, b"{}", f"wamid.IN{self.seq:06d}", self.now
        )
        expired = wa_id in self.last_user_at and self.now - self.last_user_at[wa_id] > 24 * 3600
        self.last_user_at[wa_id] = self.now
        verdict = Verdict(ok=True)
        if expired:
            verdict = Verdict(
                ok=False, code=131047, title="Re-engagement message", asynchronous=True
            )
        send = CapturedSend(
            seq=self.seq,
            wamid=f"wamid.OUT{self.seq:06d}",
            to=wa_id,
            phone_number_id="1",
            type=reply_type,
            payload=payload,
            verdict=verdict,
            response={},
            time=self.now,
        )
        ex = ExecutionView(
            id=f"exec{self.seq:04d}",
            namespace=self.settings.namespace,
            flow_id=self.settings.flow,
            state="SUCCESS",
            task_runs=[
                TaskRunView(
                    "tr1",
                    "reply",
                    "io.kestra.core.Log",
                    "SUCCESS",
                    0,
                    1,
                    outputs={"intent": "echo", "len": len(summary)},
                )
            ],
            outputs={"reply": payload},
        )
        call = LLMCall(
            execution_id=ex.id,
            model="gpt-4o-mini",
            mode="replay",
            input_tokens=10 * len(summary.split()),
            output_tokens=5,
            cost_usd=round(1e-6 * (10 * len(summary.split()) + 5), 8),
        )
        turn = Turn(
            index=n,
            contact=wa_id,
            inbound=inbound,
            executions=[ex],
            replies=[send],
            llm_calls=[call],
        )
        turn.timings.terminal_ms = 12.0
        self.transcript.turns.append(turn)
        from lab.conversation.events import TurnFinished

        for cb in list(self.listeners):
            cb(TurnFinished(turn))
        return turn
