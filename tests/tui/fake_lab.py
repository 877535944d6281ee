"""A scripted lab session for TUI tests, snapshots and the TUI benchmark.

It implements the `Lab` names the TUI uses, on a frozen virtual clock with fixed ids, so SVG
snapshots are byte-stable. Its "agent" answers by keyword: "menu" -> reply buttons, "lista" ->
a list, "plano" -> a template, anything else -> an echo ("miss" adds a model call that failed:
a replay miss); after 24 h of silence every reply is
rejected with Meta's 131047, as the sandbox does.
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Callable

from lab.clock import VirtualClock
from lab.config import Contact
from lab.conversation import actions as acts
from lab.conversation import events as ev
from lab.conversation.model import (
    ExecutionView,
    InboundEvent,
    LogLine,
    TaskRunView,
    ThreadItem,
    Transcript,
    Turn,
    thread_of,
)
from lab.conversation.phone import find_contact
from lab.errors import LabError
from lab.llm.model import LLMCall
from lab.whatsapp.model import CapturedSend, StatusEvent, Verdict

START = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)


def _webhook(wa_id: str, wamid: str, ts: float, message: dict[str, Any]) -> dict[str, Any]:
    msg = {"from": wa_id, "id": wamid, "timestamp": str(int(ts)), **message}
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550783881",
                                "phone_number_id": "106540352242922",
                            },
                            "contacts": [{"profile": {"name": "User"}, "wa_id": wa_id}],
                            "messages": [msg],
                        },
                    }
                ],
            }
        ],
    }


class FakeLab:
    """A deterministic stand-in for `lab.conversation.lab.Lab`."""

    def __init__(self, *, history: int = 0, settings: Any = None) -> None:
        self.settings = settings  # promote_and_deploy reads the prompts folder from it
        self.clock = VirtualClock(START)
        self._contacts = [
            Contact("5511987654321", "Maria Souza"),
            Contact("5521998765432", "João Pereira"),
        ]
        self.transcript = Transcript(
            flow="company.whatsapp.lead_qualification", target="embedded", llm_mode="scripted"
        )
        self.llm_mode = "scripted"
        self.flow = "company.whatsapp.lead_qualification"
        self.active_prompt: str | None = "lead_qualification.default"
        self.applied: list[str] = []
        self._listeners: list[Callable[[Any], None]] = []
        self._seq = 0
        self._index = 0
        self.restarts: list[tuple[str, bool]] = []
        for i in range(history // 2):
            self._turn_sync(
                self._contacts[0].wa_id,
                "text",
                f"mensagem antiga {i}",
                {"text": {"body": f"mensagem antiga {i}"}},
            )

    @classmethod
    @asynccontextmanager
    async def open(cls, **kw: Any) -> AsyncIterator["FakeLab"]:
        yield cls(**kw)

    # -- the contract ---------------------------------------------------------------------
    @property
    def contacts(self) -> list[Contact]:
        return list(self._contacts)

    def subscribe(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    def describe_target(self) -> str:
        return "embedded (Kestra 1.3 API)"

    def thread(self, wa_id: str) -> list[ThreadItem]:
        return thread_of(self.transcript, wa_id)

    def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)

    def read(self, wa_id: str) -> None:
        for t in self.transcript.for_contact(wa_id):
            for s in t.replies:
                if s.verdict.ok and s.state != "read":
                    s.statuses.append(StatusEvent("read", self.clock.tick()))
                    self._emit(ev.StatusChanged(wa_id, s.wamid or "", "read"))

    def add_contact(self, name: str, wa_id: str | None = None) -> Contact:
        c = Contact(wa_id or f"5511970000{len(self._contacts):03d}", name)
        self._contacts.append(c)
        return c

    async def restart(self, wa_id: str, new_user: bool = False) -> None:
        self.restarts.append((wa_id, new_user))
        self.transcript.turns = [t for t in self.transcript.turns if t.contact != wa_id]

    async def apply_prompt(self, prompt_id: str) -> None:
        self.applied.append(prompt_id)
        self.active_prompt = prompt_id

    async def send_text(
        self, wa_id: str, text: str, *, delivered_after: timedelta | None = None
    ) -> Turn:
        if text == "boom":
            raise LabError(
                "Kestra is not reachable at http://127.0.0.1:9",
                where="POST /api/v1/main/executions/webhook",
                fix="start Kestra (docker compose up) or drop --kestra to use the embedded engine",
            )
        return self._turn_sync(wa_id, "text", text, {"text": {"body": text}}, late=delivered_after)

    async def tap(self, wa_id: str, title: str) -> Turn:
        return self._turn_sync(
            wa_id,
            "interactive",
            title,
            {
                "type": "interactive",
                "interactive": {
                    "type": "button_reply",
                    "button_reply": {"id": title.lower(), "title": title},
                },
            },
        )

    async def send_media(
        self, wa_id: str, kind: str, path: Any, caption: str | None = None
    ) -> Turn:
        return self._turn_sync(
            wa_id,
            kind,
            caption or f"[{kind}] {Path(path).name}",
            {kind: {"id": "1234567890", "mime_type": "image/jpeg", "caption": caption}},
        )

    async def send_location(
        self,
        wa_id: str,
        lat: float,
        lon: float,
        name: str | None = None,
        address: str | None = None,
    ) -> Turn:
        return self._turn_sync(
            wa_id,
            "location",
            f"[location] {lat}, {lon}",
            {"location": {"latitude": lat, "longitude": lon, "name": name}},
        )

    async def send_contacts(self, wa_id: str, contacts: list[dict[str, Any]]) -> Turn:
        cards = [
            {"name": {"formatted_name": c["name"]}, "phones": [{"phone": c["phone"]}]}
            for c in contacts
        ]
        return self._turn_sync(wa_id, "contacts", "[contacts]", {"contacts": cards})

    async def react(self, wa_id: str, emoji: str, to_wamid: str | None = None) -> Turn:
        return self._turn_sync(
            wa_id,
            "reaction",
            emoji,
            {"reaction": {"message_id": to_wamid, "emoji": emoji}},
            reply=False,
        )

    async def reply_to(self, wa_id: str, wamid: str, text: str) -> Turn:
        return self._turn_sync(
            wa_id, "text", text, {"text": {"body": text}, "context": {"id": wamid}}
        )

    async def perform(self, wa_id: str, action: acts.Action) -> Turn | None:
        """`Lab.perform`: the act by its methods, then `ActionPerformed`."""
        turn: Turn | None = None
        match action:
            case acts.SendText():
                turn = await self.send_text(
                    wa_id, action.text, delivered_after=action.delivered_after
                )
            case acts.Tap():
                turn = await self.tap(wa_id, action.title)
            case acts.SendMedia():
                turn = await self.send_media(wa_id, action.kind, action.path, action.caption)
            case acts.SendLocation():
                turn = await self.send_location(
                    wa_id, action.latitude, action.longitude, action.name
                )
            case acts.SendContacts():
                turn = await self.send_contacts(
                    wa_id, [{"name": c.name, "phone": c.phone} for c in action.cards]
                )
            case acts.React():
                turn = await self.react(
                    wa_id,
                    action.emoji or "",
                    action.to or self.transcript.last_business_wamid(wa_id),
                )
            case acts.ReplyTo():
                to = action.to or self.transcript.last_business_wamid(wa_id)
                if to is None:
                    raise LabError(
                        "the bot has sent nothing to reply to",
                        fix="wait for the agent's first message",
                    )
                turn = await self.reply_to(wa_id, to, action.text)
            case acts.Advance():
                self.advance(action.delta)
            case acts.Read():
                self.read(wa_id)
            case acts.SwitchContact():
                wa_id = find_contact(self._contacts, action.who).wa_id
            case acts.ArmFault() | acts.Wait():
                pass
        if turn is not None:
            turn.action = action
        self._emit(ev.ActionPerformed(wa_id, action, turn))
        return turn

    # -- the scripted agent ---------------------------------------------------------------
    def _emit(self, event: Any) -> None:
        for cb in list(self._listeners):
            cb(event)

    def _send(self, wa_id: str, kind: str, payload: dict[str, Any], expired: bool) -> CapturedSend:
        self._seq += 1
        t = self.clock.tick()
        body = {"messaging_product": "whatsapp", "to": wa_id, "type": kind, **payload}
        if expired:
            verdict = Verdict(
                False,
                131047,
                "Re-engagement message",
                "More than 24 hours have passed since the recipient last replied.",
                400,
            )
            return CapturedSend(
                self._seq,
                None,
                wa_id,
                "106540352242922",
                kind,
                body,
                verdict,
                {"error": {"code": 131047, "message": "Re-engagement message"}},
                t,
            )
        wamid = f"wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjAwMDAw{self._seq:04d}"
        return CapturedSend(
            self._seq,
            wamid,
            wa_id,
            "106540352242922",
            kind,
            body,
            Verdict(True),
            {"messaging_product": "whatsapp", "messages": [{"id": wamid}]},
            t,
            pricing_category="service",
            billable=False,
            statuses=[StatusEvent("sent", t), StatusEvent("delivered", t + 1)],
        )

    def _agent(self, wa_id: str, text: str, expired: bool) -> list[CapturedSend]:
        low = text.lower()
        if "menu" in low:
            return [
                self._send(
                    wa_id,
                    "interactive",
                    {
                        "interactive": {
                            "type": "button",
                            "body": {"text": "Como posso ajudar?"},
                            "footer": {"text": "Solar Sul"},
                            "action": {
                                "buttons": [
                                    {
                                        "type": "reply",
                                        "reply": {"id": "planos", "title": "Ver planos"},
                                    },
                                    {
                                        "type": "reply",
                                        "reply": {"id": "humano", "title": "Falar com humano"},
                                    },
                                ]
                            },
                        }
                    },
                    expired,
                )
            ]
        if "lista" in low:
            return [
                self._send(
                    wa_id,
                    "interactive",
                    {
                        "interactive": {
                            "type": "list",
                            "header": {"type": "text", "text": "Planos"},
                            "body": {"text": "Escolha um plano:"},
                            "action": {
                                "button": "Ver opções",
                                "sections": [
                                    {
                                        "title": "Residencial",
                                        "rows": [
                                            {
                                                "id": "basico",
                                                "title": "Básico",
                                                "description": "até 300 kWh",
                                            },
                                            {
                                                "id": "plus",
                                                "title": "Plus",
                                                "description": "até 600 kWh",
                                            },
                                        ],
                                    }
                                ],
                            },
                        }
                    },
                    expired,
                )
            ]
        if "plano" in low:
            return [
                self._send(
                    wa_id,
                    "template",
                    {
                        "template": {
                            "name": "prosseguir_com_solicitacao",
                            "language": {"code": "pt_BR"},
                            "components": [
                                {
                                    "type": "body",
                                    "parameters": [
                                        {"type": "text", "text": "Maria"},
                                        {"type": "text", "text": "Plus"},
                                    ],
                                }
                            ],
                        }
                    },
                    expired,
                )
            ]
        return [self._send(wa_id, "text", {"text": {"body": f"Recebi: {text}"}}, expired)]

    def _turn_sync(
        self,
        wa_id: str,
        kind: str,
        summary: str,
        message: dict[str, Any],
        reply: bool = True,
        late: timedelta | None = None,
    ) -> Turn:
        index = self._index
        self._index += 1
        now = self.clock.tick()
        if late is not None:  # the bot gets the message after the window has closed
            self.clock.advance(late)
        expired = late is not None and late > timedelta(hours=24)
        wamid = f"wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFjNFQjA{index:05d}"
        payload = _webhook(wa_id, wamid, now, {"type": kind, **message})
        inbound = InboundEvent(
            wa_id,
            kind,
            summary,
            payload,
            json.dumps(payload, ensure_ascii=True).encode(),
            wamid,
            now,
            signature="sha256=" + "ab" * 32,
        )
        self._emit(ev.TurnStarted(index, wa_id, inbound))
        turn = Turn(index=index, contact=wa_id, inbound=inbound)
        ex_id = f"4Xq{index:05d}aBcDeFgHiJkLmN"
        t0 = now
        runs = [
            TaskRunView(
                f"tr{index}a",
                "parse",
                "io.kestra.plugin.core.output.OutputValues",
                "SUCCESS",
                t0,
                t0 + 0.004,
            ),
            TaskRunView(
                f"tr{index}b",
                "classify",
                "io.kestra.plugin.ai.completion.ChatCompletion",
                "SUCCESS",
                t0 + 0.004,
                t0 + 0.030,
                attempts=2,
            ),
            TaskRunView(
                f"tr{index}c",
                "reply",
                "io.kestra.plugin.core.http.Request",
                "SUCCESS",
                t0 + 0.030,
                t0 + 0.041,
            ),
        ]
        execution = ExecutionView(
            ex_id,
            "company.whatsapp",
            "lead_qualification",
            "SUCCESS",
            runs,
            start=t0,
            end=t0 + 0.041,
        )
        turn.executions.append(execution)
        self._emit(ev.ExecutionUpdated(index, execution))
        for i, (level, task, msg) in enumerate(
            [
                ("INFO", "parse", f"inbound {kind} from {wa_id}"),
                ("WARN", "classify", "attempt 1 failed: 429, retrying"),
                ("INFO", "reply", "POST /v23.0/106540352242922/messages"),
            ]
        ):
            line = LogLine(t0 + i * 0.01, level, msg, task, ex_id)
            turn.logs.append(line)
            self._emit(ev.LogReceived(index, line))
        call = LLMCall(
            ex_id,
            "gpt-4o-mini",
            "scripted",
            412,
            38,
            estimated=(index % 2 == 1),
            cost_usd=0.0000846,
            latency_ms=12.0,
            started_at=t0,
            request={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": summary}]},
            response={"choices": [{"message": {"role": "assistant", "content": "intent: info"}}]},
        )
        turn.llm_calls.append(call)
        self._emit(ev.LLMCallMetered(call, index))
        if "miss" in summary.lower():  # a second call the cassette had no answer for (replay miss)
            miss = LLMCall(
                ex_id,
                "gpt-4o-mini",
                "replay",
                0,
                0,
                cost_usd=None,
                started_at=t0,
                status=404,
                error="no cassette entry for this request (key 3f2a9c)",
            )
            turn.llm_calls.append(miss)
            self._emit(ev.LLMCallMetered(miss, index))
        if reply:
            for send in self._agent(wa_id, summary, expired):
                turn.replies.append(send)
                self._emit(ev.ReplyCaptured(wa_id, send, index))
        turn.timings.terminal_ms = 41.0
        self.transcript.turns.append(turn)
        self._emit(ev.TurnFinished(turn))
        return turn
