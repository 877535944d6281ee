"""The lab against a Kestra at a URL: deploy over REST, SSE follow, the flow calling the lab back.

The "real Kestra" here is the embedded engine's REST API served by uvicorn on its own loopback
port, so the path is the one a Kestra in Docker takes: nothing in-process between lab and target.
"""

from __future__ import annotations

import asyncio
import base64
import socket
from contextlib import asynccontextmanager

import httpx

from .conftest import CLOCK, MARIA, settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def served_kestra(s, version: str = "1.3"):
    """The embedded engine's REST API (as Kestra `version`) served by uvicorn on its own loopback port: (engine, url)."""
    import uvicorn

    from lab.kestra.engine.api import KestraApi
    from lab.kestra.engine.engine import Engine

    kestra_port = free_port()
    secrets = {
        f"SECRET_{k}": base64.b64encode(v.encode()).decode()
        for k, v in (("WA_TOKEN", s.access_token), ("LLM_API_KEY", s.gateway_key))
    }
    http = httpx.AsyncClient()
    engine = Engine(http=http, secrets=secrets, version=version)
    server = uvicorn.Server(
        uvicorn.Config(
            KestraApi(engine, public_url=f"http://127.0.0.1:{kestra_port}"),
            host="127.0.0.1",
            port=kestra_port,
            log_level="warning",
            lifespan="off",
        )
    )
    server.install_signal_handlers = lambda: None
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        yield engine, f"http://127.0.0.1:{kestra_port}"
    finally:
        server.should_exit = True
        await task
        await engine.aclose()
        await http.aclose()


async def test_turns_against_a_kestra_url():
    from lab.conversation.lab import Lab

    s = settings(port=free_port(), access_token="EAAWtest-token", gateway_key="walab-test-key")
    async with served_kestra(s) as (engine, url):
        async with Lab.open(s, clock_start=CLOCK, target_url=url) as lab:
            assert lab.engine is None and lab.describe_target().startswith(url)
            assert {f.id for f in engine.flows()} >= {
                "lead_qualification",
                "whatsapp_agent",
            }  # deployed over REST
            turn = await lab.send_text(MARIA, "Quero um orçamento")
            assert turn.verdict == "ok", turn.error
            assert [s.type for s in turn.replies if s.type != "read"] == ["template", "interactive"]
            assert turn.executions[0].state == "SUCCESS" and len(turn.executions[0].task_runs) > 10
            assert any("lead 5511987654321" in line.message for line in turn.logs)


async def test_a_kestra_2_0_at_a_url_shows_task_and_flow_outputs():
    """Kestra 2.0 serves outputs apart from the execution (/outputs/...): the turn still has them."""
    from lab.conversation.lab import Lab

    s = settings(port=free_port(), access_token="EAAWtest-token", gateway_key="walab-test-key")
    async with served_kestra(s, "2.0") as (engine, url):
        async with Lab.open(s, clock_start=CLOCK, target_url=url) as lab:
            assert lab.client.dialect == "2.0" and "Kestra 2.0" in lab.describe_target()
            turn = await lab.send_text(MARIA, "Quero um orçamento")
    assert turn.verdict == "ok", turn.error
    main = turn.executions[0]
    raw = engine.execution(main.id)
    expected = {t.id: t.outputs for t in raw.task_runs if t.outputs}
    assert expected and {t.id: t.outputs for t in main.task_runs if t.outputs} == expected
    assert main.outputs == raw.outputs and main.outputs


async def test_no_deploy_talks_to_what_the_kestra_holds_and_changes_nothing():
    from lab.conversation.lab import Lab

    s = settings(port=free_port(), access_token="EAAWtest-token", gateway_key="walab-test-key")
    async with served_kestra(s) as (engine, url):
        async with Lab.open(
            s, clock_start=CLOCK, target_url=url, deploy=False
        ) as lab:  # nothing there yet
            turn = await lab.send_text(MARIA, "Oi")
            assert (
                turn.verdict == "error" and "lead_qualification" in turn.error
            )  # the flow is not on that Kestra
        assert not list(engine.flows())
        async with Lab.open(
            s, clock_start=CLOCK, target_url=url
        ):  # `walab deploy` would do the same
            pass
        deployed = []
        real_deploy = engine.deploy
        engine.deploy = lambda *a, **k: deployed.append(a) or real_deploy(
            *a, **k
        )  # what the REST API deploys
        engine.kv.set("company.whatsapp", "LLM_MODEL", "kept-by-kestra")
        async with Lab.open(s, clock_start=CLOCK, target_url=url, deploy=False) as lab:
            turn = await lab.send_text(MARIA, "Quero um orçamento")
            assert turn.verdict == "ok", turn.error
        assert deployed == [] and engine.kv.get("company.whatsapp", "LLM_MODEL") == "kept-by-kestra"
        async with Lab.open(
            s, clock_start=CLOCK, target_url=url
        ):  # the check above can see a deploy
            pass
        assert deployed and engine.kv.get("company.whatsapp", "LLM_MODEL") != "kept-by-kestra"
