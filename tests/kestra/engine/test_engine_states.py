"""State rules, ids and the Execution JSON shape."""

from __future__ import annotations

import re

from engine_helpers import flow, run

from lab.kestra.engine import Engine
from lab.kestra.engine import states as S
from lab.kestra.engine.execution import iso_duration, new_id


def test_final_state_priority_is_killed_failed_warning_paused_success():
    assert S.guess_final_state([S.SUCCESS, S.WARNING, S.FAILED]) == S.FAILED
    assert S.guess_final_state([S.FAILED, S.KILLED]) == S.KILLED
    assert S.guess_final_state([S.SUCCESS, S.WARNING]) == S.WARNING
    assert S.guess_final_state([S.SUCCESS, S.SKIPPED]) == S.SUCCESS
    assert S.guess_final_state([]) == S.SUCCESS


def test_allow_failure_and_allow_warning():
    assert S.guess_final_state([S.FAILED], allow_failure=True) == S.WARNING
    assert S.guess_final_state([S.FAILED], allow_failure=True, allow_warning=True) == S.SUCCESS
    assert S.guess_final_state([S.WARNING], allow_warning=True) == S.SUCCESS
    assert S.guess_final_state([S.FAILED], allow_warning=True) == S.FAILED


def test_ids_are_22_base62_characters_and_unique():
    ids = {new_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(re.fullmatch(r"[0-9A-Za-z]{22}", i) for i in ids)


def test_durations_print_like_java():
    assert iso_duration(0.42) == "PT0.42S"
    assert iso_duration(62.5) == "PT1M2.5S"
    assert iso_duration(3600) == "PT1H"


async def test_execution_json_has_kestra_shape_in_both_dialects():
    engine = Engine()
    x = await run(
        engine,
        flow("""
        labels: {team: bots}
        tasks:
          - id: hello
            type: io.kestra.plugin.core.debug.Return
            format: hi
    """),
    )
    doc = x.to_json()
    assert doc["tenantId"] == "main" and doc["flowId"] == "f" and doc["namespace"] == "company.test"
    assert doc["state"]["current"] == "SUCCESS"
    assert [h["state"] for h in doc["state"]["histories"]] == ["CREATED", "RUNNING", "SUCCESS"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", doc["state"]["startDate"])
    assert doc["state"]["duration"].startswith("PT")
    tr = doc["taskRunList"][0]
    assert tr["executionId"] == x.id and tr["outputs"] == {"value": "hi"}
    assert tr["attempts"][0]["state"]["current"] == "SUCCESS"
    assert {"key": "system.correlationId", "value": x.id} in doc["labels"]
    assert {"key": "team", "value": "bots"} in doc["labels"]
    assert doc["deleted"] is False and doc["originalId"] == x.id
    full = x.to_json(
        "2.0"
    )  # 2.0's Execution (follow, create, kill, resume): task runs keep their ids
    assert "outputs" not in full["taskRunList"][0] and full["taskRunList"][0]["executionId"] == x.id
    api = x.to_json("2.0", "api")  # 2.0's ApiExecution (GET /executions/{id})
    assert (
        "executionId" not in api["taskRunList"][0]
        and "deleted" not in api
        and api["originalId"] == x.id
    )
    light = x.to_json("2.0", "light")  # 2.0's ApiLightExecution (search)
    assert "taskRunList" not in light and "metadata" not in light
    await engine.aclose()


async def test_running_execution_has_no_end_date():
    engine = Engine()
    f = engine.deploy(
        flow("""
        tasks:
          - id: nap
            type: io.kestra.plugin.core.flow.Sleep
            duration: PT5S
    """)
    )
    x = await engine.start(f.namespace, f.id)
    assert x.to_json()["state"]["current"] == "CREATED"
    async for snapshot in engine.watch(x.id):
        if snapshot.task_runs and snapshot.task_runs[0].state.current == "RUNNING":
            break
    assert "endDate" not in x.to_json()["state"]
    killed = await engine.kill(x.id)
    assert killed.state.current == "KILLED"
    assert [s for s, _ in killed.state.histories][-2:] == ["KILLING", "KILLED"]
    assert killed.task_runs[0].state.current == "KILLED"
    assert "endDate" in killed.to_json()["state"]
    await engine.aclose()


async def test_kill_before_the_first_step_still_ends_killed():
    engine = Engine()
    f = engine.deploy(
        flow("""
        tasks:
          - id: nap
            type: io.kestra.plugin.core.flow.Sleep
            duration: PT5S
    """)
    )
    x = await engine.start(f.namespace, f.id)
    assert (await engine.kill(x.id)).state.current == "KILLED"
    await engine.aclose()
