"""A wrong upstream key says so: the 401, the upstream's URL, the settings to check; and the
flow's retries do not hit the upstream again with the same key (QA P2-10)."""

from __future__ import annotations

import httpx

from .conftest import GATEWAY_KEY, make_gateway


def conversation(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


async def test_a_refused_key_names_the_401_the_url_and_the_settings(upstream, serve_gateway):
    lab = serve_gateway(make_gateway("live", upstream))
    async with httpx.AsyncClient() as http:
        answers = [
            await http.post(
                lab.base() + "/chat/completions",
                headers={"Authorization": f"Bearer {GATEWAY_KEY}"},
                json={
                    "model": "gpt-4o-mini",
                    "messages": conversation(f"erro 401 #{i}"),
                    "stream": i == 2,
                },
            )
            for i in range(3)
        ]  # what a flow's `retry: maxAttempts: 3` does
    assert [a.status_code for a in answers] == [401, 401, 401]
    message = answers[0].json()["error"]["message"]
    assert message.startswith(f"401 Unauthorized from the upstream LLM at {upstream.url}")
    assert (
        "(it said: Unauthorized)" in message
        and "OPENAI_API_KEY" in message
        and "OPENAI_BASE_URL" in message
    )
    assert answers[0].json()["error"]["code"] == "invalid_api_key"
    assert len(upstream.requests) == 1  # the key cannot change in a session: asked once
    calls = lab.gateway.calls()
    assert len(calls) == 3 and all(c.status == 401 and c.error == message for c in calls)


async def test_other_errors_are_still_asked_again(upstream, serve_gateway):
    lab = serve_gateway(make_gateway("live", upstream))
    async with httpx.AsyncClient() as http:
        for _ in range(2):
            await http.post(
                lab.base() + "/chat/completions",
                headers={"Authorization": f"Bearer {GATEWAY_KEY}"},
                json={"model": "gpt-4o-mini", "messages": conversation("erro 500")},
            )
    assert len(upstream.requests) == 2
