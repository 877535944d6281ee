"""Pause and resume through the REST API: Kestra's multipart resume endpoint, both dialects, bad cases."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from lab.kestra.client import KestraClient
from lab.kestra.engine.api import KestraApi
from lab.kestra.engine.engine import Engine
from lab.kestra.errors import KestraConflict, KestraInvalid, KestraNotFound

APPROVAL = """id: approval
namespace: company.team
tasks:
  - id: wait_for_ok
    type: io.kestra.plugin.core.flow.Pause
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.wait_for_ok.onResume.approved ?? 'nothing said' }}"
"""


async def paused(engine: Engine, execution_id: str) -> None:
    async for snapshot in engine.watch(execution_id):
        if snapshot.state.current == "PAUSED":
            return


@pytest.mark.parametrize("version", ["1.3", "2.0"])
async def test_client_resumes_a_paused_execution_with_on_resume_inputs(version):
    engine = Engine(version=version)
    engine.deploy(APPROVAL)
    async with KestraClient(
        "http://embedded", transport=httpx.ASGITransport(app=KestraApi(engine))
    ) as kestra:
        await kestra.detect()
        execution = await kestra.start_execution("company.team", "approval")
        await asyncio.wait_for(paused(engine, execution.id), 5)
        await kestra.resume(execution.id, {"approved": "yes, ship it"})
        final = await kestra.wait_terminal(execution.id, timeout=5)
        assert final.state.current == "SUCCESS"
        outputs = {
            o.task_id: o.value for o in await kestra.results.outputs(final)
        }  # 2.0 serves them apart
        assert outputs["after"] == {"value": "yes, ship it"}
        assert outputs["wait_for_ok"]["onResume"] == {"approved": "yes, ship it"}
        with pytest.raises(KestraConflict, match="409"):  # finished: no longer paused
            await kestra.resume(execution.id)
        with pytest.raises(KestraNotFound):
            await kestra.resume("nope")
    await engine.aclose()


async def test_resume_without_inputs_and_kestra_status_codes():
    engine = Engine(version="1.3")
    engine.deploy(APPROVAL)
    api = KestraApi(engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api), base_url="http://e"
    ) as http:
        execution = await engine.start("company.team", "approval")
        await asyncio.wait_for(paused(engine, execution.id), 5)
        empty = {"content-type": "multipart/form-data; boundary=b"}
        reply = await http.post(
            f"/api/v1/main/executions/{execution.id}/resume", content=b"--b--\r\n", headers=empty
        )
        assert reply.status_code == 204 and reply.content == b""
        final = await engine.wait(execution.id, 5)
        assert [t.outputs for t in final.task_runs if t.task_id == "after"] == [
            {"value": "nothing said"}
        ]
        again = await http.post(
            f"/api/v1/main/executions/{execution.id}/resume", content=b"--b--\r\n", headers=empty
        )
        assert again.status_code == 409
        assert (
            again.json()["message"]
            == f"Illegal state: Execution '{execution.id}' is not paused, can't resume it"
        )
    await engine.aclose()


async def test_on_resume_inputs_are_validated_as_kestra_does_and_a_bad_one_keeps_the_execution_paused():
    engine = Engine()
    engine.deploy("""id: review
namespace: company.team
tasks:
  - id: wait_for_review
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: score
        type: INT
      - id: comment
        type: STRING
        defaults: none given
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.wait_for_review.onResume.score + 1 }} {{ outputs.wait_for_review.onResume.comment }}"
""")
    async with KestraClient(
        "http://embedded", transport=httpx.ASGITransport(app=KestraApi(engine))
    ) as kestra:
        execution = await kestra.start_execution("company.team", "review")
        await asyncio.wait_for(paused(engine, execution.id), 5)
        with pytest.raises(KestraInvalid, match="score"):
            await kestra.resume(execution.id, {"score": "lots"})
        assert engine.execution(execution.id).state.current == "PAUSED"
        await kestra.resume(execution.id, {"score": "41"})
        final = await kestra.wait_terminal(execution.id, timeout=5)
    assert final.state.current == "SUCCESS"
    assert next(t.outputs for t in final.task_runs if t.task_id == "after") == {
        "value": "42 none given"
    }
    await engine.aclose()
