"""Kestra's TaskFixture on the embedded engine: a fixture stands in for the task it names (its
outputs, its state), a fixture without outputs skips the task, a real task met without a fixture
fails the execution naming the fixture to write."""

from __future__ import annotations

import asyncio
import textwrap

import pytest

from lab.kestra.engine import Engine
from lab.kestra.engine.fixtures import FixtureError, Fixtures, parse_fixtures

ETL = textwrap.dedent("""\
    id: etl
    namespace: company.team
    inputs:
      - id: table
        type: STRING
        defaults: orders
    tasks:
      - id: extract
        type: io.kestra.plugin.jdbc.postgresql.Query
        url: jdbc:postgresql://db/shop
        sql: "select * from {{ inputs.table }}"
        fetchType: FETCH
      - id: each
        type: io.kestra.plugin.core.flow.ForEach
        values: "{{ outputs.extract.rows | jq('.[].id') }}"
        tasks:
          - id: upload
            type: io.kestra.plugin.aws.s3.Upload
            region: eu-west-1
            bucket: leads
            key: "{{ taskrun.value }}.json"
            from: "kestra:///x"
      - id: alert
        type: io.kestra.plugin.notifications.slack.SlackIncomingWebhook
        url: https://hooks.slack.com/x
        payload: "{{ outputs.extract.size }} rows"
      - id: summary
        type: io.kestra.plugin.core.debug.Return
        format: "{{ outputs.extract.size }} rows from {{ inputs.table }}, first {{ outputs.extract.rows[0].name }}"
""")


def run(source: str, fixtures: Fixtures | None, **start):
    async def go():
        engine = Engine()
        flow = engine.deploy(source)
        execution = await engine.start(flow.namespace, flow.id, fixtures=fixtures, **start)
        return engine, await engine.wait(execution.id, timeout=10)

    return asyncio.run(go())


def test_fixtures_stand_in_for_plugin_tasks_with_the_outputs_later_tasks_read():
    fixtures = parse_fixtures(
        {
            "inputs": {"table": "leads"},
            "tasks": [
                {
                    "id": "extract",
                    "outputs": {
                        "rows": [{"id": 1, "name": "Ana"}, {"id": 2, "name": "Bo"}],
                        "size": "{{ 1 + 1 }}",
                    },
                },
                {"id": "upload", "description": "no S3 here"},
                {"id": "alert"},
            ],
        }
    )
    _engine, done = run(ETL, fixtures)
    assert done.state.current == "SUCCESS"
    runs = {(t.task_id, t.value): t for t in done.task_runs}
    # outputs are rendered as Kestra renders them (strings: "{{ 1 + 1 }}" is "2")
    assert runs[("extract", None)].stood_in and runs[("extract", None)].outputs["size"] == "2"
    assert runs[("upload", "1")].stood_in and runs[("upload", "2")].stood_in
    assert runs[("upload", "1")].outputs is None  # no outputs: the task is skipped, state SUCCESS
    assert not runs[("summary", None)].stood_in
    assert runs[("summary", None)].outputs == {"value": "2 rows from leads, first Ana"}


def test_a_fixture_sets_its_state_and_one_iteration_by_value():
    fixtures = parse_fixtures(
        [
            {
                "id": "extract",
                "outputs": {"rows": [{"id": 1, "name": "Ana"}, {"id": 2, "name": "Bo"}], "size": 2},
            },
            {"id": "upload", "value": "2", "state": "FAILED"},
            {"id": "upload"},
            {"id": "alert"},
        ]
    )
    _engine, done = run(ETL, fixtures)
    states = {(t.task_id, t.value): t.state.current for t in done.task_runs}
    assert states[("upload", "1")] == "SUCCESS" and states[("upload", "2")] == "FAILED"
    assert done.state.current == "FAILED" and ("summary", None) not in states


def test_a_real_task_without_a_fixture_fails_naming_the_fixture_to_write():
    engine, done = run(ETL, parse_fixtures([{"id": "alert"}]))
    assert done.state.current == "FAILED"
    [failed] = [t for t in done.task_runs if t.state.current == "FAILED"]
    assert failed.task_id == "extract"
    [message] = [e.message for e in engine.logs(done.id) if e.level == "ERROR"]
    assert "Task `extract` (io.kestra.plugin.jdbc.postgresql.Query) runs on real Kestra" in message
    assert (
        "fixtures: {tasks: [{id: extract, outputs: {row: {}, rows: [], uri: '', size: 0}}]}"
        in message
    )


def test_a_trigger_fixture_gives_the_trigger_variables():
    source = textwrap.dedent("""\
        id: hook
        namespace: company.team
        tasks:
          - id: echo
            type: io.kestra.plugin.core.debug.Return
            format: "{{ trigger.body.text }}"
        triggers:
          - id: wa
            type: io.kestra.plugin.core.trigger.Webhook
            key: k
    """)
    fixtures = parse_fixtures(
        {
            "trigger": {
                "id": "wa",
                "type": "io.kestra.plugin.core.trigger.Webhook",
                "variables": {"body": {"text": "Oi"}},
            }
        }
    )
    _engine, done = run(source, fixtures)
    assert done.task_runs[0].outputs == {"value": "Oi"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"tasks": [{"outputs": {}}]}, "needs an `id`"),
        ({"tasks": [{"id": "a", "state": "DONE"}]}, "is not a Kestra state"),
        ({"tasks": [{"id": "a", "output": {}}]}, "unknown key(s) output"),
        ({"task": []}, "unknown key(s) task"),
    ],
)
def test_malformed_fixtures_say_what_is_expected(data, message):
    with pytest.raises(FixtureError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_fixtures(data)
