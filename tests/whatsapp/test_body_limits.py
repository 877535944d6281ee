"""Every sandbox endpoint that reads a body refuses an oversized one with Meta's #100, without buffering it."""

from __future__ import annotations

import pytest

from .conftest import AUTH, MARIA
from .test_sandbox import error_of

HUGE = b'{"from": "' + b"5" * (2 * 1024 * 1024) + b'", "text": "x"}'


@pytest.mark.parametrize(
    "path", ["/_lab/inbound", "/_lab/read", "/_lab/advance", "/_lab/faults", "/notify/whatsapp"]
)
async def test_oversized_body_is_refused_with_metas_error(graph, path):
    resp = await graph.post(path, content=HUGE, headers=AUTH | {"content-type": "application/json"})
    assert resp.status_code == 400
    assert "exceeds the limit" in error_of(resp)["error_data"]["details"]
    ok = await graph.post("/_lab/inbound", json={"from": MARIA.wa_id, "text": "oi"}, headers=AUTH)
    assert ok.status_code == 200


async def test_streamed_oversized_control_body_is_refused(graph):
    async def chunks():
        for _ in range(30):
            yield b"x" * 100_000

    resp = await graph.post(
        "/_lab/inbound", content=chunks(), headers=AUTH | {"content-type": "application/json"}
    )
    assert (
        resp.status_code == 400 and "exceeds the limit" in error_of(resp)["error_data"]["details"]
    )
