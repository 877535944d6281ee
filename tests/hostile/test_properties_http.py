"""Properties at the lab's HTTP boundaries, over loopback: the fake Graph API never answers 5xx
(whatever a bot sends), the LLM gateway never answers 5xx to a malformed chat body, and the
embedded Kestra API keeps answering (and listing its flows) whatever flows and bodies it gets."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import orjson
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from loopback import LoopbackServer

from lab.config import Contact
from lab.kestra.engine.api import KestraApi
from lab.kestra.engine.engine import Engine
from lab.llm.gateway import LLMGateway
from lab.llm.scripted import ScriptedReplies
from lab.server import LabServer

from .conftest import AUTH, sandbox_app
from .strategies import BOUNDED, CHAT_BODY, JSON, SHORT, TEXT

SEND = "/v23.0/106540352242922/messages"
MARIA = Contact("5511987654321", "Maria Souza")


# -- the fake Graph API -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph():
    sandbox = sandbox_app()
    sandbox.note_inbound(MARIA.wa_id, name=MARIA.name)
    with (
        LoopbackServer(sandbox) as served,
        httpx.Client(base_url=served.url, headers=AUTH, timeout=30) as http,
    ):
        yield http


VALID_SENDS = [
    {"messaging_product": "whatsapp", "to": MARIA.wa_id, "type": "text", "text": {"body": "Olá"}},
    {
        "messaging_product": "whatsapp",
        "to": MARIA.wa_id,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Escolha"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "Sim"}}]},
        },
    },
    {
        "messaging_product": "whatsapp",
        "to": MARIA.wa_id,
        "type": "template",
        "template": {"name": "hello_world", "language": {"code": "en_US"}},
    },
]


@st.composite
def mutated_send(draw) -> object:
    """A valid send with one field replaced by any JSON value, or any JSON at all."""
    if draw(st.booleans()):
        return draw(JSON)
    body = orjson.loads(orjson.dumps(draw(st.sampled_from(VALID_SENDS))))
    target = body
    path = draw(
        st.lists(
            st.sampled_from(
                [
                    "type",
                    "text",
                    "body",
                    "to",
                    "interactive",
                    "action",
                    "buttons",
                    "template",
                    "name",
                    "language",
                    "messaging_product",
                ]
            ),
            min_size=1,
            max_size=3,
        )
    )
    for key in path[:-1]:
        nxt = target.get(key) if isinstance(target, dict) else None
        if not isinstance(nxt, dict):
            break
        target = nxt
    target[path[-1]] = draw(JSON | TEXT)
    return body


@BOUNDED
@given(body=mutated_send())
def test_the_graph_api_never_answers_5xx_to_a_send(graph, body):
    answer = graph.post(
        SEND, content=orjson.dumps(body), headers={"content-type": "application/json"}
    )
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert "error" in answer.json()


@BOUNDED
@given(
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT"]),
    path=st.lists(
        st.text(
            st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="/?#%"),
            min_size=1,
            max_size=12,
        ),
        min_size=1,
        max_size=4,
    ),
    body=st.binary(max_size=300),
)
def test_the_graph_api_never_answers_5xx_to_any_request(graph, method, path, body):
    answer = graph.request(method, "/" + "/".join(path), content=body)
    assert answer.status_code < 500, answer.text


# -- the LLM gateway ----------------------------------------------------------------------------

KEY = "gateway-key-0123456789"


@pytest.fixture(scope="module", params=["scripted", "replay"])
def gateway(request):
    gw = LLMGateway(mode=request.param, key=KEY)
    gw.script(ScriptedReplies(["Olá!"] * 10_000))
    with (
        LoopbackServer(LabServer({"/llm": gw.app})) as served,
        httpx.Client(
            base_url=served.url + "/llm/v1", headers={"Authorization": f"Bearer {KEY}"}, timeout=30
        ) as http,
    ):
        yield http


@BOUNDED
@given(body=CHAT_BODY)
def test_the_gateway_never_answers_5xx_to_a_malformed_chat_body(gateway, body):
    answer = gateway.post(
        "/chat/completions",
        content=orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS),
        headers={"content-type": "application/json"},
    )
    assert answer.status_code < 500, answer.text
    if answer.status_code == 400:
        assert answer.json()["error"]["type"] == "invalid_request_error"


@BOUNDED
@given(raw=st.binary(max_size=200) | JSON.map(lambda v: orjson.dumps(v)))
def test_the_gateway_never_answers_5xx_to_any_body(gateway, raw):
    for path in ("/chat/completions", "/embeddings"):
        answer = gateway.post(path, content=raw, headers={"content-type": "application/json"})
        assert answer.status_code < 500, answer.text


# -- the embedded Kestra API --------------------------------------------------------------------

HOOK_FLOW = """id: hook
namespace: company.team
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.body }}"
triggers:
  - id: webhook
    type: io.kestra.plugin.core.trigger.Webhook
    key: a-long-random-webhook-key
