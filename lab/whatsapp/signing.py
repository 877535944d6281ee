"""Webhook bytes exactly as Meta sends them: serialised once, signed, posted unchanged.

Meta signs the ASCII-escaped payload (`\\uXXXX`, lowercase hex), so receivers that hash the raw
bytes (pywa) and receivers that re-escape before hashing (whatsapp-api-js) both agree only when
the body is ASCII: `json.dumps(..., ensure_ascii=True)` gives exactly that.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

SIGNATURE_HEADER = "X-Hub-Signature-256"
USER_AGENT = "facebookexternalua"


def serialize(payload: dict[str, Any]) -> bytes:
    """The one serialisation of a webhook body: `json.dumps(ensure_ascii=True)`, compact separators.

    orjson writes the same bytes whenever its output is ASCII without DEL (it differs only in
    leaving non-ASCII and U+007F unescaped), so it serves that common case several times faster;
    anything else goes through json.dumps.
    """
    fast = orjson.dumps(payload)
    if fast.isascii() and b"\x7f" not in fast:
        return fast
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def signature(body: bytes, app_secret: str) -> str:
    """`sha256=<lowercase hex HMAC-SHA256(body, app secret)>`."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, app_secret: str) -> bool:
    """Check an X-Hub-Signature-256 header against the raw body (constant time)."""
    if not header:
        return False
    return hmac.compare_digest(header, signature(body, app_secret))


def headers(body: bytes, app_secret: str) -> dict[str, str]:
    """The headers Meta sends with a webhook POST."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature(body, app_secret),
    }


@dataclass(frozen=True, slots=True)
class SignedWebhook:
    """A webhook ready to post: the exact bytes and their headers."""

    body: bytes
    headers: dict[str, str]

    @classmethod
    def of(cls, payload: dict[str, Any], app_secret: str) -> SignedWebhook:
        body = serialize(payload)
        return cls(body, headers(body, app_secret))


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the bot answered to one webhook POST."""

    status_code: int
    text: str
    elapsed_ms: float
    attempt: int = 1


class WebhookPoster:
    """Posts signed webhooks to a bot's callback URL, byte for byte.

    Args:
        url: the bot's webhook URL.
        client: a shared httpx.AsyncClient (the poster makes its own when None).
        duplicates: extra deliveries of each webhook (Meta retries; bots must dedupe).
        timeout: seconds to wait for the bot's answer.
    """

    def __init__(
        self,
        url: str,
        *,
        client: httpx.AsyncClient | None = None,
        duplicates: int = 0,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.duplicates = duplicates
        self._client = client
        self._own = client is None
        self._timeout = timeout

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        return self._client

    async def post(
        self, body: bytes, headers: dict[str, str], *, duplicates: int | None = None
    ) -> Delivery:
        """POST the body unchanged; with duplicates, deliver the same bytes again. Returns the first answer."""
        copies = 1 + (self.duplicates if duplicates is None else duplicates)
        first: Delivery | None = None
        for attempt in range(1, copies + 1):
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            resp = await self._http().post(self.url, content=body, headers=headers)
            d = Delivery(resp.status_code, resp.text, (loop.time() - t0) * 1000, attempt)
            first = first or d
        assert first is not None
        return first

    async def post_signed(self, webhook: SignedWebhook, **kw: Any) -> Delivery:
        return await self.post(webhook.body, webhook.headers, **kw)

    async def verify_handshake(self, verify_token: str, challenge: str = "1158201444") -> Delivery:
        """Meta's GET verification: the bot must answer 200 with the challenge as the body."""
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        resp = await self._http().get(
            self.url,
            params={
                "hub.mode": "subscribe",
                "hub.challenge": challenge,
                "hub.verify_token": verify_token,
            },
            headers={"User-Agent": USER_AGENT},
        )
        return Delivery(resp.status_code, resp.text, (loop.time() - t0) * 1000)

    async def aclose(self) -> None:
        if self._own and self._client is not None:
            await self._client.aclose()
            self._client = None
