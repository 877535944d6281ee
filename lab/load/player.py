"""One simulated WhatsApp user playing one conversation under load (runs under gevent in Locust).

The user is a contact of its own (its wa_id, its thread, its 24-hour window opened when it
registers with the hub). Each turn posts a Meta-exact signed webhook to the flow's Kestra webhook
URL, takes the execution id from Kestra's answer, then reads its inbox until every execution it
started has ended, noting the replies it saw on the way. Faults Meta causes are played here:
redeliveries (the same bytes posted again) and messages delivered out of order (the user's next
message reaches the bot first).
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import orjson
from gevent.queue import Empty, Queue

from lab.config import Contact
from lab.load.records import TurnLog, TurnRecord
from lab.whatsapp.inbound import InboundBuilder, InboundWebhook
from lab.whatsapp.signing import SignedWebhook

SETTLE = (
    0.2  # seconds a user keeps reading its inbox after its last turn (late or duplicated replies)
)


@dataclass
class Offer:
    """Choices a business message offered (reply buttons, list rows, template quick replies)."""

    wamid: str
    choices: list[list[str]]  # [kind, id, title]


@dataclass
class PlayerContext:
    """What every conversation of a worker process shares."""

    plan: dict[str, Any]
    builder: InboundBuilder
    app_secret: str
    log: TurnLog
    fire: Callable[
        [str, float, str | None], None
    ]  # (metric name, ms, failure or None) -> Locust stats
    watch: Callable[[str, str, str], None] | None  # tell the hub about an execution (a real Kestra)
    rng: random.Random


@dataclass
class Delivery:
    """The webhooks of one user message, posted and acknowledged."""

    step: dict[str, Any]
    index: int
    hook: InboundWebhook | None
    record: TurnRecord
    pending: set[str] = field(default_factory=set)


class ConversationPlayer:
    """Plays one conversation script as one contact."""

    def __init__(
        self,
        ctx: PlayerContext,
        client: Any,
        inbox: Queue,
        contact: Contact,
        script: dict[str, Any],
        *,
        label: str,
        should_stop: Callable[[], bool],
    ) -> None:
        self.ctx = ctx
        self.client = client
        self.inbox = inbox
        self.contact = contact
        self.script = script
        self.label = label
        self.should_stop = should_stop
        self.path = ctx.plan["webhook_paths"][script["flow"]]
        self.offers: list[Offer] = []
        self.held: list[
            TurnRecord
        ] = []  # the last turn's records, logged once late replies are counted

    def play(self, first_due: float | None = None) -> None:
        faults = self.ctx.plan.get("meta_faults") or {}
        think = self.ctx.plan.get("think") or [0.0, 0.0]
        steps = self.script["steps"]
        i = 0
        due = first_due
        while i < len(steps) and not self.should_stop():
            pair = (
                faults.get("out_of_order", 0) > 0
                and i + 1 < len(steps)
                and steps[i]["kind"] == "text"
                and steps[i + 1]["kind"] == "text"
                and self.ctx.rng.random() < faults["out_of_order"]
            )
            group = [i, i + 1] if pair else [i]
            self._turn(group, due if due is not None else time.time())
            i += len(group)
            due = None
            if i < len(steps) and think[1] > 0:
                time.sleep(self.ctx.rng.uniform(think[0], think[1]))
        self._read_late(time.time() + SETTLE)
        self._log_held()

    # -- one turn -----------------------------------------------------------------------------
    def _turn(self, group: list[int], due: float) -> None:
        self._read_late(0)
        self._log_held()
        steps = self.script["steps"]
        deliveries = [self._build(steps[i], i, due, out_of_order=len(group) > 1) for i in group]
        order = list(reversed(deliveries)) if len(deliveries) > 1 else deliveries
        for d in order:
            if d.hook is not None:
                self._post(d)
        live = [d for d in deliveries if d.pending]
        replies: list[str] = []
        if live:
            self._wait(live, deliveries, replies, due)
        for d in deliveries:
            record = d.record
            record.replies = list(replies) if d is deliveries[0] else []
            if record.outcome == "ok" and d.hook is not None:
                record.failures += _check(
                    d.step.get("check"), replies, record.states, paired=len(deliveries) > 1
                )
                if record.failures:
                    record.outcome = "check_failed"
            self.ctx.fire(
                "first reply",
                record.first_reply_ms or 0.0,
                None if record.first_reply_ms is not None else "no reply",
            )
            self.ctx.fire(
                "turn",
                record.turn_ms or 0.0,
                None
                if record.outcome == "ok"
                else f"{record.outcome}: {record.failures[0] if record.failures else ''}"[:120],
            )
        if len(deliveries) > 1:
            deliveries[0].record.reordered = _reordered(deliveries, replies)
        self.held = [d.record for d in deliveries]

    def _build(
        self, step: dict[str, Any], index: int, due: float, *, out_of_order: bool
    ) -> Delivery:
        record = TurnRecord(
            self.label,
            self.contact.wa_id,
            self.script["name"],
            index + 1,
            due,
            out_of_order=out_of_order,
        )
        hook = None
        if step["kind"] == "text":
            hook = self.ctx.builder.text(self.contact, step["text"])
        else:
            hook = self._tap(step["text"])
            if hook is None:
                record.outcome = "check_failed"
                offered = [c[2] for o in self.offers for c in o.choices]
                record.failures.append(
                    f"nothing to tap called {step['text']!r}"
                    + (f" (offered: {', '.join(offered)})" if offered else "")
                )
        if hook is not None:
            dup_share = (self.ctx.plan.get("meta_faults") or {}).get("duplicate", 0)
            record.deliveries = (
                1 + int(step.get("duplicates") or 0) + (self.ctx.rng.random() < dup_share)
            )
        return Delivery(step, index, hook, record)

    def _tap(self, title: str) -> InboundWebhook | None:
        for offer in reversed(self.offers):
            for kind, choice_id, choice in offer.choices:
                if choice.casefold() == title.casefold():
                    if kind == "button":
                        return self.ctx.builder.button_reply(
                            self.contact, choice_id, choice, to_wamid=offer.wamid
                        )
                    if kind == "list":
                        return self.ctx.builder.list_reply(
                            self.contact, choice_id, choice, to_wamid=offer.wamid
                        )
                    return self.ctx.builder.template_button(
                        self.contact, choice, to_wamid=offer.wamid, payload=choice_id
                    )
        return None

    def _post(self, d: Delivery) -> None:
        signed = SignedWebhook.of(d.hook.payload, self.ctx.app_secret)  # type: ignore[union-attr]
        for _ in range(d.record.deliveries):
            t0 = time.time()
            # Locust counts a non-2xx answer or a failed connection as a failure of "webhook ack" by itself.
            response = self.client.post(
                self.path, data=signed.body, headers=signed.headers, name="webhook ack"
            )
            if not response.status_code:
                # No answer: most often a kept-alive connection the server closed while the user was
                # thinking. Meta delivers again; so does the user, once, on a new connection.
                d.record.deliveries += 1
                response = self.client.post(
                    self.path, data=signed.body, headers=signed.headers, name="webhook ack"
                )
            status = response.status_code
            if d.record.ack_ms is None:
                d.record.ack_ms = (time.time() - t0) * 1000
            d.record.ack_status = status
            execution_id = _execution_id(response.content) if status == 200 else None
            if execution_id is None:
                continue
            d.pending.add(execution_id)
            d.record.executions.append(execution_id)
            if self.ctx.watch is not None:
                self.ctx.watch(execution_id, self.contact.wa_id, d.hook.wamid or "")  # type: ignore[union-attr]
        if not d.record.executions:
            d.record.outcome = "ack_failed"
            d.record.failures.append(
                f"the webhook was refused: HTTP {d.record.ack_status}"
                if d.record.ack_status
                else "the webhook got no answer (Kestra unreachable)"
            )

    def _wait(
        self, live: list[Delivery], deliveries: list[Delivery], replies: list[str], due: float
    ) -> None:
        deadline = time.time() + float(self.ctx.plan.get("turn_timeout", 30.0))
        owner = {x: d for d in live for x in d.pending}
        first = deliveries[0].record
        last_end = None
        while any(d.pending for d in live):
            try:
                # Events come in batches: take what is there without arming a timer for it.
                received, event = (
                    self.inbox.get_nowait()
                    if self.inbox.qsize()
                    else self.inbox.get(timeout=max(0.0, deadline - time.time()))
                )
            except Empty:
                for d in live:
                    if d.pending:
                        d.record.outcome = "timeout"
                        d.record.failures.append(
                            f"{len(d.pending)} execution(s) still running after "
                            f"{self.ctx.plan.get('turn_timeout', 30.0)} s"
                        )
                break
            kind = event[0]
            if kind == "r":
                self._reply(event, received, first, replies, due, deliveries)
            elif kind == "x":
                d = owner.get(event[2])
                if d is not None and event[2] in d.pending:
                    d.pending.discard(event[2])
                    d.record.states.append(event[3])
                    last_end = received
            elif kind == "s":
                for d in live:
                    d.record.outcome, d.pending = "stopped", set()
                    d.record.failures.append(f"the run was stopped: {event[2]}")
            elif kind == "e":
                for d in live:
                    d.record.failures.append(event[2])
        if last_end is not None:
            for d in deliveries:
                d.record.turn_ms = (last_end - due) * 1000

    def _reply(
        self,
        event: list[Any],
        received: float,
        first: TurnRecord,
        replies: list[str],
        due: float,
        deliveries: list[Delivery],
    ) -> None:
        _, _, _seq, ok, code, _type, text, choices, wamid, visible = event
        if not ok and code is not None:
            first.meta_errors.append(int(code))
        if not visible or not ok:
            return
        # Two messages delivered out of order share a turn, and both may be answered alike (the
        # flow's fallback): a text is duplicated only past one reply per message delivered.
        if replies.count(text) >= len(deliveries):
            first.duplicated += 1
        replies.append(text)
        if choices and wamid:
            self.offers.append(Offer(wamid, choices))
        if first.first_reply_ms is None:
            for d in deliveries:
                d.record.first_reply_ms = (received - due) * 1000

    def _read_late(self, until: float) -> None:
        """Replies that come between turns belong to the last one: late, and maybe duplicated."""
        last = self.held[0] if self.held else None
        while True:
            try:
                wait = until - time.time()
                received, event = (
                    self.inbox.get(timeout=wait) if wait > 0 else self.inbox.get_nowait()
                )
            except Empty:
                return
            if last is None:
                continue
            if event[0] == "r" and event[9] and event[3]:
                last.late += 1
                if event[6] in last.replies:
                    last.duplicated += 1
                last.replies.append(event[6])
                if event[7] and event[8]:
                    self.offers.append(Offer(event[8], event[7]))
            elif event[0] == "r" and not event[3] and event[4] is not None:
                last.meta_errors.append(int(event[4]))

    def _log_held(self) -> None:
        for record in self.held:
            self.ctx.log.add(record)
        self.held = []


def _execution_id(content: bytes | None) -> str | None:
    try:
        data = orjson.loads(content or b"")
    except orjson.JSONDecodeError:
        return None
    return data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) else None


def _check(
    check: dict[str, Any] | None, replies: list[str], states: list[str], *, paired: bool = False
) -> list[str]:
    """What the turn's replies fail of the step's expectations (empty: all hold).

    Two messages delivered out of order share their replies: each one's `text` is then looked for
    in them (as `contains`), and `no_reply` is not checked. `state` holds when any execution of the
    message ended so: under redelivery, the copy that did the work is not always the first.
    """
    if not check:
        return []
    text = "\n".join(replies)
    failures = []
    if check.get("no_reply") and replies and not paired:
        failures.append(f"expected no reply, got {replies[0][:60]!r}")
    expected = check.get("text")
    if expected is not None and (expected not in text if paired else text != expected):
        failures.append(f"expected the text {expected[:60]!r}, got {text[:60]!r}")
    for part in check.get("contains") or ():
        if part not in text:
            failures.append(f"expected a reply containing {part!r}, got {text[:60]!r}")
    if check.get("matches") and not re.search(check["matches"], text):
        failures.append(f"expected a reply matching {check['matches']!r}, got {text[:60]!r}")
    for title in check.get("buttons") or ():
        if f"[{title}]" not in text:
            failures.append(f"expected a button {title!r}")
    if check.get("state") and states and check["state"] not in states:
        failures.append(
            f"expected the execution to end {check['state']}, it ended {', '.join(states)}"
        )
    return failures


def _reordered(deliveries: list[Delivery], replies: list[str]) -> int:
    """1 when the answer to the user's later message came before the answer to the earlier one."""

    def first_match(d: Delivery) -> int | None:
        check = d.step.get("check") or {}
        parts = [p for p in [check.get("text"), *(check.get("contains") or ())] if p]
        if not parts:
            return None
        return next((i for i, r in enumerate(replies) if any(p in r for p in parts)), None)

    earlier, later = first_match(deliveries[0]), first_match(deliveries[1])
    return int(earlier is not None and later is not None and later < earlier)
