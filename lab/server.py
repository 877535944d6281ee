"""The lab server: one ASGI app on one loopback port that mounts the lab's HTTP faces.

`/graph/...` the fake Graph API, `/llm/...` the LLM gateway, `/api/v1/...` the embedded Kestra
API. Each mounted app sees `scope["path"]` with its prefix removed and the prefix in
`scope["root_path"]`, so it routes on its own paths whether mounted here or served alone.
"""

from __future__ import annotations

import codecs
import datetime
import functools
import logging
import re
import time
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

import httpx
import orjson
from httpx._client import USE_CLIENT_DEFAULT

from lab.asgi_response import answer_lifespan, send_response
from lab.request_guard import RequestGuard, simple_body_type, unsupported_body_message

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class LabServer:
    """Prefix dispatcher: cheaper than a router on the hot path (one dict scan per request).

    Args:
        mounts: prefix -> app; a prefix of "" keeps the full path (used for `/api/v1`).
        guard: refuses foreign Host / Origin headers before any app sees the request
            (`lab.request_guard.RequestGuard`); None lets everything through (tests of one app).
    """

    def __init__(
        self, mounts: dict[str, ASGIApp] | None = None, *, guard: RequestGuard | None = None
    ) -> None:
        self._mounts: list[tuple[str, ASGIApp, bool, str | None, tuple[str, ...]]] = []
        self.guard = guard
        for prefix, app in (mounts or {}).items():
            self.mount(prefix, app)

    def mount(
        self,
        prefix: str,
        app: ASGIApp,
        *,
        strip: bool = True,
        body: str | None = None,
        uploads: tuple[str, ...] = (),
    ) -> None:
        """Mount app at prefix (e.g. "/graph"); strip=False passes the path unchanged.

        body: what the app's endpoints take (e.g. "application/json"): a text/plain or form body
        is then answered 415 before the app sees it. None: the app checks bodies itself.
        uploads: path endings that take a multipart file upload instead (the gateway's
        `/v1/audio/transcriptions`); the app's own credential header, which a cross-site form
        cannot carry, still guards them.
        """
        self._mounts.append((prefix.rstrip("/"), app, strip, body, uploads))
        self._mounts.sort(key=lambda m: -len(m[0]))

    @property
    def mounted(self) -> list[tuple[str, ASGIApp]]:
        """(prefix, app) of every mount, longest prefix first."""
        return [(m[0], m[1]) for m in self._mounts]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await answer_lifespan(receive, send)
            return
        if self.guard is not None:
            refused = self.guard.refusal(scope["headers"])
            if refused is not None:
                await send_response(send, 403, _error_body(refused, 403))
                return
        path: str = scope["path"]
        for prefix, app, strip, body, uploads in self._mounts:
            if path == prefix or path.startswith(prefix + "/"):
                if body is not None and scope["method"] in _BODY_METHODS:
                    media = simple_body_type(
                        next((v for k, v in scope["headers"] if k == b"content-type"), None)
                    )
                    if media == "multipart/form-data" and path.endswith(uploads or ("\0",)):
                        media = None
                    if media is not None:
                        await send_response(
                            send, 415, _error_body(unsupported_body_message(media, body), 415)
                        )
                        return
                if strip and prefix:
                    scope = dict(scope)
                    scope["root_path"] = scope.get("root_path", "") + prefix
                    scope["path"] = path[len(prefix) :] or "/"
                    if "raw_path" in scope:
                        scope["raw_path"] = scope["path"].encode()
                await app(scope, receive, send)
                return
        if path in ("/", "/health"):
            await send_response(send, 200, b'{"status":"ok","service":"walab"}')
            return
        await send_response(
            send, 404, b'{"error":{"message":"no such path on the walab server","code":404}}'
        )


_BODY_METHODS = ("POST", "PUT", "PATCH")


def _error_body(message: str, code: int) -> bytes:
    return orjson.dumps({"error": {"message": message, "code": code}})


