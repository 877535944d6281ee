"""Validation: each finding names the file, line, task and what is expected; nothing is skipped."""

from __future__ import annotations

import pytest
from engine_helpers import flow, outputs, run

from lab.errors import LabError
from lab.kestra.engine import Engine, FlowInvalid, validate


def kinds(source: str, **kw) -> list[str]:
    return [p.kind for p in validate(source, path="flows/agent.yml", **kw)]


def test_a_valid_flow_has_no_problem():
    assert (
        validate(
            flow("""
        inputs:
          - id: name
            type: STRING
        tasks:
          - id: hello
            type: io.kestra.plugin.core.log.Log
            message: "Hello {{ inputs.name | upper }}"
        triggers:
          - id: wa
            type: io.kestra.plugin.core.trigger.Webhook
            key: abc
    """)
        )
        == []
    )


def test_a_misspelt_core_type_is_unknown_with_a_suggestion():
    [problem] = validate(
        flow("""
        tasks:
          - id: hello
            type: io.kestra.plugin.core.log.Logg
            message: hi
    """),
        path="flows/agent.yml",
    )
    assert problem.kind == "unknown-type"
    assert (
        "does not exist in Kestra" in problem.message
        and "io.kestra.plugin.core.log.Log" in problem.message
    )
    assert (
        problem.line == 6
        and problem.file == "flows/agent.yml"
        and "task `hello`" in problem.message
    )
    assert problem.path == "tasks[0].type"


def test_a_real_but_unsupported_type_suggests_a_real_kestra():
    [problem] = validate(
        flow("""
        tasks:
          - id: dag
            type: io.kestra.plugin.core.flow.Dag
            tasks: []
    """)
    )
    assert problem.kind == "unsupported-type"
    assert "exists in Kestra" in problem.message and "docker-compose.yml" in problem.message


def test_a_real_plugin_task_needs_a_fixture_and_its_properties_are_kestras():
    problems = validate(
        flow("""
        tasks:
          - id: q
            type: io.kestra.plugin.jdbc.postgresql.Query
            sql: select 1
    """)
    )
    assert [(p.kind, p.severity) for p in problems] == [
        ("needs-fixture", "warning"),
        ("missing-property", "error"),
    ]
    assert "runs on real Kestra; here, give it a fixture" in problems[0].message
    assert (
        "{tasks: [{id: q, outputs: {row: {}, rows: [], uri: '', size: 0}}]}" in problems[0].message
    )
    assert "missing required property `url`" in problems[1].message


def test_a_legacy_alias_is_accepted():
    assert (
        kinds(
            flow("""
        tasks:
          - id: hello
            type: io.kestra.core.tasks.log.Log
            message: hi
    """)
        )
        == []
    )


def test_malformed_yaml_names_its_line():
    [problem] = validate(
        "id: f\nnamespace: a\ntasks:\n  - id: x\n    type: [unclosed\n", path="flows/bad.yml"
    )
    assert problem.kind == "yaml" and problem.line is not None and problem.line >= 5
    assert str(problem).startswith("flows/bad.yml:")


def test_missing_id_namespace_and_tasks():
    assert sorted(kinds("description: nothing\n")) == ["missing", "missing", "missing"]


def test_unknown_and_missing_properties():
    problems = validate(
        flow("""
        tasks:
          - id: hello
            type: io.kestra.plugin.core.log.Log
            mesage: hi
    """)
    )
    assert sorted(p.kind for p in problems) == ["missing-property", "unknown-property"]
    unknown = next(p for p in problems if p.kind == "unknown-property")
    assert "`mesage`" in unknown.message and "message" in unknown.message and unknown.line == 7


def test_unsupported_flow_property():
    assert "unsupported-property" in kinds(
        flow("""
        afterExecution: []
        tasks:
          - id: hello
            type: io.kestra.plugin.core.log.Log
            message: hi
    """)
    )


