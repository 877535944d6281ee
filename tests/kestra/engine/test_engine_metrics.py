"""Metrics tasks publish: the per-execution store, Kestra's summing rules, the REST endpoint and the client."""

from __future__ import annotations

import httpx
import pytest
from engine_helpers import flow, run

from lab.kestra.client import KestraClient
from lab.kestra.engine import Engine
from lab.kestra.engine.api import KestraApi
from lab.kestra.engine.metrics import MetricInvalid

PROCESS = "{type: io.kestra.plugin.core.runner.Process}"
METRICS = flow(
    f"""
    tasks:
      - id: count
        type: io.kestra.plugin.scripts.shell.Commands
        taskRunner: {PROCESS}
        commands:
          - echo '::{{"metrics":[{{"name":"rows","type":"counter","value":2,"tags":{{"table":"t"}}}}]}}::'
          - echo '::{{"metrics":[{{"name":"rows","type":"counter","value":3,"tags":{{"table":"t"}}}}]}}::'
          - echo '::{{"metrics":[{{"name":"rows","type":"counter","value":1,"tags":{{"table":"u"}}}}]}}::'
          - echo '::{{"metrics":[{{"name":"load","type":"timer","value":1.25}}]}}::'
          - echo '::{{"metrics":[{{"name":"usage.prompt.tokens","type":"counter","value":7}}]}}::'
          - echo '::{{"metrics":[{{"name":"bad","type":"counter","value":"many"}}]}}::'
      - id: quiet
        type: io.kestra.plugin.core.log.Log
        message: no metrics here
""",
    id="metered",
)


async def test_script_metrics_are_stored_summed_per_name_and_tags_and_timers_served_in_ms():
    engine = Engine()
    x = await run(engine, METRICS)
    assert x.state.current == "SUCCESS"
    got = [(m.task_id, m.type, m.name, m.to_json()["value"], m.tags) for m in engine.metrics(x.id)]
    assert got == [
        ("count", "counter", "rows", 5.0, {"table": "t"}),
        ("count", "counter", "rows", 1.0, {"table": "u"}),
        ("count", "timer", "load", 1250.0, {}),
        ("count", "counter", "usage.prompt.tokens", 7.0, {}),
    ]
    warns = [e.message for e in engine.logs(x.id) if e.level == "WARN"]
    assert any("metric 'bad'" in w and "finite number" in w for w in warns), warns
    assert engine.metrics("no-such-execution") == []
    await engine.aclose()


async def test_metrics_endpoint_pages_filters_and_the_client_reads_every_page():
    engine = Engine()
    x = await run(engine, METRICS)
    api = KestraApi(engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api), base_url="http://e"
    ) as http:
        page = (
            await http.get(f"/api/v1/main/metrics/{x.id}", params={"size": 2, "page": 2})
        ).json()
        assert page["total"] == 4 and [m["name"] for m in page["results"]] == [
            "load",
            "usage.prompt.tokens",
        ]
        entry = page["results"][0]
        assert set(entry) == {
            "tenantId",
            "namespace",
            "flowId",
            "taskId",
            "executionId",
            "taskRunId",
            "type",
            "name",
            "value",
            "timestamp",
            "tags",
        }
        assert (
            entry["executionId"] == x.id
            and entry["flowId"] == "metered"
            and entry["timestamp"].endswith("Z")
        )
        quiet = (await http.get(f"/api/v1/main/metrics/{x.id}", params={"taskId": "quiet"})).json()
        assert quiet == {"results": [], "total": 0}
        bad = await http.get(f"/api/v1/main/metrics/{x.id}", params={"size": "ten"})
        assert bad.status_code == 400 and "size" in bad.json()["message"]
    client = KestraClient("http://e", transport=httpx.ASGITransport(app=api))
    async with client:
        metrics = await client.results.metrics(x.id)
        only = await client.results.metrics(x.id, task_id="count")
    assert [(m.name, m.value) for m in metrics] == [
        ("rows", 5.0),
        ("rows", 1.0),
        ("load", 1250.0),
        ("usage.prompt.tokens", 7.0),
    ]
    assert len(only) == 4 and metrics[2].type == "timer" and metrics[0].tags == {"table": "t"}
    await engine.aclose()


def test_a_metric_that_is_not_a_number_or_of_an_unknown_type_is_refused_with_the_reason():
    from lab.kestra.engine.metrics import checked

    with pytest.raises(MetricInvalid, match="type must be one of counter, timer, gauge"):
        checked("n", "histogram", 1, None)
    with pytest.raises(MetricInvalid, match="finite number"):
        checked("n", "counter", True, None)
    assert checked("n", "COUNTER", 2, {"a": 1}) == ("n", "counter", 2.0, {"a": "1"})
