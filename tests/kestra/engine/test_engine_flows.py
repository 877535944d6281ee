"""The executor's rules on real flows: retry, timeout, runIf, errors/finally, flowables, outputs."""

from __future__ import annotations

import asyncio
import time

from engine_helpers import RecordingSleep, flow, outputs, run, states

from lab.kestra.engine import Engine


async def test_exponential_retry_waits_grow_and_are_capped():
    sleep = RecordingSleep()
    engine = Engine(sleep=sleep)
    x = await run(
        engine,
        flow("""
        tasks:
          - id: flaky
            type: io.kestra.plugin.core.execution.Fail
            retry: {type: exponential, maxAttempts: 5, interval: PT1S, maxInterval: PT5S, delayFactor: 2}
    """),
    )
    assert x.state.current == "FAILED"
    tr = x.task_runs[0]
    assert [a.state.current for a in tr.attempts] == ["FAILED"] * 5
    assert sleep.delays == [1.0, 2.0, 4.0, 5.0]
    assert "RETRYING" in [s for s, _ in tr.state.histories]


async def test_constant_retry_then_success_with_warning_on_retry():
    sleep = RecordingSleep()
    engine = Engine(sleep=sleep)
    x = await run(
        engine,
        flow("""
        tasks:
          - id: flaky
            type: io.kestra.plugin.core.log.Log
            message: "{{ taskrun.attemptsCount == 2 ? 'ok' : missing }}"
            retry: {type: constant, maxAttempts: 5, interval: PT0.5S, warningOnRetry: true}
    """),
    )
    assert x.state.current == "WARNING"
    assert len(x.task_runs[0].attempts) == 3 and sleep.delays == [0.5, 0.5]


async def test_timeout_fails_the_task_with_kestra_wording():
    engine = Engine()
    started = time.perf_counter()
    x = await run(
        engine,
        flow("""
        tasks:
          - id: slow
            type: io.kestra.plugin.core.flow.Sleep
            duration: PT30S
            timeout: PT0.05S
    """),
    )
    assert time.perf_counter() - started < 5
    assert x.state.current == "FAILED"
    assert any(e.message == "Timeout after 00:00:00.050" for e in engine.logs(x.id))


async def test_run_if_false_skips_and_disabled_tasks_have_no_run():
    engine = Engine()
    x = await run(
        engine,
        flow("""
        tasks:
          - id: skipped
            type: io.kestra.plugin.core.log.Log
            runIf: "{{ 1 == 2 }}"
            message: no
          - id: disabled_one
            type: io.kestra.plugin.core.log.Log
            disabled: true
            message: no
          - id: enabled_one
            type: io.kestra.plugin.core.log.Log
            message: yes
    """),
    )
    assert states(x) == {"skipped": "SKIPPED", "enabled_one": "SUCCESS"}
    assert x.state.current == "SUCCESS"


async def test_errors_run_on_failure_finally_always_and_state_stays_failed():
    engine = Engine()
    x = await run(
        engine,
        flow("""
        tasks:
          - id: boom
            type: io.kestra.plugin.core.execution.Fail
            errorMessage: "broken {{ flow.id }}"
          - id: never
            type: io.kestra.plugin.core.log.Log
            message: no
        errors:
          - id: handler
            type: io.kestra.plugin.core.log.Log
            message: "{{ tasks.boom.state }}"
        finally:
          - id: cleanup
            type: io.kestra.plugin.core.log.Log
            message: done
    """),
    )
    assert [t.task_id for t in x.task_runs] == ["boom", "handler", "cleanup"]
    assert x.state.current == "FAILED"
    messages = [(e.task_id, e.level, e.message) for e in engine.logs(x.id)]
    assert ("boom", "ERROR", "broken f") in messages and ("handler", "INFO", "FAILED") in messages


async def test_allow_failure_gives_warning_and_allow_warning_success():
    engine = Engine()
    x = await run(
        engine,
        flow("""
        tasks:
          - id: a
            type: io.kestra.plugin.core.execution.Fail
            allowFailure: true
          - id: b
            type: io.kestra.plugin.core.log.Log
            message: still here
    """),
    )
    assert states(x) == {"a": "WARNING", "b": "SUCCESS"} and x.state.current == "WARNING"


async def test_parallel_really_runs_concurrently_with_a_limit():
    engine = Engine()
    tasks = "\n".join(
        f"""
              - id: nap{i}
                type: io.kestra.plugin.core.flow.Sleep
                duration: PT0.2S"""
        for i in range(4)
    )
    started = time.perf_counter()
    x = await run(
        engine,
        flow(f"""
        tasks:
          - id: par
            type: io.kestra.plugin.core.flow.Parallel
            concurrent: 2
            tasks:{tasks}
    """),
    )
    elapsed = time.perf_counter() - started
    assert x.state.current == "SUCCESS" and len(x.task_runs) == 5
    assert 0.35 < elapsed < 0.75  # two waves of two, not four in a row


