"""The load hub: routes what the lab sees to the load worker that owns each contact.

Mounted on the lab server at `/_load` during `walab load`. A load worker (one Locust process,
on this machine or another) registers the contacts it plays, tells the hub the executions its
webhooks started, and long-polls one mailbox for everything that concerns its own contacts: the
sends the fake Graph API captured for them and the terminal states of their executions. No worker
ever scans the captures of another: each capture is routed once, by its wa_id, when it happens.

    GET  /_load/plan                         -> the run's plan (scenarios, options; no secrets)
    POST /_load/contacts  {owner, contacts: [{wa_id, name}]}
    POST /_load/watch     {owner, watch: [[execution_id, wa_id, inbound_wamid]]}   (a real Kestra)
    POST /_load/poll/{owner} {after, wait}   -> {next, events: [...], stop}
    GET  /_load/summary                      -> what the lab saw (executions, Meta errors, LLM cost)

Events are compact lists: `["r", wa_id, seq, ok, code, type, text, choices, wamid, visible]` for a
captured send, `["x", wa_id, execution_id, state, inbound_wamid]` for an execution of a contact's
message that ended. The embedded engine tells the hub about every execution, and the hub routes
each by the sender of the webhook that started it; on a real Kestra the workers say which
executions their webhooks started (`/watch`) and the lab follows those. All paths need the Graph
API's bearer token.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import orjson

from lab.asgi_response import send_response
from lab.conversation.render import send_text
from lab.kestra.engine.states import TERMINATED
from lab.whatsapp.reply import Reply, visible

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
MAX_WAIT = 30.0
MAX_BODY = 4 * 1024 * 1024


@dataclass
class Mailbox:
    """One worker's events, kept until the worker acknowledges them (its next `after`)."""

    events: list[Any] = field(default_factory=list)
    base: int = 0  # the index of events[0] in the mailbox's whole history
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def put(self, event: Any) -> None:
        self.events.append(event)
        self.wake.set()

    def since(self, after: int) -> list[Any]:
        drop = min(max(0, after - self.base), len(self.events))
        if drop:
            del self.events[:drop]
            self.base += drop
        return self.events[max(0, after - self.base) :]

    @property
    def next(self) -> int:
        return self.base + len(self.events)


@dataclass(slots=True)
class Watched:
    """An execution a worker's webhook started, until it ends."""

    owner: str
    wa_id: str
    inbound: str


