"""A lab session: everything the TUI, the CLI and the scenario player drive.

`Lab` assembles the fake Graph API (sandbox), the LLM gateway, the target (the embedded engine
or a real Kestra, always through `KestraClient`), the lab server, the phone (contacts, threads,
virtual clock) and the conversation engine. It is the one headless entry point: the TUI renders
what it reports, and tests reach everything through it.

CONTRACT (filled in by the conversation engine; the TUI and scenarios code against these names):

    async with Lab.open(settings, serve=False) as lab:   # serve=True listens on settings.host:port
        turn = await lab.perform(wa_id, action)             # any act of lab.conversation.actions
        turn = await lab.send_text("5511987654321", "Olá")   # the same, one act each:
        turn = await lab.tap(wa_id, "Ver planos")          # reply button or list row, by its title
        turn = await lab.send_media(wa_id, kind, path, caption=None)
        turn = await lab.send_location(wa_id, lat, lon, name=None, address=None)
        turn = await lab.send_contacts(wa_id, [{"name": ..., "phone": ...}])
        turn = await lab.react(wa_id, emoji, to_wamid=None)   # None = the last business message
        turn = await lab.reply_to(wa_id, wamid, text)
        lab.advance(timedelta(hours=25))                    # virtual clock
        lab.read(wa_id)                                     # the user opens the chat -> read statuses
        lab.contacts / lab.add_contact(name, wa_id=None) / lab.restart(wa_id, new_user=False)
        lab.transcript                                      # Transcript of every turn so far
        lab.thread(wa_id)                                   # list[ThreadItem] for the chat pane
        lab.subscribe(callback)                             # LabEvent callbacks (sync, cheap)
        lab.describe_target()                               # "embedded (Kestra 1.3 API)" or URL + version
        await lab.apply_prompt(prompt_id)                   # deploy a prompt variant as the flow's prompt

Opening (see `Lab.open` for every option):

    async with Lab.open(settings, *, serve=False, cassette=None, scripted=None, clock_start=None,
                        target_url=None) as lab: ...
    lab = await Lab.open(settings); ...; await lab.close()

Closing stops every part and lets go of what the session captured (the engine's executions and
logs, the sandbox's captured sends, the gateway's calls): `lab.transcript` stays readable.

Also: lab.send_text(wa_id, text, duplicates=N, delivered_after=timedelta(...)) (Meta's redeliveries
and late webhooks), `await lab.restart(...)` (async: with new_user it clears the bot's KV state of
the contact), Lab.open(..., turn_timeout=30.0), lab.use_flow(flow_id) (talk to another deployed
flow), lab.inject_fault(rate_limit=1, ...),
lab.status_deliveries (status webhooks posted to the flow, tracked outside the turns), lab.clock,
lab.secret_mask (every known secret value -> `******`: what the TUI applies to what it shows),
lab.flow, lab.llm_mode, lab.sandbox, lab.gateway, lab.engine (None on a real Kestra), lab.client,
lab.user (the `SimulatedUser` that turns each act into the webhook the phone posts).

LabEvent kinds (dataclasses in `lab.conversation.events`): TurnStarted, ExecutionUpdated,
LogReceived, ReplyCaptured, StatusChanged, LLMCallMetered, TurnFinished, ActionPerformed,
LabErrorRaised.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from lab import limits
from lab.conversation import events as ev
from lab.conversation.actions import (
    Action,
    Advance,
    ContactCard,
    React,
    ReplyTo,
    SendContacts,
    SendLocation,
    SendMedia,
    SendText,
    SwitchContact,
    Tap,
)
from lab.conversation.assembly import Parts, check_flow, close
from lab.conversation.model import ThreadItem, Transcript, Turn
from lab.conversation.opening import LabOpening, opening
from lab.conversation.phone import Phone, find_contact
from lab.conversation.relay import StatusRelay
from lab.conversation.session_events import SessionEvents
from lab.conversation.simulated_user import Post, SimulatedUser
from lab.conversation.turns import LocalRead, TurnEngine
from lab.errors import LabError
from lab.masking import SecretMask
from lab.prompts import PromptFile, find_prompt, load_prompts
from lab.whatsapp.faults import FAULT_NAMES, FAULT_OPTIONS

if TYPE_CHECKING:
    from lab.config import Contact, Settings

DEFAULT_TURN_TIMEOUT = 30.0
SCHEDULED_RUN_TIMEOUT_S = 30.0  # a scheduled execution started by a clock move


class Lab:
    """One lab session (see the contract above). Build it with `Lab.open(settings, ...)`."""

    def __init__(self, parts: Parts, *, turn_timeout: float = DEFAULT_TURN_TIMEOUT) -> None:
        s = parts.settings
        self.parts = parts
        self.settings = s
        self.clock = parts.clock
        self.sandbox = parts.sandbox
        self.gateway = parts.gateway
        self.engine = parts.engine
        self.client = parts.client
        self.llm_mode = s.llm_mode
        self.namespace = s.namespace
        self.flow_id = s.flow
        self.active_prompt: str | None = (
            None  # the prompt variant last applied in this session (None: the deployed default)
        )
        self.secret_mask = (
            parts.engine.mask if parts.engine is not None else SecretMask(s.secret_values())
        )
        self._bus = bus = ev.EventBus()
        parts.on_error = lambda what, where=None, fix=None: self._bus.emit(
            ev.LabErrorRaised(what, where, fix)
        )
        self._posted_after: dict[str, int] = {}  # inbound wamid -> sandbox seq when it was posted
        self.phone = Phone(s.business, self.clock, s.app_secret, s.contacts)
        self.turns = TurnEngine(
            parts.client,
            thread_of=self.sandbox.thread,
            llm_calls_of=self.gateway.calls,
            captured_since=self.sandbox.captured_since,
            last_seq=_last_seq_of(self.sandbox),
            local_wait=parts.engine.wait if parts.engine is not None else None,
            local_read=LocalRead(
                parts.engine, parts.client.dialect, parts.server, parts.client.base_url
            )
            if parts.engine is not None
            else None,
            bus=bus,
            task_types={(f.namespace, f.id): f.task_types for f in parts.plan.flows},
            timeout=turn_timeout,
            settle=0.0 if parts.engine is not None else 0.2,
            mask=self.secret_mask,
        )
        self.transcript = Transcript(
            flow=f"{self.namespace}.{self.flow_id}", target=self.target_name, llm_mode=self.llm_mode
        )
        self.user = SimulatedUser(
            s, self.phone, self.sandbox, self.gateway, self.clock, self.transcript
        )
        self.events = SessionEvents(parts, self.turns, bus)
        if parts.engine is not None:
            self.turns.live_logs = True
        self.use_flow(self.flow_id)

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        serve: bool = False,
        cassette: Path | None = None,
        scripted: Any = None,
        clock_start: datetime | None = None,
        target_url: str | None = None,
        turn_timeout: float = DEFAULT_TURN_TIMEOUT,
        deploy: bool = True,
        fixtures: Any = None,
    ) -> LabOpening:
        """Assemble a session and deploy the project to its target.

        Args:
            settings: the session's settings (`lab.config.load_settings`).
            serve: also listen on settings.host:port (uvicorn, same event loop), e.g. for the TUI's
                browser mode. Always on with a real Kestra, which must call the lab back.
            cassette: the LLM cassette to replay from / record into (default: scenarios/).
            scripted: `lab.llm.scripted.ScriptedReplies` for the gateway's scripted mode.
            clock_start: a frozen virtual clock starting there (replay); None follows the wall clock.
            target_url: a real Kestra's URL (overrides settings.kestra_url); None runs the embedded engine.
            turn_timeout: seconds before a turn that does not finish is declared hung.
            deploy: False talks to what a real Kestra already holds (flows, files, KV: `walab deploy`).
            fixtures: Kestra task fixtures (`lab.kestra.engine.fixtures.Fixtures`) the embedded engine
                applies to every execution (--fixtures FILE); refused on a real Kestra.
        """

        return opening(
            partial(cls, turn_timeout=turn_timeout),
            settings,
            serve=serve,
            cassette=cassette,
            scripted=scripted,
            clock_start=clock_start,
            target_url=target_url,
            deploy=deploy,
            fixtures=fixtures,
        )

    async def close(self) -> None:
        """Stop the server, the engine and the clients this session started."""
        await close(self.parts)
        self._release()

    def _release(self) -> None:
        """Let go of what the closed session captured (executions, captured sends, LLM calls): the parts
        refer to each other, so it would wait for the cycle collector, and a scenario suite opens one
        lab per case. The transcript stays readable (`lab.transcript`)."""
        self.events.close()
        self.parts.on_error = None
        if self.engine is not None:
            self.engine.forget_executions()
        self.sandbox.forget_captures()
        self.gateway.clear()

    # -- session facts ----------------------------------------------------------------------
    @property
    def flow(self) -> str:
        return f"{self.namespace}.{self.flow_id}"

    @property
    def target_name(self) -> str:
        return "embedded" if self.engine is not None else self.client.base_url

    @property
    def access(self) -> list[str]:
        """Served: what the lab server exposes and where each credential is (names, never values); [] in-process."""
        return list(self.parts.access)

    def describe_target(self) -> str:
        """`embedded (Kestra 1.3 API)`, or the real Kestra's URL and version."""
        if self.engine is not None:
            return f"embedded (Kestra {self.client.dialect} API)"
        server = getattr(self.client, "server", None)
        version = f"Kestra {server.version}" if server is not None and server.version else "Kestra"
        return f"{self.client.base_url} ({version})"

    def use_flow(self, flow_id: str) -> None:
        """Talk to another deployed flow of the namespace from the next turn on."""
        src = check_flow(self.parts, flow_id)
        if not src.webhook_key:
            raise LabError(
                f"flow {flow_id} has no Webhook trigger, so WhatsApp cannot reach it",
                where=str(src.path),
                fix="add a trigger of type io.kestra.plugin.core.trigger.Webhook with a key",
            )
        self.flow_id = flow_id
        self._webhook_key = src.webhook_key
        self.transcript.flow = self.flow
        for app in self._relays():
            app.flow_id = flow_id

    def _relays(self) -> list[Any]:
        return [app for _, app in self.parts.server.mounted if isinstance(app, StatusRelay)]

    @property
    def status_deliveries(self) -> list[Any]:
        """Status webhooks delivered to the flow (each started its own execution, outside any turn)."""
        return self.parts.status_deliveries

    # -- events -----------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[ev.LabEvent], None]) -> Callable[[], None]:
        """Call back on every LabEvent (synchronously; keep it cheap). Returns an unsubscribe
        function."""
        return self.events.subscribe(callback)

    # -- contacts ---------------------------------------------------------------------------
    @property
    def contacts(self) -> list[Contact]:
        return self.phone.contacts

    def add_contact(self, name: str, wa_id: str | None = None) -> Contact:
        return self.phone.add_contact(name, wa_id)

    async def restart(self, wa_id: str, new_user: bool = False) -> None:
        """Clear the chat on the phone; with new_user, the bot also forgets the contact (its KV state)."""
        self.phone.forget(wa_id)
        if new_user:
            for prefix in ("memory_", "lead_", "review_"):
                try:
                    await self.client.kv.delete(self.namespace, f"{prefix}{wa_id}")
                except LabError:
                    pass

    def thread(self, wa_id: str) -> list[ThreadItem]:
        """The contact's chat in causal order: the user's messages and everything the business sent
        (bubbles, and read marks / typing indicators: `reply.visible` tells them apart)."""
        turn_of_inbound = {
            t.inbound.wamid: t.index for t in self.transcript.turns if t.contact == wa_id
        }
        turn_of_send = {
            s.seq: t.index for t in self.transcript.turns if t.contact == wa_id for s in t.replies
        }
        # Causal order: a user message sits after every send captured before it was posted.
        keyed = [
            (
                self._posted_after.get(e.wamid or "", 0) + 0.5,
                ThreadItem("user", e.time, inbound=e, turn_index=turn_of_inbound.get(e.wamid)),
            )
            for e in self.phone.sent(wa_id)
        ]
        # Read marks and typing indicators stay in: the chat pane turns them into ticks, not bubbles.
        keyed += [
            (
                float(s.seq),
                ThreadItem("business", s.time, send=s, turn_index=turn_of_send.get(s.seq)),
            )
            for s in self.sandbox.thread(wa_id)
        ]
        keyed.sort(key=lambda k: k[0])
        return [item for _, item in keyed]

    # -- time -------------------------------------------------------------------------------
    def advance(self, delta: timedelta | float) -> None:
        """Move the virtual clock (the 24-hour window, KV TTLs and timestamps follow it)."""
        self.clock.advance(limits.clock_move(delta))

    def read(self, wa_id: str) -> int:
        """The user opens the chat: delivered messages become read (status webhooks follow)."""
        return self.sandbox.read(wa_id)

    def inject_fault(self, **fault: Any) -> None:
        """Script the fake Graph API: rate_limit=N, server_error=N (with http_status=), fail_next=N
        (with code=), duplicate_next=N, delay_statuses=SECONDS, throughput=PER_SECOND."""
        faults = self.sandbox.faults
        options = {k: fault.pop(k) for k in ("code", "details", "http_status") if k in fault}
        if not fault:
            raise LabError(
                "inject_fault needs a fault",
                fix="e.g. rate_limit: 1, or fail_next: 1 with code: 131026",
            )
        for name, value in fault.items():
            if name in FAULT_NAMES:
                allowed = {k: v for k, v in options.items() if k in FAULT_OPTIONS.get(name, ())}
                faults.arm(name, 1 if value is None else int(value), **allowed)
            elif name == "delay_statuses":
                faults.delay_statuses(float(value))
            elif name == "throughput":
                faults.throughput(value)
            else:
                raise LabError(
                    f"unknown fault {name!r}",
                    fix=f"use {', '.join(FAULT_NAMES)}, " "delay_statuses or throughput",
                )

    # -- prompts ----------------------------------------------------------------------------
    async def apply_prompt(self, prompt_id: str) -> PromptFile:
        """Deploy a prompt variant as its flow's active prompt (`prompts/<flow>.md`)."""
        prompt = find_prompt(load_prompts(self.settings.prompts_dir), prompt_id)
        await self.client.files.upload(
            self.namespace, f"/prompts/{prompt.flow}.md", prompt.text.encode("utf-8")
        )
        if prompt.model:
            await self.client.kv.put(self.namespace, "LLM_MODEL", prompt.model)
        self.active_prompt = (
            prompt.id
        )  # what the flow runs from now on (the TUI's prompt panel shows it)
        return prompt

    # -- what the user does -----------------------------------------------------------------
    async def perform(self, wa_id: str, action: Action) -> Turn | None:
        """Do one act as the contact (`lab.conversation.actions`): the one way every front end acts.

        Returns the Turn it caused, None for an act that posts no webhook (a clock move, a read, a
        wait, a switch of contact, a fault). Every act is then reported as `ActionPerformed`.
        """
        if isinstance(action, SwitchContact) and action.number is not None:
            wa_id = self.add_contact(action.who, action.number).wa_id
        elif isinstance(action, SwitchContact):
            wa_id = find_contact(self.contacts, action.who).wa_id
        post = await self.user.act(wa_id, action)
        if isinstance(action, Advance) and self.engine is not None:
            await self._run_schedules()
        turn = None if post is None else await self._turn(post)
        if turn is not None:
            turn.action = action
        if self._bus:
            self._bus.emit(ev.ActionPerformed(wa_id, action, turn))
        return turn

    async def _run_schedules(self) -> None:
        """The embedded engine's Schedule triggers the clock move passed, run to their end (a
        real Kestra's scheduler runs on its own clock)."""
        for execution in await self.engine.fire_schedules():
            await self.engine.wait(execution.id, timeout=SCHEDULED_RUN_TIMEOUT_S)

    async def send_text(
        self,
        wa_id: str,
        text: str,
        *,
        duplicates: int = 0,
        delivered_after: timedelta | None = None,
    ) -> Turn:
        """The user types a message. `duplicates` redelivers the same webhook; `delivered_after` posts it
        that much later than the user wrote it (Meta retries webhooks for days)."""
        return await self._perform_turn(wa_id, SendText(text, delivered_after, duplicates))

    async def tap(self, wa_id: str, title: str) -> Turn:
        """The user taps a reply button, a list row or a template quick reply, by its title."""
        return await self._perform_turn(wa_id, Tap(title))

    async def send_media(
        self, wa_id: str, kind: str, path: str | Path, caption: str | None = None
    ) -> Turn:
        """The user sends a photo, voice note, video, document or sticker from a file."""
        return await self._perform_turn(wa_id, SendMedia(kind, Path(path), caption))

    async def send_location(
        self,
        wa_id: str,
        lat: float,
        lon: float,
        name: str | None = None,
        address: str | None = None,
    ) -> Turn:
        return await self._perform_turn(wa_id, SendLocation(lat, lon, name, address))

    async def send_contacts(self, wa_id: str, contacts: list[dict[str, Any]]) -> Turn:
        cards = tuple(ContactCard(str(c["name"]), c.get("phone")) for c in contacts)
        return await self._perform_turn(wa_id, SendContacts(cards))

    async def react(self, wa_id: str, emoji: str | None, to_wamid: str | None = None) -> Turn:
        """React to a business message (None = the last one); emoji None removes the reaction."""
        return await self._perform_turn(wa_id, React(emoji, to_wamid))

    async def reply_to(self, wa_id: str, wamid: str, text: str) -> Turn:
        """The user quotes a message (swipe to reply) and writes text."""
        return await self._perform_turn(wa_id, ReplyTo(text, wamid))

    async def _perform_turn(self, wa_id: str, action: Action) -> Turn:
        turn = await self.perform(wa_id, action)
        assert turn is not None  # every act these methods perform posts a webhook
        return turn

    async def _turn(self, post: Post) -> Turn:
        """Post the webhook to the flow and run the turn it starts."""
        inbound = post.inbound
        contact = self.phone.contact(inbound.wa_id)
        self._posted_after[inbound.wamid or ""] = self.sandbox.last_seq
        # Any user message (re)opens the 24-hour window, as of when the user wrote it.
        self.sandbox.note_inbound(inbound.wa_id, inbound.time, name=contact.name)
        if post.delivered_after:
            self.clock.advance(post.delivered_after)
        duplicates = post.duplicates + self.sandbox.faults.take_duplicate()
        turn = await self.turns.run(
            inbound,
            namespace=self.namespace,
            flow_id=self.flow_id,
            key=self._webhook_key,
            duplicates=duplicates,
        )
        self.transcript.turns.append(turn)
        return turn


def _last_seq_of(sandbox: Any) -> Callable[[], int]:
    """The sandbox's last capture number, read when called (without holding the Lab)."""
    return lambda: sandbox.last_seq
