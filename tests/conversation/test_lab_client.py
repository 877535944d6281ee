"""lab_client: the lab's own URLs reach the app directly, with what httpx.ASGITransport would give."""

from __future__ import annotations

import httpx
import pytest

from lab.server import LabServer, lab_client

BASE = "http://127.0.0.1:8765"


class Echo:
    """Records each request's scope and body; answers with headers of its choosing (no Content-Length)."""

    def __init__(self) -> None:
        self.seen: list[tuple[dict, bytes]] = []

    async def __call__(self, scope, receive, send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.seen.append((scope, body))
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [
                    (b"content-type", b"text/plain; charset=latin-1"),
                    (b"x-twice", b"a"),
                    (b"x-twice", b"b"),
                ],
            }
        )
        await send(
            {"type": "http.response.body", "body": "olá ".encode("latin-1"), "more_body": True}
        )
        await send({"type": "http.response.body", "body": b"fim"})


async def _both(method: str, url: str, **kwargs):
    outs = []
    for make in (
        lambda app: httpx.AsyncClient(mounts={BASE: httpx.ASGITransport(app=app)}),
        lambda app: lab_client(app, [BASE]),
    ):
        echo = Echo()
        server = LabServer({"/graph": echo})
        async with make(server) as client:
            response = await client.request(method, url, **kwargs)
        outs.append((echo.seen, response))
    return outs


@pytest.mark.parametrize(
    "method,kwargs",
    [
        ("POST", {"json": {"text": "olá", "n": [1, 2]}, "headers": {"Authorization": "Bearer t"}}),
        ("POST", {"content": b'{"a":1}', "headers": {"Content-Type": "application/json"}}),
        ("GET", {}),
        ("HEAD", {}),
    ],
)
async def test_direct_path_matches_asgi_transport(method, kwargs) -> None:
    (seen_a, resp_a), (seen_b, resp_b) = await _both(
        method, f"{BASE}/graph/v23.0/123/messages?x=1", **kwargs
    )
    assert (
        seen_a == seen_b
    )  # same scope (path, root_path, headers in order, query) and same body bytes
    assert resp_a.status_code == resp_b.status_code == 201
    assert resp_a.headers.multi_items() == resp_b.headers.multi_items()
    assert resp_a.content == resp_b.content and resp_a.text == resp_b.text
    assert resp_a.url == resp_b.url and resp_a.http_version == resp_b.http_version
    assert resp_b.elapsed.total_seconds() >= 0


async def test_other_urls_and_features_take_httpx_path() -> None:
    echo = Echo()
    async with lab_client(LabServer({"/graph": echo}), [BASE]) as client:
        response = await client.get(
            f"{BASE}/graph/x", params={"q": "a b"}
        )  # params: httpx's own path
        assert response.status_code == 201 and echo.seen[-1][0]["query_string"] == b"q=a+b"
        with pytest.raises(httpx.ConnectError):
            await client.get("http://127.0.0.1:9/nothing-listens")  # not a lab URL: real network


async def test_encoded_body_is_decoded_as_httpx_does() -> None:
    import gzip

    async def gz(scope, receive, send) -> None:
        await receive()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-encoding", b"gzip")],
            }
        )
        await send({"type": "http.response.body", "body": gzip.compress(b'{"ok": true}')})

    texts = []
    for client in (
        httpx.AsyncClient(mounts={BASE: httpx.ASGITransport(app=gz)}),
        lab_client(gz, [BASE]),
    ):
        async with client:
            response = await client.get(f"{BASE}/x")
            texts.append((response.text, response.json(), response.headers.multi_items()))
    assert texts[0] == texts[1] and texts[1][1] == {"ok": True}


async def test_post_status_reaches_the_app_in_process_with_the_same_bytes_and_headers() -> None:
    echo = Echo()
    body = '{"entry":[{"id":"1","texto":"olá"}]}'.encode()
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": "sha256=ab",
        "User-Agent": "facebookexternalua",
    }
    async with lab_client(LabServer({"/hooks/whatsapp": echo}), [BASE]) as client:
        assert await client.post_status(f"{BASE}/hooks/whatsapp", body, headers) == 201
        scope, seen = echo.seen[-1]
        assert seen == body and scope["method"] == "POST" and scope["path"] == "/"
        assert scope["root_path"] == "/hooks/whatsapp"
        sent = dict(scope["headers"])
        assert (
            sent[b"x-hub-signature-256"] == b"sha256=ab"
            and sent[b"content-length"] == str(len(body)).encode()
        )
        assert sent[b"user-agent"] == b"facebookexternalua"
        with pytest.raises(httpx.ConnectError):  # not a lab URL: a real POST
            await client.post_status("http://127.0.0.1:9/hooks", body, headers)


@pytest.mark.parametrize(
    "content_type",
    [
        b"application/json",
        b"application/json; charset=ISO-8859-1",
        b"application/json;charset=utf-8",
        b'text/plain; charset="latin-1"',
        b"text/plain; charset=no-such-codec",
        b"text/plain; format=flowed; charset=utf-8",
        None,
    ],
)
async def test_text_encoding_matches_httpx_with_and_without_charset(content_type) -> None:
    async def app(scope, receive, send) -> None:
        await receive()
        headers = [(b"content-type", content_type)] if content_type else []
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": '{"texto": "olá"}'.encode()})

    seen = []
    for client in (
        httpx.AsyncClient(mounts={BASE: httpx.ASGITransport(app=app)}),
        lab_client(app, [BASE]),
    ):
        async with client:
            response = await client.get(f"{BASE}/x")
            seen.append((response.encoding, response.text))
    assert seen[0] == seen[1]


async def test_cookies_set_by_a_lab_app_are_kept_as_httpx_keeps_them() -> None:
    async def app(scope, receive, send) -> None:
        await receive()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"Set-Cookie", b"session=abc; Path=/"),
                    (b"content-type", b"text/plain"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"ok"})

    jars = []
    for client in (
        httpx.AsyncClient(mounts={BASE: httpx.ASGITransport(app=app)}),
        lab_client(app, [BASE]),
    ):
        async with client:
            await client.get(f"{BASE}/login")
            jars.append(dict(client.cookies))
    assert jars[0] == jars[1] == {"session": "abc"}


async def test_post_status_takes_httpx_path_when_the_client_has_cookies() -> None:
    """What the direct path would skip (here the client's cookies) sends the post through httpx, as request() does."""
    echo = Echo()
    async with lab_client(LabServer({"/hooks/whatsapp": echo}), [BASE]) as client:
        client.cookies.set("session", "abc")
        assert (
            await client.post_status(
                f"{BASE}/hooks/whatsapp", b"{}", {"Content-Type": "application/json"}
            )
            == 201
        )
        assert dict(echo.seen[-1][0]["headers"]).get(b"cookie") == b"session=abc"