class LoadHub:
    """The `/_load` ASGI app and the lab-side bookkeeping of one load run.

    Args:
        token: the bearer token workers present (the Graph API's access token).
        plan: the run's plan, served to workers as JSON (never holds secrets).
        note_inbound: `(wa_id, name)` -> None, tells the fake Graph API a user wrote (24-hour window).
    """

    def __init__(
        self, *, token: str, plan: dict[str, Any], note_inbound: Callable[[str, str], None]
    ) -> None:
        self._auth = b"Bearer " + token.encode()
        self.plan = plan
        self._note_inbound = note_inbound
        self._mailboxes: dict[str, Mailbox] = {}
        self._owner_of: dict[str, str] = {}
        self._watched: dict[str, Watched] = {}
        self._ended: dict[
            str, str
        ] = {}  # execution id -> terminal state (embedded: every execution)
        self.running: set[str] = set()  # executions the engine started that have not ended
        self.stop_reason: str | None = None
        self.meta_errors: Counter[int] = Counter()
        self.captures = 0
        self.visible_captures = 0
        self.contacts = 0
        self.watch_count = 0
        self.started = time.time()

    # -- what the lab tells the hub ---------------------------------------------------------
    def on_capture(self, send: Any, status: Any) -> None:
        """Sandbox subscriber: route a captured send (status None) or count a failed status."""
        if status is not None:
            if status.status == "failed" and status.error:
                self.meta_errors[int(status.error.get("code") or 0)] += 1
            return
        self.captures += 1
        verdict = send.verdict
        if not verdict.ok and not verdict.asynchronous:
            self.meta_errors[int(verdict.code or 0)] += 1
        shown = visible(send)
        self.visible_captures += shown
        owner = self._owner_of.get(send.to)
        if owner is None:
            return
        choices = [[c.kind, c.id, c.title] for c in Reply.of(send).choices]
        ok = verdict.ok or verdict.asynchronous
        self._mailboxes[owner].put(
            [
                "r",
                send.to,
                send.seq,
                ok,
                verdict.code,
                send.type,
                send_text(send) if shown else "",
                choices,
                send.wamid,
                shown,
            ]
        )

    def on_engine(self, event: Any) -> None:
        """Embedded engine subscriber: route each ended execution by the message that started it."""
        if event.kind != "execution" or event.execution is None:
            return
        execution = event.execution
        if execution.parent_id is not None:
            return
        state = execution.state.current
        if state not in TERMINATED:
            if execution.id not in self._ended:
                self.running.add(execution.id)
            return
        self.running.discard(execution.id)
        if execution.id not in self._ended:
            wa_id, inbound = _sender(execution.trigger)
            if wa_id is not None and wa_id in self._owner_of:
                self._watched[execution.id] = Watched(self._owner_of[wa_id], wa_id, inbound or "")
            self.ended(execution.id, state)

    def ended(self, execution_id: str, state: str) -> None:
        """An execution reached a terminal state: tell the worker that owns its contact."""
        if execution_id in self._ended:
            return
        self._ended[execution_id] = state
        watched = self._watched.pop(execution_id, None)
        if watched is not None:
            self._mailboxes[watched.owner].put(
                ["x", watched.wa_id, execution_id, state, watched.inbound]
            )

    def watched_pending(self) -> list[str]:
        """Executions workers wait for that have not ended (a real Kestra is polled for them)."""
        return list(self._watched)

    def stop(self, reason: str) -> None:
        """Ask every worker to stop (the cost cap was reached, or the run is ending)."""
        if self.stop_reason is None:
            self.stop_reason = reason
        for box in self._mailboxes.values():
            box.wake.set()

    def summary(self) -> dict[str, Any]:
        states = Counter(self._ended.values())
        return {
            "captures": self.captures,
            "visible_captures": self.visible_captures,
            "contacts": self.contacts,
            "executions_watched": self.watch_count,
            "executions_ended": dict(states),
            "ended_ids": sorted(self._ended),
            "executions_running": sorted(self.running),
            "watched_pending": sorted(self._watched),
            "meta_errors": {str(code): n for code, n in sorted(self.meta_errors.items())},
            "stop_reason": self.stop_reason,
        }

    # -- ASGI -------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        auth = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        if auth != self._auth:
            await _json(send, 401, {"error": "the load hub needs the Graph API's bearer token"})
            return
        path, method = scope["path"], scope["method"]
        try:
            if method == "GET" and path == "/plan":
                await _json(send, 200, self.plan)
            elif method == "GET" and path == "/summary":
                await _json(send, 200, self.summary())
            elif method == "POST" and path == "/contacts":
                await _json(send, 200, self._contacts(await _body(receive)))
            elif method == "POST" and path == "/watch":
                await _json(send, 200, self._watch(await _body(receive)))
            elif method == "POST" and path.startswith("/poll/"):
                await _json(
                    send, 200, await self._poll(path[len("/poll/") :], await _body(receive))
                )
            else:
                await _json(send, 404, {"error": f"no such load hub path: {method} {path}"})
        except (ValueError, KeyError, TypeError) as exc:
            await _json(send, 400, {"error": f"bad load hub request {path}: {exc}"})

    def _mailbox(self, owner: str) -> Mailbox:
        box = self._mailboxes.get(owner)
        if box is None:
            box = self._mailboxes[owner] = Mailbox()
        return box

    def _contacts(self, body: dict[str, Any]) -> dict[str, Any]:
        owner = str(body["owner"])
        self._mailbox(owner)
        for contact in body["contacts"]:
            wa_id = str(contact["wa_id"])
            if wa_id not in self._owner_of:
                self.contacts += 1
            self._owner_of[wa_id] = owner
            self._note_inbound(wa_id, str(contact.get("name") or wa_id))
        return {"ok": True}

    def _watch(self, body: dict[str, Any]) -> dict[str, Any]:
        owner = str(body["owner"])
        box = self._mailbox(owner)
        for execution_id, wa_id, inbound in body.get("watch") or ():
            self.watch_count += 1
            state = self._ended.get(execution_id)
            if state is not None:
                box.put(["x", wa_id, execution_id, state, inbound])
            else:
                self._watched[execution_id] = Watched(owner, wa_id, inbound)
        return {"ok": True}

    async def _poll(self, owner: str, body: dict[str, Any]) -> dict[str, Any]:
        box = self._mailbox(owner)
        after = int(body.get("after", 0))
        wait = min(float(body.get("wait", 0)), MAX_WAIT)
        if box.next <= after and self.stop_reason is None and wait > 0:
            box.wake.clear()
            try:
                await asyncio.wait_for(box.wake.wait(), wait)
            except asyncio.TimeoutError:
                pass
        events = box.since(after)
        return {"next": box.next, "events": events, "stop": self.stop_reason}


def _sender(trigger: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """(wa_id, wamid) of the user message in a webhook trigger's body; (None, None) for statuses."""
    try:
        message = trigger["variables"]["body"]["entry"][0]["changes"][0]["value"]["messages"][0]  # type: ignore[index]
        return str(message["from"]), str(message["id"])
    except (KeyError, IndexError, TypeError):
        return None, None


async def _body(receive: Receive) -> dict[str, Any]:
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise ValueError(f"body larger than {MAX_BODY} bytes")
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    data = orjson.loads(b"".join(chunks) or b"{}")
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


async def _json(send: Send, status: int, data: Any) -> None:
    await send_response(send, status, orjson.dumps(data))