async def call_app(
    app: ASGIApp, scope: Scope, body: bytes, *, keep_body: bool = True
) -> tuple[int, list, bytes]:
    """Call an ASGI app in-process with one request body; returns (status, raw headers, response body)."""
    received = False
    status = 500
    head: list = []
    parts: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal received
        if received:
            return {"type": "http.disconnect"}
        received = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, head
        if message["type"] == "http.response.start":
            status, head = message["status"], message.get("headers", [])
        elif message["type"] == "http.response.body" and keep_body:
            chunk = message.get("body", b"")
            if chunk:
                parts.append(chunk)

    await app(scope, receive, send)
    return status, head, b"".join(parts)


async def asgi_post(
    app: ASGIApp, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, bytes]:
    """POST body to an in-process ASGI app at path; returns (status, response body).

    For the lab's own machine-to-machine posts whose answer is only a status and a small body
    (status webhooks, webhook triggers): no HTTP client objects on the way.
    """
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        + [(b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 80),
    }
    status, _, content = await call_app(app, scope, body)
    return status, content


_CHARSET = re.compile(rb"^[^;]*;\s*charset=([A-Za-z0-9_.:-]+)\s*$", re.IGNORECASE)


def _plain_encoding(headers: list, default: Any) -> str | None:
    """The text encoding httpx would pick for a response, when it is plain to see.

    No Content-Type charset: the client's default (a string default only; a callable detects).
    One unquoted `charset=` parameter naming a known codec: that name, lower-cased, as the email
    module returns it. Anything else (quoted, several parameters, an unknown codec): None, and
    httpx decides.
    """
    content_type = next((v for k, v in headers if k.lower() == b"content-type"), None)
    if content_type is None or b"charset" not in content_type.lower():
        return default if isinstance(default, str) else None
    m = _CHARSET.match(content_type)
    if m is None:
        return None
    name = m.group(1).decode("ascii").lower()
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def lab_client(app: ASGIApp, bases: list[str], **kwargs: Any) -> Any:
    """An `httpx.AsyncClient` whose requests to the lab's own base URLs reach `app` in-process.

    Requests to `bases` are answered by `app` directly (see `_LabClient`); every other URL, and
    requests using features the direct path does not take (params, forms, files, auth, cookies,
    event hooks), go through `httpx.ASGITransport` mounted on the same bases, or the network.
    """

    transport = httpx.ASGITransport(app=app)
    network = _network_transport_class()(
        **{
            k: v
            for k, v in kwargs.items()
            if k in ("verify", "cert", "trust_env", "http1", "http2", "limits")
        }
    )
    client = _client_class()(
        mounts={base: transport for base in bases}, transport=network, **kwargs
    )
    client._lab_app = app
    client.lab_transport = transport
    client._lab_bases = tuple(base.rstrip("/") + "/" for base in bases)
    return client


_CLIENT_CLASS: Any = None


@functools.cache
def _network_transport_class() -> Any:
    """httpx's network transport, built on first use: it imports httpcore and h11 (~20 ms at start),
    which a session that only talks to the lab (replay, scripted) never needs."""

    class LazyNetworkTransport(httpx.AsyncBaseTransport):
        def __init__(self, **options: Any) -> None:
            self._options = options
            self._real: Any = None

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if self._real is None:
                self._real = httpx.AsyncHTTPTransport(**self._options)
            return await self._real.handle_async_request(request)

        async def aclose(self) -> None:
            if self._real is not None:
                await self._real.aclose()

    return LazyNetworkTransport


