"""The fault wrappers in front of the fake Graph API and the LLM gateway, as the lab server mounts them."""

from __future__ import annotations

import httpx

from lab.llm.faults import ModelFaults as ModelFaultScript
from lab.load.faults import GraphFaults, ModelFaults, parse_fault_plan
from lab.server import LabServer
from lab.whatsapp.faults import Faults


class Inner:
    """Records the path each request reached it with, and answers 200."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


async def test_graph_faults_arm_the_sandbox_script_and_give_the_path_back():
    inner, script = Inner(), Faults()
    wrapper = GraphFaults(
        inner, "/v23.0", parse_fault_plan({"graph": {"rate_limit": 1.0}}, "plan"), script
    )
    server = LabServer({"/graph": inner})
    server.mount("/graph/v23.0", wrapper)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=server), base_url="http://lab"
    ) as http:
        assert (await http.post("/graph/v23.0/1065/messages", json={})).status_code == 200
        assert (await http.get("/graph/v23.0/1065")).status_code == 200  # not a send: untouched
    assert inner.paths == ["/v23.0/1065/messages", "/v23.0/1065"]  # the sandbox sees its own paths
    assert script.take().code == 130429 and script.take() is None  # one send, one rate limit armed
    assert wrapper.counts == {"rate_limit": 1}


async def test_model_faults_arm_the_gateway_script_and_the_cost_cap_refuses_every_call():
    inner, reason, script = Inner(), [], ModelFaultScript()
    wrapper = ModelFaults(
        inner,
        "/x",
        parse_fault_plan({"model": {"server_error": 1.0}}, "plan"),
        script,
        refuse=lambda: reason[0] if reason else None,
    )
    server = LabServer({"/llm": inner})
    server.mount("/llm/x", wrapper)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=server), base_url="http://lab"
    ) as http:
        assert (await http.post("/llm/x/ex1/v1/chat/completions", json={})).status_code == 200
        assert (await http.get("/llm/x/ex1/v1/models")).status_code == 200
        reason.append("the LLM cost cap of $1.00 was reached")
        refused = await http.post("/llm/x/ex1/v1/chat/completions", json={})
    assert refused.status_code == 429 and "cost cap" in refused.json()["error"]["message"]
    assert inner.paths == ["/x/ex1/v1/chat/completions", "/x/ex1/v1/models"]
    assert script.take().status == 500 and script.take() is None  # the gateway answers it
    assert wrapper.counts == {"server_error": 1, "refused": 1}