async def test_foreach_outputs_are_keyed_by_value_and_see_taskrun_value():
    engine = Engine()
    x = await run(
        engine,
        flow("""
        tasks:
          - id: each
            type: io.kestra.plugin.core.flow.ForEach
            values: ["a", "b"]
            concurrencyLimit: 0
            tasks:
              - id: r
                type: io.kestra.plugin.core.debug.Return
                format: "{{ taskrun.value }}-{{ taskrun.iteration }}"
          - id: after
            type: io.kestra.plugin.core.debug.Return
            format: "{{ outputs.r['a'].value }},{{ outputs.r['b'].value }}"
    """),
    )
    assert outputs(x, "after") == {"value": "a-0,b-1"}


async def test_switch_if_and_set_variables():
    engine = Engine()
    x = await run(
        engine,
        flow("""
        variables: {mood: happy}
        tasks:
          - id: set
            type: io.kestra.plugin.core.execution.SetVariables
            variables: {mood: sad}
          - id: sw
            type: io.kestra.plugin.core.flow.Switch
            value: "{{ vars.mood }}"
            cases:
              sad:
                - id: cheer
                  type: io.kestra.plugin.core.flow.If
                  condition: "{{ vars.mood == 'sad' }}"
                  then:
                    - id: up
                      type: io.kestra.plugin.core.debug.Return
                      format: cheer up
    """),
    )
    assert outputs(x, "sw") == {"value": "sad", "defaults": False}
    assert outputs(x, "up") == {"value": "cheer up"} and x.variables == {"mood": "sad"}


async def test_exit_ends_the_execution_in_its_state():
    engine = Engine()
    x = await run(
        engine,
        flow("""
        tasks:
          - id: seq
            type: io.kestra.plugin.core.flow.Sequential
            tasks:
              - id: bye
                type: io.kestra.plugin.core.execution.Exit
                state: KILLED
          - id: never
            type: io.kestra.plugin.core.log.Log
            message: no
    """),
    )
    assert states(x) == {"seq": "KILLED", "bye": "KILLED"} and x.state.current == "KILLED"


async def test_flow_outputs_and_subflow_outputs():
    engine = Engine()
    engine.deploy(
        flow(
            """
        inputs:
          - id: n
            type: INT
        tasks:
          - id: double
            type: io.kestra.plugin.core.debug.Return
            format: "{{ inputs.n * 2 }}"
        outputs:
          - id: result
            type: STRING
            value: "{{ outputs.double.value }}"
    """,
            id="child",
        )
    )
    x = await run(
        engine,
        flow("""
        tasks:
          - id: call
            type: io.kestra.plugin.core.flow.Subflow
            namespace: company.test
            flowId: child
            inputs: {n: 21}
    """),
    )
    out = outputs(x, "call")
    assert out["state"] == "SUCCESS" and out["outputs"] == {"result": "42"}
    child = engine.execution(out["executionId"])
    assert child.parent_id == x.id and child.outputs == {"result": "42"}
    assert child.trigger["type"] == "io.kestra.plugin.core.flow.Subflow"


async def test_log_levels_and_log_level_filter():
    engine = Engine()
    x = await run(
        engine,
        flow("""
        tasks:
          - id: warn
            type: io.kestra.plugin.core.log.Log
            level: WARN
            message: [one, two]
          - id: quiet
            type: io.kestra.plugin.core.log.Log
            level: DEBUG
            logLevel: INFO
            message: hidden
    """),
    )
    logs = [(e.task_id, e.level, e.message) for e in engine.logs(x.id)]
    assert logs == [("warn", "WARN", "one"), ("warn", "WARN", "two")]
    assert engine.logs(x.id)[0].to_json()["attemptNumber"] == 0


async def test_concurrent_executions_do_not_share_state():
    engine = Engine()
    f = engine.deploy(
        flow("""
        inputs:
          - id: n
            type: INT
        tasks:
          - id: r
            type: io.kestra.plugin.core.debug.Return
            format: "{{ inputs.n }}"
    """)
    )
    xs = [await engine.start(f.namespace, f.id, inputs={"n": i}) for i in range(50)]
    done = await asyncio.gather(*(engine.wait(x.id) for x in xs))
    assert [d.task_runs[0].outputs["value"] for d in done] == [str(i) for i in range(50)]


async def test_switch_without_match_nor_defaults_fails():
    engine = Engine()
    x = await run(
        engine,
        flow("""
        tasks:
          - id: sw
            type: io.kestra.plugin.core.flow.Switch
            value: other
            cases:
              one:
                - id: a
                  type: io.kestra.plugin.core.log.Log
                  message: one
    """),
    )
    assert states(x) == {"sw": "FAILED"} and outputs(x, "sw") == {
        "value": "other",
        "defaults": True,
    }
    assert "No task found" in engine.logs(x.id)[0].message
