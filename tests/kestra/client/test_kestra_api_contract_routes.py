"""The embedded API's routes beyond KestraClient's everyday calls, in both dialects, each response
checked against Kestra's OpenAPI document of the dialect; the contract fixtures against it too."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from conftest import embedded_app
from kestra_fixture_app import PASSWORD, USER
from openapi_contract import Contract, ContractRecorder, Exchange

NS = "company.team"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# fixture file -> (method, path) Kestra answered it for
FIXTURE_ROUTES = {
    "configs.json": ("GET", "/api/v1/configs"),
    "execution-hello-success.json": ("GET", "/api/v1/main/executions/x"),
    "execution-boom-failed.json": ("GET", "/api/v1/main/executions/x"),
    "execution-hello-running.json": ("GET", "/api/v1/main/executions/x"),
    "webhook-hello.json": ("POST", "/api/v1/main/executions/webhook/company.team/hello/hello-key"),
    "flow-hello.json": ("GET", "/api/v1/main/flows/company.team/hello"),
    "validate.json": ("POST", "/api/v1/main/flows/validate"),
    "kv-greeting.json": ("GET", "/api/v1/main/namespaces/company.team/kv/greeting"),
    "files-directory.json": ("GET", "/api/v1/main/namespaces/company.team/files/directory"),
    "metrics.json": ("GET", "/api/v1/main/metrics/x"),
    "logs-hello.json": ("GET", "/api/v1/main/logs/x"),
    "outputs-tasks.json": ("GET", "/api/v1/main/outputs/tasks/x"),
    "outputs-execution.json": ("GET", "/api/v1/main/outputs/executions/x"),
    "outputs-task-run-greet.json": ("GET", "/api/v1/main/outputs/tasks/x/y"),
    "kv-all.json": ("GET", "/api/v1/main/kv"),
    "kv-list.json": ("GET", "/api/v1/main/namespaces/company.team/kv"),
    "execution-killed.json": ("DELETE", "/api/v1/main/executions/x/actions/kill"),
}


@pytest.mark.parametrize("dialect", ["1.3", "2.0"])
def test_contract_fixtures_conform_to_the_document(dialect):
    contract = Contract(dialect)
    checked = 0
    for name, (method, path) in FIXTURE_ROUTES.items():
        file = FIXTURES / dialect / name
        if not file.exists():
            continue
        content_type = "text/json" if name == "execution-killed.json" else "application/json"
        exchange = Exchange(
            method, path, "", {}, b"", 200, {"content-type": content_type}, file.read_bytes()
        )
        assert contract.response_problems(exchange) == [], name
        checked += 1
    follow = (FIXTURES / dialect / "follow-hello.sse").read_bytes()
    exchange = Exchange(
        "GET",
        "/api/v1/main/executions/x/follow",
        "",
        {},
        b"",
        200,
        {"content-type": "text/event-stream"},
        follow,
    )
    assert contract.response_problems(exchange) == []
    assert checked >= 12


async def _call(client: httpx.AsyncClient, method: str, path: str, **kwargs) -> httpx.Response:
    return await client.request(method, "/api/v1/main" + path, **kwargs)


@pytest.mark.parametrize("dialect", ["1.3", "2.0"])
async def test_every_route_answers_as_the_document_says(dialect):
    recorder = ContractRecorder(embedded_app(dialect))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=recorder),
        base_url="http://embedded",
        auth=(USER, PASSWORD),
    ) as http:
        hook = await _call(
            http, "POST", f"/executions/webhook/{NS}/hello/hello-key", json={"name": "Ana"}
        )
        execution_id = hook.json()["id"]
        waited = await _call(
            http, "POST", f"/executions/{NS}/hello", params={"wait": "true", "labels": "env:dev"}
        )
        assert (
            waited.json()["state"]["current"] in ("SUCCESS", "FAILED")
            and waited.json()["originalId"]
        )
        for _ in range(100):
            if (
                (await _call(http, "GET", f"/executions/{execution_id}"))
                .json()["state"]
                .get("endDate")
            ):
                break
            await asyncio.sleep(0.02)

        found = await _call(
            http,
            "GET",
            "/executions/search",
            params={"filters[namespace][EQUALS]": NS, "filters[flowId][EQUALS]": "hello"},
        )
        assert found.json()["total"] == 2
        assert (
            await _call(http, "GET", "/executions/search", params={"filters[state][IN]": "KILLED"})
        ).json()["total"] == 0
        by_flow = await _call(
            http, "GET", "/executions", params={"namespace": NS, "flowId": "hello", "size": 1}
        )
        assert by_flow.json()["total"] == 2 and len(by_flow.json()["results"]) == 1
        assert (await _call(http, "GET", f"/flows/{NS}")).json()[0]["namespace"] == NS
        download = await _call(http, "GET", f"/logs/{execution_id}/download")
        assert download.status_code == 200 and "Hello Ana" in download.text

        await _call(
            http, "PUT", f"/namespaces/{NS}/kv/greeting", content=b'"hi"', headers={"ttl": "PT1H"}
        )
        await _call(http, "PUT", "/namespaces/company/kv/parent_key", content=b"1")
        entries = (
            await _call(http, "GET", "/kv", params={"filters[namespace][EQUALS]": NS})
        ).json()
        assert [e["key"] for e in entries["results"]] == ["greeting"] and entries["results"][0][
            "creationDate"
        ]
        inherited = (await _call(http, "GET", f"/namespaces/{NS}/kv/inheritance")).json()
        assert [(e["namespace"], e["key"]) for e in inherited] == [
            (NS, "greeting"),
            ("company", "parent_key"),
        ]

        await _call(
            http,
            "POST",
            f"/namespaces/{NS}/files",
            params={"path": "/prompts/system.md"},
            files={"fileContent": ("system.md", b"Be brief.")},
        )
        stats = await _call(
            http, "GET", f"/namespaces/{NS}/files/stats", params={"path": "/prompts/system.md"}
        )
        assert stats.json()["type"] == "File" and stats.json()["size"] == 9
        assert (
            await _call(http, "GET", f"/namespaces/{NS}/files/stats", params={"path": "/prompts"})
        ).json()["type"] == "Directory"

        flow = (await _call(http, "GET", f"/flows/{NS}/hello")).json()
        assert ("draft" in flow) == (dialect == "2.0")
        labelled = await _call(
            http,
            "POST",
            "/flows",
            headers={"Content-Type": "application/x-yaml"},
            content=b"id: tagged\nnamespace: company.team\nlabels:\n  team: bots\ntasks:\n"
            b"  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n",
        )
        assert labelled.json()["labels"] == [{"key": "team", "value": "bots"}]

        if dialect == "2.0":
            listed = (await _call(http, "GET", f"/outputs/tasks/{execution_id}")).json()
            greet = next(item for item in listed if item["taskId"] == "greet")
            assert "value" not in greet  # a task run's iteration value, not its outputs
            outputs = (
                await _call(http, "GET", f"/outputs/tasks/{execution_id}/{greet['taskRunId']}")
            ).json()
            assert outputs == {"value": "Hello Ana"}
            assert (await _call(http, "GET", f"/outputs/executions/{execution_id}")).json() == {
                "greeting": "Hello Ana"
            }
            assert "outputs" not in (await _call(http, "GET", f"/executions/{execution_id}")).json()
        else:
            assert [
                e["key"] for e in (await _call(http, "GET", f"/namespaces/{NS}/kv")).json()
            ] == ["greeting"]
    problems = recorder.problems(Contract(dialect))
    assert not problems, "\n".join(problems)
    exercised = recorder.operations(Contract(dialect))
    assert {
        "searchExecutions",
        "searchExecutionsByFlowId",
        "downloadLogsFromExecution",
        "listAllKeys",
        "listKeysWithInheritence",
        "getFileMetadatas",
        "listFlowsByNamespace",
    } <= exercised


@pytest.mark.parametrize("dialect", ["1.3", "2.0"])
async def test_search_and_inheritance_are_routes_not_ids(dialect):
    """`search` is not read as an execution id, nor `inheritance` as a KV key."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=embedded_app(dialect)),
        base_url="http://e",
        auth=(USER, PASSWORD),
    ) as http:
        assert (await _call(http, "GET", "/executions/search")).status_code == 200
        assert (await _call(http, "GET", f"/namespaces/{NS}/kv/inheritance")).status_code == 200


async def test_kill_answers_the_execution_on_2_0():
    recorder = ContractRecorder(embedded_app("2.0"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=recorder), base_url="http://e", auth=(USER, PASSWORD)
    ) as http:
        started = (await _call(http, "POST", f"/executions/{NS}/hello")).json()
        killed = await _call(http, "DELETE", f"/executions/{started['id']}/actions/kill")
        assert killed.status_code == 200 and json.loads(killed.content)["id"] == started["id"]
    assert recorder.problems(Contract("2.0")) == []