def test_expression_syntax_and_unsupported_functions():
    problems = validate(
        flow("""
        tasks:
          - id: a
            type: io.kestra.plugin.core.log.Log
            message: "{{ inputs.name | }}"
          - id: b
            type: io.kestra.plugin.core.log.Log
            message: "{{ fileURI('x') }}"
    """)
    )
    assert [p.kind for p in problems] == ["expression", "expression"]
    assert problems[1].line == 10 and "fileURI" in problems[1].message


def test_duplicate_task_ids():
    assert "duplicate-id" in kinds(
        flow("""
        tasks:
          - id: a
            type: io.kestra.plugin.core.log.Log
            message: hi
          - id: a
            type: io.kestra.plugin.core.log.Log
            message: again
    """)
    )


def test_dialects_differ_on_foreach_and_loop():
    foreach = flow("""
        tasks:
          - id: each
            type: io.kestra.plugin.core.flow.ForEach
            values: [1, 2]
            tasks:
              - id: hello
                type: io.kestra.plugin.core.log.Log
                message: hi
    """)
    assert kinds(foreach, version="1.3") == []
    assert kinds(foreach, version="2.0") == ["unknown-type"]
    assert kinds(foreach.replace("ForEach", "Loop"), version="1.3") == ["unknown-type"]


def test_deploy_raises_a_lab_error_listing_the_problems():
    engine = Engine()
    with pytest.raises(FlowInvalid) as info:
        engine.deploy(
            flow("""
            tasks:
              - id: hello
                type: io.kestra.plugin.core.log.Lg
                message: hi
        """),
            path="flows/agent.yml",
        )
    assert isinstance(info.value, LabError) and info.value.status == 422
    assert info.value.problems[0].kind == "unknown-type"
    assert "flows/agent.yml:6" in info.value.render()
    assert engine.flows() == []


def test_deploy_dir_deploys_nothing_when_one_flow_is_invalid(tmp_path):
    (tmp_path / "good.yml").write_text(
        flow(
            """
        tasks:
          - id: hello
            type: io.kestra.plugin.core.log.Log
            message: hi
    """,
            id="good",
        )
    )
    engine = Engine()
    assert [f.id for f in engine.deploy_dir(tmp_path)] == ["good"]
    (tmp_path / "bad.yaml").write_text("id: bad\nnamespace: a\ntasks: [")
    fresh = Engine()
    with pytest.raises(FlowInvalid) as info:
        fresh.deploy_dir(tmp_path)
    assert info.value.problems[0].file.endswith("bad.yaml")
    assert fresh.flows() == []


def test_a_yaml_boolean_task_id_is_explained():
    [problem] = validate(
        flow("""
        tasks:
          - id: off
            type: io.kestra.plugin.core.log.Log
            message: hi
    """)
    )
    assert problem.kind == "invalid" and "quote it" in problem.message
    assert 'Kestra would name this task "false"' in problem.message


async def test_yaml_1_1_booleans_in_properties_are_read_as_kestra_reads_them():
    """Kestra parses flows with Jackson on SnakeYAML's YAML 1.1 resolver: unquoted Yes/on/off/no are
    booleans, and a boolean in a String property is coerced to "true"/"false" (kestra-io/kestra#7846,
    where `message: Yes` logs true); `y` stays a string, as SnakeYAML dropped it from the resolver."""
    engine = Engine()
    x = await run(
        engine,
        flow("""
        tasks:
          - id: hello
            type: io.kestra.plugin.core.log.Log
            message: Yes
          - id: format
            type: io.kestra.plugin.core.debug.Return
            format: off
          - id: values
            type: io.kestra.plugin.core.output.OutputValues
            values: {a: no, b: On, c: y, d: "yes"}
    """),
    )
    assert [e.message for e in engine.logs(x.id) if e.task_id == "hello"] == ["true"]
    assert outputs(x, "format") == {"value": "false"}
    assert outputs(x, "values") == {"values": {"a": False, "b": True, "c": "y", "d": "yes"}}
    await engine.aclose()
