"""The fake Graph API: Meta's send endpoint and its neighbours, as one ASGI app.

`POST /{vX.Y}/{phone_number_id}/messages` is served by a raw ASGI hot path (no framework
routing, orjson, precompiled checks); media, phone-number, template and notification endpoints go
through a small Starlette router (`graph_routes.py`). Paths carry no prefix: the lab server mounts
the app at `/graph` and strips it; `walab sandbox` serves it alone.

Every send is captured per contact thread with Meta's verdict; statuses (sent, delivered, read,
failed) are recorded on the capture and posted to the bot's webhook off the request path.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import re
from collections import defaultdict, deque
from typing import Any, Callable

import httpx
import orjson

from lab.clock import VirtualClock
from lab.config import Business
from lab.voice.ogg import ogg_opus_seconds
from lab.whatsapp import wamids
from lab.whatsapp.errors import (
    GraphError,
    bad_token,
    invalid_parameter,
    kind,
    rate_limit_headers,
    status_error,
    unknown_object,
)
from lab.whatsapp.faults import Faults
from lab.whatsapp.ids import IdFactory
from lab.whatsapp.media import MediaStore
from lab.whatsapp.model import CapturedSend, StatusEvent, Verdict
from lab.whatsapp.signing import SignedWebhook
from lab.whatsapp.status_delivery import StatusDispatcher
from lab.whatsapp.statuses import REGIME_2025, Pricing, PricingPolicy
from lab.whatsapp.templates import TemplateRegistry
from lab.whatsapp.validation import Send, validate

log = logging.getLogger(__name__)

WINDOW = 24 * 3600
ENTRY_POINT_WINDOW = 72 * 3600
MAX_BODY = 1024 * 1024
VERSION = re.compile(r"v\d+\.\d+")
OK = Verdict(ok=True)  # shared: an accepted send's verdict carries nothing per send
_JSON = (b"content-type", b"application/json; charset=UTF-8")
Subscriber = Callable[[CapturedSend, "StatusEvent | None"], None]


class GraphSandbox:
    """Meta's Graph API for one business number, with captured sends and status webhooks.

    Args:
        access_token: the bearer token bots must present.
        app_secret: signs the status webhooks.
        business: the business number (ids, display number).
        clock: the virtual clock (24-hour window, timestamps).
        templates: the template registry (packaged defaults when None).
        webhook_url: the bot's webhook for status updates (None: statuses are only recorded).
        http: client for status posts (the sandbox makes one when None).
        statuses: post status webhooks at all.
        strict_window: answer a send outside the 24-hour window synchronously (400, 131047)
            instead of Meta's 200 followed by a `failed` status.
        pricing_regime: `pmp-2025-07` or `pmp-2026-10`.
        status_batch_max: most statuses per webhook when they queue up (Meta batches up to 1000).
        history: captures kept per contact thread and in the global log; a load test at Meta's
            1,000 messages/s would otherwise grow without bound.
        gc_freeze_every: every this many captures, freeze the heap out of the cycle collector (0: never).
    """

    def __init__(
        self,
        *,
        access_token: str,
        app_secret: str,
        business: Business,
        clock: VirtualClock,
        templates: TemplateRegistry | None = None,
        webhook_url: str | None = None,
        http: httpx.AsyncClient | None = None,
        statuses: bool = True,
        strict_window: bool = False,
        pricing_regime: str = REGIME_2025,
        max_body: int = MAX_BODY,
        status_batch_max: int = 1000,
        seed: str = "walab",
        gc_freeze_every: int = 5000,
        history: int = 10_000,
    ) -> None:
        self.business = business
        self.clock = clock
        self.templates = templates if templates is not None else TemplateRegistry.load()
        self.strict_window = strict_window
        self.max_body = max_body
        self.pricing = PricingPolicy(pricing_regime)
        self.gc_freeze_every = gc_freeze_every
        self.faults = Faults()
        self.ids = IdFactory(seed)
        self.media = MediaStore(self.ids)
        self.statuses_enabled = statuses
        self.dispatcher = StatusDispatcher(
            business,
            app_secret,
            webhook_url if statuses else None,
            http=http,
            faults=self.faults,
            batch_max=status_batch_max,
        )
        self._app_secret = app_secret
        self._webhook_url = webhook_url
        self.on_startup: list[
            Callable[[], Any]
        ] = []  # coroutine functions run when served (lifespan)
        self._auth = b"Bearer " + access_token.encode()
        self.history = history
        self._threads: dict[str, deque[CapturedSend]] = defaultdict(lambda: deque(maxlen=history))
        self._log: deque[CapturedSend] = deque(maxlen=history)
        self._seq = 0
        self._last_inbound: dict[str, float] = {}
        self._entry_point_until: dict[str, float] = {}
        self._entry_point_ids: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._subscribers: list[Subscriber] = []
        self._paths: dict[str, str | None] = {}
        self._router: Any = (
            None  # built on the first request that is not a send (most sessions only send)
        )

    # -- the session-facing API ------------------------------------------------------------
    @property
    def app(self) -> GraphSandbox:
        """The ASGI app (the sandbox itself)."""
        return self

    @property
    def webhook_url(self) -> str | None:
        """The bot's webhook (inbound posts from the control endpoints; statuses when switched on)."""
        return self._webhook_url

    def thread(self, wa_id: str) -> list[CapturedSend]:
        """Every send captured for one contact, in order."""
        return list(self._threads.get(wa_id, ()))

    def captured_since(self, seq: int) -> list[CapturedSend]:
        """Captures with seq > `seq`, across contacts, in order."""
        entries = self._log
        lo, hi = 0, len(entries)
        while lo < hi:  # seqs are increasing: bisect
            mid = (lo + hi) // 2
            if entries[mid].seq <= seq:
                lo = mid + 1
            else:
                hi = mid
        return list(itertools.islice(entries, lo, None))

    @property
    def last_seq(self) -> int:
        return self._seq

    def note_inbound(
        self,
        wa_id: str,
        timestamp: float | str | None = None,
        *,
        name: str | None = None,
        entry_point: bool = False,
    ) -> None:
        """A user message reached the bot: (re)opens the 24-hour window (72 h free entry point for ads)."""
        ts = float(timestamp) if timestamp is not None else self.clock.time()
        self._last_inbound[wa_id] = max(ts, self._last_inbound.get(wa_id, 0.0))
        if name:
            self._names[wa_id] = name
        if entry_point:
            self._entry_point_until[wa_id] = ts + ENTRY_POINT_WINDOW
            self._entry_point_ids[wa_id] = self.ids.conversation_id()

    def window_open(self, wa_id: str) -> bool:
        last = self._last_inbound.get(wa_id)
        return last is not None and self.clock.time() - last < WINDOW

    def read(self, wa_id: str) -> int:
        """The user opens the chat: delivered messages become read (voice notes also played)."""
        n = 0
        for cap in self._threads.get(wa_id, ()):
            if (
                cap.wamid
                and cap.statuses
                and cap.statuses[-1].status in ("sent", "delivered")
                and cap.type not in ("reaction", "read", "typing")
            ):
                self._status(cap, "read")
                if cap.type == "audio" and cap.payload.get("audio", {}).get("voice"):
                    self._status(cap, "played")
                n += 1
        return n

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call back (synchronously) on each capture (status None) and each status; returns an unsubscribe."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def forget_captures(self) -> None:
        """Drop the captured sends of every thread (a closed session); sequence numbers keep counting."""
        self._threads.clear()
        self._log.clear()

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait for queued status webhooks to be posted."""
        await self.dispatcher.drain(timeout)

    async def aclose(self) -> None:
        await self.dispatcher.aclose()

    def sign(self, payload: dict[str, Any]) -> SignedWebhook:
        """Serialise and sign a webhook with the app secret (the secret never leaves the sandbox)."""
        return SignedWebhook.of(payload, self._app_secret)

    def check_token(self, header: bytes | None) -> None:
        if header != self._auth:
            raise bad_token(bool(header))

    # -- ASGI ------------------------------------------------------------------------------
    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].endswith("/messages")
        ):
            await self._messages(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        else:
            if self._router is None:
                # cycle: lab.whatsapp.graph_routes imports this module
                from lab.whatsapp.graph_routes import build_router

                self._router = build_router(self)
            await self._router(scope, receive, send)

    async def _lifespan(self, receive: Callable, send: Callable) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                for hook in self.on_startup:
                    asyncio.get_running_loop().create_task(hook())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _phone_of_path(self, path: str) -> str | None:
        """`/v23.0/<id>/messages` -> `<id>` (cached; None for a malformed path)."""
        try:
            return self._paths[path]
        except KeyError:
            parts = path.split("/")
            pnid = parts[2] if len(parts) == 4 and VERSION.fullmatch(parts[1]) else None
            if len(self._paths) < 1024:
                self._paths[path] = pnid
            return pnid

    async def _messages(self, scope: dict, receive: Callable, send: Callable) -> None:
        auth = ctype = None
        length = 0
        for name, value in scope["headers"]:
            if name == b"authorization":
                auth = value
            elif name == b"content-type":
                ctype = value
            elif name == b"content-length":
                length = int(value) if value.isdigit() else 0
        payload: Any = None
        try:
            pnid = self._phone_of_path(scope["path"])
            if pnid is None:
                raise GraphError(
                    2500,
                    message=f"Unknown path components: {scope['path']}",
                    http_status=400,
                    whatsapp_data=False,
                )
            if auth != self._auth:
                raise bad_token(auth is not None)
            if pnid != self.business.phone_number_id:
                raise unknown_object(pnid)
            if length > self.max_body:
                raise invalid_parameter(
                    f"Request body of {length} bytes exceeds the limit of {self.max_body} bytes."
                )
            body = await self._body(receive)
            if ctype is None or not ctype.startswith(b"application/json"):
                raise invalid_parameter("Content-Type must be application/json.")
            try:
                payload = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise invalid_parameter(f"The request body is not valid JSON: {exc}.") from None
            checked = validate(payload, self.templates)
            await self.faults.wait_if_held()
            fault = self.faults.take() if self.faults.armed else None
            if fault is not None and not fault.asynchronous:
                raise GraphError(
                    fault.code,
                    fault.details,
                    http_status=fault.http_status,
                    headers=rate_limit_headers(self.business.waba_id)
                    if fault.code == 130429
                    else [],
                )
            out = self._accept(pnid, checked, payload, fault.code if fault else None)
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [_JSON, (b"content-length", str(len(out)).encode())],
                }
            )
            await send({"type": "http.response.body", "body": out})
        except GraphError as err:
            self._reject(payload, err)
            await self._error(send, err)
        except Exception:  # a sandbox bug must not become a bare 500: answer as Meta's 131000
            log.exception("unexpected error handling %s", scope["path"])
            err = GraphError(131000, "The sandbox failed on this request; see its log.")
            self._reject(payload, err)
            await self._error(send, err)

    async def _body(self, receive: Callable) -> bytes:
        msg = await receive()
        body = msg.get("body", b"")
        if not msg.get("more_body"):
            return body
        chunks = [body]
        size = len(body)
        while msg.get("more_body"):
            msg = await receive()
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise invalid_parameter(f"Request body exceeds the limit of {self.max_body} bytes.")
            chunks.append(chunk)
        return b"".join(chunks)

    async def _error(self, send: Callable, err: GraphError) -> None:
        out = err.body(self.ids.fbtrace_id())
        headers = [_JSON, (b"content-length", str(len(out)).encode()), *err.headers]
        await send({"type": "http.response.start", "status": err.http_status, "headers": headers})
        await send({"type": "http.response.body", "body": out})

    # -- capture and statuses -----------------------------------------------------------------
    def _accept(self, pnid: str, checked: Send, payload: dict, async_code: int | None) -> bytes:
        """Capture an accepted send; returns the response body."""
        if checked.type in ("read", "typing"):
            return self._mark_read(pnid, checked, payload)
        to = checked.to
        now = self.clock.time()
        window = self.window_open(to)
        if async_code is None and not window and checked.type != "template":
            if self.strict_window:
                raise GraphError(131047, kind(131047).details)
            async_code = 131047
        wamid = self.ids.outbound_wamid(to)
        messages: dict[str, Any] = {"id": wamid}
        if checked.type == "template":
            messages["message_status"] = "accepted"
        response = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": checked.input, "wa_id": to}],
            "messages": [messages],
        }
        if async_code is None:
            verdict = OK
            entry_point = self._entry_point_until.get(to, 0.0) > now
            pricing = self.pricing.price(
                checked.category,
                window_open=window,
                entry_point=entry_point,
                month=self.clock.now().strftime("%Y-%m")
                if self.pricing.regime != REGIME_2025
                else "",
            )
        else:
            k = kind(async_code)
            verdict = Verdict(False, async_code, k.title, f"(#{async_code}) {k.title}", 200, True)
            pricing = None
        self._seq += 1
        cap = CapturedSend(
            self._seq,
            wamid,
            to,
            pnid,
            checked.type,
            payload,
            verdict,
            response,
            now,
            pricing_category=pricing.category if pricing else None,
            billable=pricing.billable if pricing else None,
            audio_seconds=self._audio_seconds(payload) if checked.type == "audio" else None,
        )
        self._store(cap)
        if async_code is not None:
            self._schedule(cap, "failed", error=status_error(async_code))
        else:
            self._schedule(cap, "sent", pricing=pricing)
            if checked.type != "reaction":  # reactions only ever get `sent`
                self._schedule(cap, "delivered", pricing=pricing)
        return orjson.dumps(response)

    def _mark_read(self, pnid: str, checked: Send, payload: dict) -> bytes:
        decoded = wamids.decode(checked.message_id or "")
        if decoded is not None and not decoded[1]:
            raise invalid_parameter("Param message_id must be the id of a message the user sent.")
        self._seq += 1
        to = decoded[0] if decoded else ""
        cap = CapturedSend(
            self._seq,
            None,
            to,
            pnid,
            checked.type,
            payload,
            OK,
            {"success": True},
            self.clock.time(),
        )
        self._store(cap)
        return b'{"success":true}'

    def _audio_seconds(self, payload: dict[str, Any]) -> float | None:
        """How long an audio the business sends by media id plays (its uploaded bytes)."""
        media_id = (payload.get("audio") or {}).get("id")
        item = self.media.get(str(media_id)) if media_id else None
        return ogg_opus_seconds(item.data) if item is not None else None

    def _reject(self, payload: Any, err: GraphError) -> None:
        """Keep a rejected send in its contact's thread (or thread "" when no recipient is known)."""
        to = ""
        if isinstance(payload, dict) and isinstance(payload.get("to"), str):
            to = "".join(ch for ch in payload["to"] if ch.isdigit())
        self._seq += 1
        verdict = Verdict(False, err.code, err.title, err.message, err.http_status or 400, False)
        mtype = payload.get("type", "text") if isinstance(payload, dict) else "invalid"
        cap = CapturedSend(
            self._seq,
            None,
            to,
            self.business.phone_number_id,
            str(mtype),
            payload if isinstance(payload, dict) else {},
            verdict,
            err.envelope("A" + "0" * 22)["error"],
            self.clock.time(),
        )
        self._store(cap)

    def _store(self, cap: CapturedSend) -> None:
        self._threads[cap.to].append(cap)
        self._log.append(cap)
        if self.gc_freeze_every and cap.seq % self.gc_freeze_every == 0:
            # Captures live as long as the session: move them out of the cycle collector's reach, so
            # full collections stay proportional to new objects instead of pausing sends for 100+ ms.
            gc.freeze()
        for cb in self._subscribers:
            cb(cap, None)

    def capture_notification(self, cap_kwargs: dict[str, Any]) -> CapturedSend:
        """Capture a message posted by Kestra's WhatsApp notification task (see notify.py)."""
        self._seq += 1
        cap = CapturedSend(
            seq=self._seq, time=self.clock.time(), via="notification", verdict=OK, **cap_kwargs
        )
        self._store(cap)
        return cap

    def _schedule(
        self,
        cap: CapturedSend,
        status: str,
        *,
        pricing: Pricing | None = None,
        error: dict | None = None,
    ) -> None:
        delay = self.faults.status_delay
        if delay > 0:
            try:
                asyncio.get_running_loop().call_later(
                    delay, self._status, cap, status, pricing, error
                )
                return
            except RuntimeError:
                pass
        self._status(cap, status, pricing, error)

    def _status(
        self,
        cap: CapturedSend,
        status: str,
        pricing: Pricing | None = None,
        error: dict | None = None,
    ) -> None:
        now = self.clock.time()
        event = StatusEvent(status, now, error)
        cap.statuses.append(event)
        for cb in self._subscribers:
            cb(cap, event)
        if self.dispatcher.webhook_url is not None:
            opaque = cap.payload.get("biz_opaque_callback_data") if cap.payload else None
            conversation = None
            if (
                pricing is not None and pricing.type == "free_entry_point"
            ):  # v24+: only inside a FEP window
                conversation = {
                    "id": self._entry_point_ids[cap.to],
                    "origin": {"type": "referral_conversion"},
                }
                if status == "sent":
                    conversation["expiration_timestamp"] = str(int(self._entry_point_until[cap.to]))
            self.dispatcher.emit(
                cap.wamid or "",
                status,
                cap.to,
                str(int(now)),
                pricing,
                error,
                opaque,
                self._names.get(cap.to),
                conversation,
            )
