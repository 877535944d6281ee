"""One check per core task type not covered elsewhere: Echo, Assert, Labels, UnsetVariables,
EachParallel, LoopUntil, Subflow without wait, flow-level retry, webhook `inputs`."""

from __future__ import annotations

import json

from engine_helpers import RecordingSleep, flow, outputs, run, states

from lab.kestra.engine import Engine


async def test_echo_logs_and_assert_fails_with_each_condition():
    engine = Engine()
    x = await run(
        engine,
        flow("""
        tasks:
          - id: echo
            type: io.kestra.plugin.core.debug.Echo
            format: "hello {{ flow.id }}"
            level: WARN
          - id: check
            type: io.kestra.plugin.core.execution.Assert
            conditions:
              - "{{ 1 == 1 }}"
              - "{{ 1 == 2 }}"
    """),
    )
    logs = [(e.task_id, e.level, e.message) for e in engine.logs(x.id)]
    assert logs[0] == ("echo", "WARN", "hello f")
    assert ("check", "ERROR", "Assertion `{{ 1 == 2 }}` failed!") in logs
    assert states(x) == {"echo": "SUCCESS", "check": "FAILED"}


async def test_labels_task_adds_and_replaces_labels():
    engine = Engine()
    x = await run(
        engine,
        flow("""
        labels: {stage: new}
        tasks:
          - id: tag
            type: io.kestra.plugin.core.execution.Labels
            labels: {stage: "{{ 'replied' }}", topic: billing}
          - id: see
            type: io.kestra.plugin.core.debug.Return
            format: "{{ labels.stage }}/{{ labels.topic }}"
    """),
    )
    assert dict(x.labels)["stage"] == "replied" and dict(x.labels)["topic"] == "billing"
    assert outputs(x, "see") == {"value": "replied/billing"}


async def test_unset_variables_of_a_missing_name_fails_unless_ignored():
    engine = Engine()
    x = await run(
        engine,
        flow("""
        variables: {a: 1}
        tasks:
          - id: unset
            type: io.kestra.plugin.core.execution.UnsetVariables
            variables: [a, b]
            ignoreMissing: true
    """),
    )
    assert x.state.current == "SUCCESS" and x.variables == {}
    x = await run(
        engine,
        flow(
            """
        tasks:
          - id: unset
            type: io.kestra.plugin.core.execution.UnsetVariables
            variables: [b]
    """,
            id="g",
        ),
    )
    assert x.state.current == "FAILED"


async def test_each_parallel_runs_every_value():
    engine = Engine()
    x = await run(
        engine,
        flow("""
        tasks:
          - id: each
            type: io.kestra.plugin.core.flow.EachParallel
            value: '["x", "y", "z"]'
            tasks:
              - id: r
                type: io.kestra.plugin.core.debug.Return
                format: "{{ taskrun.value }}"
    """),
    )
    assert sorted(t.value for t in x.task_runs if t.task_id == "r") == ["x", "y", "z"]
    assert x.state.current == "SUCCESS"


async def test_loop_until_counts_iterations_and_waits_its_interval():
    sleep = RecordingSleep()
    engine = Engine(sleep=sleep)
    x = await run(
        engine,
        flow("""
        tasks:
          - id: poll
            type: io.kestra.plugin.core.flow.LoopUntil
            condition: "{{ outputs.step.value == '3' }}"
            checkFrequency: {maxIterations: 10, interval: PT5S}
            tasks:
              - id: step
                type: io.kestra.plugin.core.debug.Return
                format: "{{ outputs.poll.iterationCount }}"
    """),
    )
    assert outputs(x, "poll") == {"iterationCount": 3} and sleep.delays == [5.0, 5.0]
    assert [t.iteration for t in x.task_runs if t.task_id == "step"] == [0, 1, 2]


async def test_subflow_without_wait_returns_at_once():
    engine = Engine()
    engine.deploy(
        flow(
            """
        tasks:
          - id: nap
            type: io.kestra.plugin.core.flow.Sleep
            duration: PT0.2S
    """,
            id="slow",
        )
    )
    x = await run(
        engine,
        flow("""
        tasks:
          - id: fire
            type: io.kestra.plugin.core.flow.Subflow
            namespace: company.test
            flowId: slow
            wait: false
    """),
    )
    child = engine.execution(outputs(x, "fire")["executionId"])
    assert x.state.current == "SUCCESS" and not child.terminated
    assert (await engine.wait(child.id, timeout=5)).state.current == "SUCCESS"


async def test_flow_level_retry_applies_to_its_tasks():
    sleep = RecordingSleep()
    engine = Engine(sleep=sleep)
    x = await run(
        engine,
        flow("""
        retry: {type: constant, maxAttempts: 2, interval: PT3S}
        tasks:
          - id: boom
            type: io.kestra.plugin.core.execution.Fail
    """),
    )
    assert len(x.task_runs[0].attempts) == 2 and sleep.delays == [3.0]


async def test_webhook_inputs_are_rendered_from_the_trigger():
    engine = Engine()
    engine.deploy(
        flow("""
        inputs:
          - id: sender
            type: STRING
        triggers:
          - id: hook
            type: io.kestra.plugin.core.trigger.Webhook
            key: k
            inputs:
              sender: "{{ trigger.body.from }}"
        tasks:
          - id: r
            type: io.kestra.plugin.core.debug.Return
            format: "{{ inputs.sender }}"
    """)
    )
    x = await engine.webhook("company.test", "f", "k", body=json.dumps({"from": "4917"}).encode())
    x = await engine.wait(x.id, timeout=5)
    assert x.inputs == {"sender": "4917"} and outputs(x, "r") == {"value": "4917"}


PAUSE = flow("""
    tasks:
      - id: approval
        type: io.kestra.plugin.core.flow.Pause
        PAUSE_PROPS
      - id: after
        type: io.kestra.plugin.core.debug.Return
        format: "{{ outputs.approval.onResume.answer ?? 'timeout' }}"
""")


async def test_pause_waits_for_resume():
    engine = Engine()
    f = engine.deploy(PAUSE.replace("PAUSE_PROPS", "description: wait for a human"))
    x = await engine.start(f.namespace, f.id)
    async for snapshot in engine.watch(x.id):
        if snapshot.state.current == "PAUSED":
            break
    assert x.task_runs[0].state.current == "PAUSED"
    assert engine.resume(x.id, {"answer": "yes"}) and not engine.resume("unknown")
    x = await engine.wait(x.id, timeout=5)
    assert x.state.current == "SUCCESS" and outputs(x, "after") == {"value": "yes"}
    assert [s for s, _ in x.state.histories] == [
        "CREATED",
        "RUNNING",
        "PAUSED",
        "RUNNING",
        "SUCCESS",
    ]


async def test_pause_duration_then_behavior():
    sleep = RecordingSleep()
    engine = Engine(sleep=sleep)
    x = await run(engine, PAUSE.replace("PAUSE_PROPS", "pauseDuration: PT5M\n    behavior: WARN"))
    assert sleep.delays == [300.0] and states(x) == {"approval": "WARNING", "after": "SUCCESS"}
    assert x.state.current == "WARNING"
