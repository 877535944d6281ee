"""Only the lab's gateway key is answered: an exposed gateway is no open proxy to the paid upstream."""

from __future__ import annotations

import httpx
import pytest

from .conftest import GATEWAY_KEY, UPSTREAM_KEY, make_gateway

BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "oi"}]}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {UPSTREAM_KEY}"},
        {"Authorization": GATEWAY_KEY},
        {"Authorization": f"Basic {GATEWAY_KEY}"},
        {"api-key": GATEWAY_KEY},
    ],
)
async def test_requests_without_the_gateway_key_never_reach_the_upstream(
    upstream, serve_gateway, headers
):
    lab = serve_gateway(make_gateway("live", upstream))
    async with httpx.AsyncClient() as http:
        for method, path, body in (
            ("POST", "/chat/completions", BODY),
            ("POST", "/embeddings", {"model": "m", "input": "x"}),
            ("GET", "/models", None),
            ("GET", "/nothing", None),
        ):
            resp = await http.request(method, lab.base() + path, json=body, headers=headers)
            assert resp.status_code == 401, (path, resp.text)
            error = resp.json()["error"]
            assert error["code"] == "invalid_api_key" and "gateway key" in error["message"]
            assert GATEWAY_KEY not in resp.text and UPSTREAM_KEY not in resp.text
    assert upstream.requests == []
    assert lab.gateway.calls() == []


async def test_bad_requests_get_openai_shaped_errors_not_500(upstream, serve_gateway):
    lab = serve_gateway(make_gateway("live", upstream))
    auth = {"Authorization": f"Bearer {GATEWAY_KEY}"}
    async with httpx.AsyncClient() as http:
        bad_json = await http.post(lab.base() + "/chat/completions", content=b"{nope", headers=auth)
        no_messages = await http.post(
            lab.base() + "/chat/completions", json={"model": "m"}, headers=auth
        )
        wrong_method = await http.get(lab.base() + "/chat/completions", headers=auth)
        unknown = await http.get(lab.url + "/llm/v2/whatever", headers=auth)
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["error"]["message"]
    assert no_messages.status_code == 400 and "messages" in no_messages.json()["error"]["message"]
    assert wrong_method.status_code == 405
    assert (
        unknown.status_code == 404 and "/v1/chat/completions" in unknown.json()["error"]["message"]
    )
    assert upstream.requests == []


async def test_the_plain_v1_path_works_without_an_execution_id(upstream, serve_gateway):
    lab = serve_gateway(make_gateway("live", upstream))
    async with httpx.AsyncClient() as http:
        resp = await http.post(
            lab.url + "/llm/v1/chat/completions",
            json=BODY,
            headers={"Authorization": f"Bearer {GATEWAY_KEY}"},
        )
    assert resp.status_code == 200 and resp.headers["x-walab-llm-mode"] == "live"
    assert lab.gateway.calls()[0].execution_id is None


async def test_a_secret_in_a_prompt_is_not_shown_in_the_metered_call():
    from lab.llm.gateway import LLMGateway
    from lab.llm.scripted import ScriptedReplies

    gw = LLMGateway(mode="scripted", key=GATEWAY_KEY)
    gw.script(ScriptedReplies(["ok", "ok"]))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gw.app), base_url="http://lab"
    ) as http:
        for text in ("minha chave é sk-proj-ABCDEF0123456789", "sem segredo"):
            await http.post(
                "/x/e/v1/chat/completions",
                headers={"Authorization": f"Bearer {GATEWAY_KEY}"},
                json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]},
            )
    first, second = gw.calls("e")
    assert first.request["messages"][0]["content"] == "minha chave é [REDACTED]"
    assert second.request["messages"][0]["content"] == "sem segredo"
