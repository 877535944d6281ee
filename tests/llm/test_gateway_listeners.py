"""A failing listener of metered calls is dropped and reported, and the call still succeeds."""

from __future__ import annotations

import logging

import httpx

from lab.llm.gateway import LLMGateway
from lab.llm.scripted import ScriptedReplies


async def test_a_failing_listener_is_dropped_and_logged_and_the_call_still_answers(caplog) -> None:
    gw = LLMGateway(mode="scripted", key="k")
    gw.script(ScriptedReplies(["olá", "de novo"]))
    seen: list[str] = []

    def broken(call) -> None:
        raise RuntimeError("view bug")

    gw.subscribe(broken)
    gw.subscribe(lambda call: seen.append(call.model))
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "oi"}]}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gw.app), base_url="http://gw"
    ) as client:
        with caplog.at_level(logging.WARNING, logger="walab.llm"):
            first = await client.post(
                "/v1/chat/completions", json=body, headers={"Authorization": "Bearer k"}
            )
            second = await client.post(
                "/v1/chat/completions", json=body, headers={"Authorization": "Bearer k"}
            )
    assert first.status_code == second.status_code == 200
    assert seen == ["gpt-4o-mini", "gpt-4o-mini"]
    assert (
        sum("listener" in r.getMessage() and "removed" in r.getMessage() for r in caplog.records)
        == 1
    )