"""


@pytest.fixture(scope="module")
def kestra():
    engine = Engine()
    engine.deploy(HOOK_FLOW)
    with (
        LoopbackServer(KestraApi(engine)) as served,
        httpx.Client(base_url=served.url, timeout=30) as http,
    ):
        yield http


@st.composite
def random_flow(draw) -> str:
    """A flow's YAML: a plausible flow with random parts, random YAML, or random text."""
    choice = draw(st.sampled_from(["plausible", "tree", "text"]))
    if choice == "text":
        return draw(TEXT)
    if choice == "tree":
        return yaml.safe_dump(draw(JSON), allow_unicode=True)
    flow = {
        "id": draw(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)),
        "namespace": "company.random",
        "tasks": [
            {
                "id": "log",
                "type": draw(st.sampled_from(["io.kestra.plugin.core.log.Log", "nope.Task"])),
                "message": draw(TEXT),
            }
        ],
    }
    for extra in draw(
        st.lists(
            st.sampled_from(["labels", "variables", "inputs", "triggers", "concurrency"]),
            max_size=2,
            unique=True,
        )
    ):
        flow[extra] = draw(JSON)
    return yaml.safe_dump(flow, allow_unicode=True)


@BOUNDED
@given(source=random_flow())
def test_the_engine_api_answers_any_flow_and_keeps_listing(kestra, source):
    created = kestra.post(
        "/api/v1/main/flows",
        content=source.encode("utf-8"),
        headers={"content-type": "application/x-yaml"},
    )
    assert created.status_code < 500, created.text
    listing = kestra.get("/api/v1/main/flows/search")
    assert listing.status_code == 200
    if created.status_code == 200:
        flow = created.json()
        assert (
            kestra.delete(f"/api/v1/main/flows/{flow['namespace']}/{flow['id']}").status_code == 204
        )


@BOUNDED
@given(
    body=st.binary(max_size=300) | JSON.map(lambda v: orjson.dumps(v)),
    content_type=st.sampled_from(["application/json", "application/octet-stream", None]),
)
def test_the_engine_api_answers_any_webhook_body_without_a_5xx(kestra, body, content_type):
    headers = {"content-type": content_type} if content_type else {}
    answer = kestra.post(
        "/api/v1/main/executions/webhook/company.team/hook/a-long-random-webhook-key",
        content=body,
        headers=headers,
    )
    assert answer.status_code < 500, answer.text


@BOUNDED
@given(name=SHORT, key=SHORT)
def test_the_engine_api_answers_unknown_paths_and_keys_without_a_5xx(kestra, name, key):
    path = f"/api/v1/main/executions/webhook/company.team/{quote(name or 'x', safe='')}/{quote(key or 'k', safe='')}"
    answer = kestra.post(path, content=b"{}")
    assert answer.status_code < 500, answer.text
