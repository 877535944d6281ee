"""The one HTTP connection of a `KestraClient` to one Kestra server, shared by its resources.

It owns the `httpx.AsyncClient` (basic auth as a default header, no cookie jar), the API prefix of
the tenant and the server's dialect ("1.3" or "2.0", adopted by `KestraClient.detect`), and turns
transport failures and error statuses into `lab.kestra.errors.KestraError`s that say what to do.
The flows, KV, namespace files and results resources (`lab.kestra.resources`) and the client's
own execution calls all send through it.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import orjson
from httpx_sse import SSEError, aconnect_sse

from lab.kestra import errors

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
SSE_TIMEOUT = httpx.Timeout(None, connect=5.0)  # a follow stream is idle while the flow works


def basic_authorization(username: str, password: str | None) -> str:
    """The `Authorization` header value of HTTP basic auth (RFC 7617, UTF-8)."""
    return "Basic " + base64.b64encode(f"{username}:{password or ''}".encode()).decode("ascii")


class FollowBroken(Exception):
    """The SSE stream could not be used: fall back to polling."""


class KestraConnection:
    """One server's HTTP connection: `send`, `json` and `sse` with Kestra's errors mapped.

    Args:
        base_url: the server root, e.g. http://localhost:8080 (no /api/v1).
        username, password: basic-auth credentials.
        tenant: the tenant path segment; OSS always uses "main".
        transport: an httpx transport (httpx.ASGITransport(app) for the embedded engine).
        timeout: per-request timeout (seconds or httpx.Timeout).
        dialect: "1.3" or "2.0".
    """

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None,
        password: str | None,
        tenant: str,
        transport: httpx.AsyncBaseTransport | None,
        timeout: float | httpx.Timeout,
        dialect: str,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tenant = tenant
        self.dialect = dialect
        self.api = f"/api/v1/{tenant}"
        # The credentials ride as a default header rather than an httpx auth flow: the same bytes on
        # the wire, and the lab's in-process client keeps its direct path (it skips auth flows).
        headers = {"Authorization": basic_authorization(username, password)} if username else None
        self.http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
        )
        # Kestra's API is cookie-free for header-authenticated clients (2.0's CSRF check applies to
        # cookie sessions only); httpx's cookie jar costs ~90 µs per request, half an in-process call.
        self.http._cookies = _NoCookies()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()

    @property
    def timeout_seconds(self) -> float | None:
        """The per-request timeout, as an error message states it."""
        return self.http.timeout.read or self.http.timeout.connect

    def path(self, *segments: str) -> str:
        """The tenant's API path of `segments`, each quoted as one path segment."""
        return "/".join([self.api, *(quote(s, safe="") for s in segments)])

    async def send(
        self,
        method: str,
        path: str,
        *,
        what: str,
        subject: str | None = None,
        ok: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request; map transport failures and error statuses (but `ok`) to KestraErrors.

        `what` says what the request was for ("get execution X"), `subject` what a 404 is about.
        """
        try:
            response = await self.http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise errors.timed_out(self.base_url, what, self.timeout_seconds) from exc
        except (httpx.TransportError, OSError) as exc:  # refused, reset, closed mid-answer
            raise errors.unreachable(self.base_url, exc) from exc
        if response.status_code >= 400 and response.status_code not in ok:
            raise errors.error_for(
                response.status_code,
                response.content,
                url=f"{self.base_url}{path}",
                what=what,
                subject=subject,
            )
        return response

    async def json(
        self, method: str, path: str, *, what: str, subject: str | None = None, **kwargs: Any
    ) -> Any:
        """`send`, then the answer's JSON (None when the body is empty)."""
        response = await self.send(method, path, what=what, subject=subject, **kwargs)
        return orjson.loads(response.content) if response.content else None

    def raise_for(self, response: httpx.Response, what: str, subject: str | None) -> None:
        """Raise the KestraError of an error status (nothing below 400)."""
        if response.status_code >= 400:
            raise errors.error_for(
                response.status_code,
                response.content,
                url=f"{self.base_url}{response.request.url.path}",
                what=what,
                subject=subject,
            )

    async def sse(self, path: str, what: str) -> AsyncIterator[tuple[str, str]]:
        """(id, data) of each event of an SSE stream; raises FollowBroken when streaming fails."""
        try:
            async with aconnect_sse(self.http, "GET", path, timeout=SSE_TIMEOUT) as source:
                response = source.response
                if response.status_code >= 400:
                    await response.aread()
                    if response.status_code in (401, 403, 404):
                        raise errors.error_for(
                            response.status_code,
                            response.content,
                            url=f"{self.base_url}{path}",
                            what=what,
                        )
                    raise FollowBroken(f"{response.status_code}")
                async for event in source.aiter_sse():
                    yield event.id, event.data
        except (SSEError, httpx.StreamError, httpx.ReadError, httpx.RemoteProtocolError) as exc:
            raise FollowBroken(str(exc)) from exc
        except httpx.ConnectError as exc:
            raise errors.unreachable(self.base_url, exc) from exc
        except httpx.TimeoutException as exc:  # connecting took too long (reading has no limit)
            raise errors.timed_out(self.base_url, what, SSE_TIMEOUT.connect) from exc


def route_missing(response: httpx.Response) -> bool:
    """The server has no such route (a 2.0 snapshot without `/actions/...`), not an unknown
    execution."""
    return response.status_code == 405 or (
        response.status_code == 404 and b"Page Not Found" in response.content
    )


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing (see KestraConnection.__init__)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None
