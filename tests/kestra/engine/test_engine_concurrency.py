"""Flow-level `concurrency` on the embedded engine, as Kestra's executor applies it."""

from __future__ import annotations

import asyncio

from engine_helpers import flow, outputs

from lab.kestra.engine import Engine

GATED = flow("""
    concurrency: CONCURRENCY
    inputs:
      - id: n
        type: INT
    tasks:
      - id: gate
        type: io.kestra.plugin.core.flow.Pause
      - id: done
        type: io.kestra.plugin.core.debug.Return
        format: "{{ inputs.n }}"
""")


async def paused(engine: Engine, execution_id: str) -> None:
    async for snapshot in engine.watch(execution_id):
        if snapshot.state.current == "PAUSED":
            return


def history(engine: Engine, execution_id: str) -> list[str]:
    return [s for s, _ in engine.execution(execution_id).state.histories]


async def test_queue_holds_executions_beyond_the_limit_and_runs_them_in_arrival_order():
    engine = Engine()
    f = engine.deploy(GATED.replace("CONCURRENCY", "{limit: 1, behavior: QUEUE}"))
    first = await engine.start(f.namespace, f.id, inputs={"n": 1})
    await paused(engine, first.id)  # a PAUSED execution still holds its slot, as on Kestra
    second = await engine.start(f.namespace, f.id, inputs={"n": 2})
    third = await engine.start(f.namespace, f.id, inputs={"n": 3})
    assert second.state.current == third.state.current == "QUEUED"
    assert second.task_runs == [] and third.task_runs == []
    queued_log = [(e.level, e.message) for e in engine.logs(second.id)]
    assert queued_log == [
        ("INFO", "Flow is queued due to concurrency limit exceeded, 1 running(s)")
    ]

    engine.resume(first.id)
    await engine.wait(first.id, timeout=5)
    await paused(engine, second.id)  # the oldest queued one took the freed slot
    assert engine.execution(third.id).state.current == "QUEUED"
    engine.resume(second.id)
    await paused(engine, third.id)
    engine.resume(third.id)
    x = await engine.wait(third.id, timeout=5)
    assert x.state.current == "SUCCESS" and outputs(x, "done") == {"value": "3"}
    assert history(engine, second.id) == [
        "CREATED",
        "QUEUED",
        "RUNNING",
        "PAUSED",
        "RUNNING",
        "SUCCESS",
    ]


async def test_a_limit_of_two_runs_two_at_once():
    engine = Engine()
    f = engine.deploy(GATED.replace("CONCURRENCY", "{limit: 2}"))  # behavior defaults to QUEUE
    runs = [await engine.start(f.namespace, f.id, inputs={"n": n}) for n in range(3)]
    await paused(engine, runs[0].id)
    await paused(engine, runs[1].id)
    assert runs[2].state.current == "QUEUED"
    engine.resume(runs[1].id)
    await paused(engine, runs[2].id)
    for x in runs:
        engine.resume(x.id)
    for x in runs:
        assert (await engine.wait(x.id, timeout=5)).state.current == "SUCCESS"


async def test_cancel_and_fail_end_the_new_execution_without_running_a_task():
    for behavior, state, logs in (
        ("CANCEL", "CANCELLED", []),
        ("FAIL", "FAILED", [("ERROR", "Flow is FAILED due to concurrency limit exceeded")]),
    ):
        engine = Engine()
        f = engine.deploy(GATED.replace("CONCURRENCY", f"{{limit: 1, behavior: {behavior}}}"))
        first = await engine.start(f.namespace, f.id, inputs={"n": 1})
        await paused(engine, first.id)
        refused = await engine.start(f.namespace, f.id, inputs={"n": 2})
        x = await engine.wait(refused.id, timeout=1)
        assert x.state.current == state and x.task_runs == [], behavior
        assert [(e.level, e.message) for e in engine.logs(x.id)] == logs
        engine.resume(first.id)
        assert (await engine.wait(first.id, timeout=5)).state.current == "SUCCESS"
        again = await engine.start(f.namespace, f.id, inputs={"n": 3})  # the slot is free again
        await paused(engine, again.id)


async def test_subflow_executions_count_and_the_parent_waits_while_its_child_is_queued():
    engine = Engine()
    engine.deploy(GATED.replace("CONCURRENCY", "{limit: 1}").replace("id: f", "id: child"))
    parent = engine.deploy(
        flow("""
        tasks:
          - id: call
            type: io.kestra.plugin.core.flow.Subflow
            namespace: company.test
            flowId: child
            inputs: {n: 7}
    """)
    )
    holder = await engine.start("company.test", "child", inputs={"n": 1})
    await paused(engine, holder.id)
    x = await engine.start(parent.namespace, parent.id)
    while not x.children:
        await asyncio.sleep(0)
    child_id = x.children[0]
    assert engine.execution(child_id).state.current == "QUEUED"
    assert x.state.current == "RUNNING"
    engine.resume(holder.id)
    await paused(engine, child_id)
    engine.resume(child_id)
    x = await engine.wait(x.id, timeout=5)
    assert x.state.current == "SUCCESS" and outputs(x, "call")["state"] == "SUCCESS"


async def test_a_queued_execution_killed_leaves_the_queue():
    engine = Engine()
    f = engine.deploy(GATED.replace("CONCURRENCY", "{limit: 1}"))
    first = await engine.start(f.namespace, f.id, inputs={"n": 1})
    await paused(engine, first.id)
    queued = await engine.start(f.namespace, f.id, inputs={"n": 2})
    after = await engine.start(f.namespace, f.id, inputs={"n": 3})
    x = await engine.kill(queued.id)
    assert x.state.current == "KILLED" and x.task_runs == []
    engine.resume(first.id)
    await paused(engine, after.id)  # the killed one is skipped


async def test_the_limit_is_read_from_the_latest_revision():
    engine = Engine()
    f = engine.deploy(GATED.replace("CONCURRENCY", "{limit: 1}"))
    first = await engine.start(f.namespace, f.id, inputs={"n": 1})
    await paused(engine, first.id)
    engine.deploy(GATED.replace("CONCURRENCY", "{limit: 2}"))
    second = await engine.start(f.namespace, f.id, inputs={"n": 2})
    await paused(engine, second.id)


def test_validation_names_a_wrong_concurrency():
    for version in ("1.3", "2.0"):
        engine = Engine(version=version)
        ok = GATED.replace("CONCURRENCY", "{limit: 1, behavior: QUEUE}")
        assert [p for p in engine.validate(ok) if p.severity == "error"] == []
        for bad, words in (
            ("{limit: 0}", "at least 1"),
            ("{behavior: QUEUE}", "at least 1"),
            ("{limit: 1, behavior: WAIT}", "QUEUE, CANCEL, FAIL"),
            ("{limit: 1, key: x}", "Unrecognized field"),
            ("1", "must be a map"),
        ):
            problems = engine.validate(GATED.replace("CONCURRENCY", bad))
            assert any(words in p.message for p in problems), (bad, problems)
