"""Status webhooks delivered off the request path: a queue drained by one background task.

Sends only append to a deque (cheap, never awaits). At chat pace each status travels alone, in
order: bot libraries (pywa, whatsapp-api-js) read only the first status of a webhook; that holds for
the read receipts of a user opening a 22-message thread, which all come at once. Under load
(more than `busy_rate` statuses/s, a load test) the task lingers a few milliseconds and posts
whatever has accumulated, up to `batch_max` statuses per signed webhook, as Meta batches under
load: one HTTP post per status would cost more CPU than the sends themselves. Failed statuses go in their own
webhooks, without `contacts[]`, as Meta sends them.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

import httpx

from lab.config import Business
from lab.whatsapp.faults import Faults
from lab.whatsapp.signing import SignedWebhook
from lab.whatsapp.statuses import Pricing, status_object, status_webhook

log = logging.getLogger(__name__)

USER_ACTION_STATUSES = (
    "read",
    "played",
)  # what the user's opening a chat (or playing a voice note) causes
RETRY_DELAYS = (1.0, 5.0)  # Meta retries with decreasing frequency; two retries suffice locally


class StatusDispatcher:
    """Posts status webhooks to the bot, batched, in the background.

    Args:
        webhook_url: the bot's callback URL; None keeps statuses local (recorded, not posted).
        batch_max: most statuses in one webhook (1 = one webhook per status).
        linger: under load, seconds to wait after a wake-up so the backlog travels as one webhook.
        batch_from: backlog size (sends' statuses, not read receipts) from which statuses are batched even at
            chat pace.
        busy_rate: statuses per second above which the dispatcher is "under load" and batches all.
    """

    def __init__(
        self,
        business: Business,
        app_secret: str,
        webhook_url: str | None,
        *,
        http: httpx.AsyncClient | None = None,
        faults: Faults | None = None,
        batch_max: int = 1000,
        with_user_ids: bool = True,
        linger: float = 0.01,
        batch_from: int = 16,
        busy_rate: float = 200.0,
    ) -> None:
        self.business = business
        self.webhook_url = webhook_url
        self.batch_max = max(1, batch_max)
        self.linger = linger
        self.batch_from = batch_from
        self.busy_rate = busy_rate
        self._busy = False
        self._emitted = 0
        self._rate_since = 0.0
        self._rate_count = 0
        self.with_user_ids = with_user_ids
        self._secret = app_secret
        self._http = http
        self._own_http = http is None
        self._faults = faults or Faults()
        # (wamid, status, recipient, timestamp, pricing, error, opaque, name, conversation): the status
        # dict is built in the background, not on the request path
        self._queue: deque[tuple] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._inflight = 0
        self.posted = 0  # webhooks posted
        self.statuses_posted = 0
        self.failures = 0  # posts the bot did not answer 2xx (after retries)
        self.last_error: str | None = None

    def emit(
        self,
        wamid: str,
        status: str,
        recipient: str,
        timestamp: str,
        pricing: Pricing | None = None,
        error: dict[str, Any] | None = None,
        opaque: str | None = None,
        name: str | None = None,
        conversation: dict[str, Any] | None = None,
    ) -> None:
        """Queue one status. Never blocks."""
        if self.webhook_url is None:
            return
        self._queue.append(
            (wamid, status, recipient, timestamp, pricing, error, opaque, name, conversation)
        )
        self._emitted += 1
        if self._task is None or self._task.done():
            self._ensure_task()
        self._wake.set()

    def _ensure_task(self) -> None:
        if self._task is None or self._task.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # called outside the loop: the next emit from inside starts it
                return
            if self._wake._loop not in (None, loop):  # type: ignore[attr-defined]  # new loop (tests)
                self._wake = asyncio.Event()
            self._task = loop.create_task(self._run(), name="walab-status-delivery")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            now = loop.time()
            if now - self._rate_since >= 0.1:  # statuses per second over the last ~100 ms
                self._busy = (self._emitted - self._rate_count) / (
                    now - self._rate_since
                ) > self.busy_rate
                self._rate_since, self._rate_count = now, self._emitted
            if self._busy and self.linger:
                await asyncio.sleep(
                    self.linger
                )  # under load, let the backlog grow into one webhook
            while self._queue:
                batch, failed = self._take()
                self._inflight += 1
                try:
                    await self._post(batch, failed, attempt=0)
                finally:
                    self._inflight -= 1

    def _take(self) -> tuple[list[tuple], bool]:
        queue = self._queue
        first = queue.popleft()
        failed = first[1] == "failed"
        batch = [first]
        if not self._busy and self._backlog() + 1 < self.batch_from:
            return batch, failed
        while queue and len(batch) < self.batch_max and (queue[0][1] == "failed") == failed:
            batch.append(queue.popleft())
        return batch, failed

    def _backlog(self) -> int:
        """Queued statuses that make a backlog at chat pace: not the read (and played) receipts of a user
        opening a chat, which come all at once and which Meta sends one per webhook."""
        return sum(1 for queued in self._queue if queued[1] not in USER_ACTION_STATUSES)

    def _webhook(self, batch: list[tuple], failed: bool) -> SignedWebhook:
        contacts: dict[str, str | None] = {}
        statuses = []
        for wamid, status, recipient, ts, pricing, error, opaque, name, conversation in batch:
            statuses.append(
                status_object(
                    wamid,
                    status,
                    recipient,
                    ts,
                    pricing=pricing,
                    errors=[error] if error else None,
                    biz_opaque_callback_data=opaque,
                    conversation=conversation,
                )
            )
            if not failed and recipient not in contacts:
                contacts[recipient] = name
        payload = status_webhook(
            self.business, statuses, contacts.items(), with_user_ids=self.with_user_ids
        )
        return SignedWebhook.of(payload, self._secret)

    async def _post(self, batch: list, failed: bool, attempt: int) -> None:
        hook = self._webhook(batch, failed)
        http = self.client()
        # the lab's client answers its own URLs in-process with the status only (same bytes and headers)
        post_status = getattr(http, "post_status", None)
        copies = 1 + self._faults.take_duplicate()
        ok = False
        for _ in range(copies):
            try:
                if post_status is not None:
                    code = await post_status(self.webhook_url, hook.body, hook.headers)
                else:
                    code = (
                        await http.post(self.webhook_url, content=hook.body, headers=hook.headers)
                    ).status_code
                ok = 200 <= code < 300
                if not ok:
                    self.last_error = f"HTTP {code}"
            except httpx.HTTPError as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
        self.posted += 1
        self.statuses_posted += len(batch)
        if not ok:
            if attempt < len(RETRY_DELAYS):
                asyncio.get_running_loop().call_later(
                    RETRY_DELAYS[attempt], self._retry, batch, failed, attempt + 1
                )
            else:
                self.failures += 1
                log.warning(
                    "status webhook not accepted by %s: %s", self.webhook_url, self.last_error
                )

    def client(self) -> httpx.AsyncClient:
        """The HTTP client that reaches the bot (shared with control-endpoint inbound posts)."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=10.0)
        return self._http

    def _retry(self, batch: list, failed: bool, attempt: int) -> None:
        asyncio.get_running_loop().create_task(self._post(batch, failed, attempt))

    @property
    def pending(self) -> int:
        return len(self._queue) + self._inflight

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait until every queued status has been posted (tests, shutdown)."""
        self._ensure_task()
        if self._queue:
            self._wake.set()
        deadline = asyncio.get_running_loop().time() + timeout
        while self.pending and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.005)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                pass
            self._task = None
        if self._own_http and self._http is not None:
            await self._http.aclose()
            self._http = None