def _client_class() -> Any:
    """Defined on first use: importing httpx costs ~0.1 s, and `lab.server` is imported by CLIs that never send."""
    global _CLIENT_CLASS
    if _CLIENT_CLASS is not None:
        return _CLIENT_CLASS

    logger = logging.getLogger("httpx")
    urls: dict[str, httpx.URL] = {}

    class _LabClient(httpx.AsyncClient):
        """Same request (httpx builds it: bytes, headers, Host, Content-Length) and same Response.

        Skipped on the direct path: httpx's per-request client machinery (URL joining, auth flow,
        cookie jar parsing of responses without Set-Cookie, transport lookup) and
        `ASGITransport`'s streams and events, which cost more than most of the lab's handlers.
        """

        _lab_app: Any
        _lab_bases: tuple[str, ...]
        lab_transport: Any

        async def request(
            self,
            method: str,
            url: Any,
            *,
            content: Any = None,
            data: Any = None,
            files: Any = None,
            json: Any = None,
            params: Any = None,
            headers: Any = None,
            cookies: Any = None,
            auth: Any = USE_CLIENT_DEFAULT,
            follow_redirects: Any = USE_CLIENT_DEFAULT,
            timeout: Any = USE_CLIENT_DEFAULT,
            extensions: Any = None,
        ) -> httpx.Response:
            direct = (
                self._direct(url)
                and data is None
                and files is None
                and params is None
                and cookies is None
                and extensions is None
                and auth in (USE_CLIENT_DEFAULT, None)
                and (content is None or isinstance(content, (bytes, str)))
            )
            if not direct:
                return await super().request(
                    method,
                    url,
                    content=content,
                    data=data,
                    files=files,
                    json=json,
                    params=params,
                    headers=headers,
                    cookies=cookies,
                    auth=auth,
                    follow_redirects=follow_redirects,
                    timeout=timeout,
                    extensions=extensions,
                )
            parsed = urls.get(url)
            if (
                parsed is None
            ):  # httpx validates every component of a URL string: the lab's few URLs, once
                if len(urls) >= 1024:
                    urls.clear()
                parsed = urls[url] = httpx.URL(
                    url
                )  # immutable: shared by every session of the process
            request = httpx.Request(
                method, parsed, content=content, json=json, headers=self._merge_headers(headers)
            )
            response = await self._lab_send(request)
            follow = (
                self.follow_redirects
                if follow_redirects is USE_CLIENT_DEFAULT
                else follow_redirects
            )
            if follow and response.has_redirect_location:
                # never on the lab's own apps; when it happens, httpx's own redirect handling takes over
                return await self.send(
                    self._build_redirect_request(request, response), follow_redirects=True
                )
            return response

        def _direct(self, url: Any) -> bool:
            """A lab URL, and nothing on the client (auth, cookies, params, event hooks) the direct path skips."""
            return (
                isinstance(url, str)
                and url.startswith(self._lab_bases)
                and self.auth is None
                and not self.cookies
                and not self._params
                and not self.event_hooks["request"]
                and not self.event_hooks["response"]
            )

        async def post_status(self, url: str, content: bytes, headers: dict[str, str]) -> int:
            """POST bytes and return only the HTTP status: the lab's own URLs in-process without
            httpx's request and response objects (same bytes and headers), anything else through httpx."""
            if not self._direct(url):
                return (await self.post(url, content=content, headers=headers)).status_code
            status, _ = await asgi_post(self._lab_app, urlsplit(url).path or "/", content, headers)
            return status

        async def _lab_send(self, request: httpx.Request) -> httpx.Response:
            started = time.perf_counter()
            url = request.url
            body = request.content
            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": request.method,
                "headers": [(k.lower(), v) for k, v in request.headers.raw],
                "scheme": url.scheme,
                "path": url.path,
                "raw_path": url.raw_path.split(b"?")[0],
                "query_string": url.query,
                "server": (url.host, url.port),
                "client": ("127.0.0.1", 123),
                "root_path": "",
            }
            status, head, content = await call_app(
                self._lab_app, scope, body, keep_body=request.method != "HEAD"
            )
            # a stream, not content=: httpx would add a Content-Length header the app did not send
            response = httpx.Response(
                status, headers=head, stream=httpx.ByteStream(content), request=request
            )
            names = {k.lower() for k, _ in head}
            if b"content-encoding" in names:
                response.read()  # httpx's decoders
            else:  # what read() ends with for an identity body, without its chunking machinery
                response._content = content
                response.is_stream_consumed = response.is_closed = True
            response.default_encoding = self._default_encoding
            encoding = _plain_encoding(head, self._default_encoding)
            if (
                encoding is not None
            ):  # what `response.encoding` would find, without its email-module parse
                response.encoding = encoding
            response.elapsed = datetime.timedelta(seconds=time.perf_counter() - started)
            if b"set-cookie" in names:
                self.cookies.extract_cookies(response)
            logger.info(
                'HTTP Request: %s %s "%s %d %s"',
                request.method,
                url,
                response.http_version,
                response.status_code,
                response.reason_phrase,
            )
            return response

    _CLIENT_CLASS = _LabClient
    return _CLIENT_CLASS
