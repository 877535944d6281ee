"""A flow's YAML read as Kestra reads it: duplicate keys rejected naming both lines, map keys
as strings (a Switch's `true:` / `false:` cases match at run time; lines right inside them)."""

from __future__ import annotations

import asyncio
import textwrap

import pytest

from lab.kestra.engine import Engine, FlowInvalid, validate
from lab.kestra.flow_yaml import DuplicateKey, load_flow

SWITCH = textwrap.dedent("""\
    id: sw
    namespace: company.team
    inputs:
      - id: vip
        type: BOOL
        defaults: true
    tasks:
      - id: route
        type: io.kestra.plugin.core.flow.Switch
        value: "{{ inputs.vip }}"
        cases:
          true:
            - id: vip_reply
              type: io.kestra.plugin.core.log.Log
              message: vip
          false:
            - id: normal_reply
              type: io.kestra.plugin.core.log.Logg
              message: normal
""")


def test_duplicate_keys_are_rejected_naming_both_lines():
    source = (
        "id: f\nnamespace: company.team\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n"
        "    message: one\n    message: two\n"
    )
    with pytest.raises(DuplicateKey) as info:
        load_flow(source)
    assert info.value.lines == (6, 7)
    [problem] = validate(source, path="f.yml")
    assert problem.kind == "yaml" and problem.line == 7
    assert (
        "duplicate key `message` (lines 6 and 7)" in problem.message
        and "Duplicate field 'message'" in problem.message
    )
    with pytest.raises(FlowInvalid):
        Engine().deploy(source)


def test_map_keys_are_strings():
    assert load_flow("cases:\n  true: [a]\n  false: [b]\n  1: [c]\n  null: [d]\n") == {
        "cases": {"true": ["a"], "false": ["b"], "1": ["c"], "null": ["d"]}
    }
    assert load_flow("a: true\nb: 1\n") == {"a": True, "b": 1}  # values keep their types


def test_findings_inside_a_boolean_keyed_switch_name_their_line():
    [problem] = validate(SWITCH, path="sw.yml")
    assert problem.kind == "unknown-type" and problem.line == 18
    assert problem.path == "tasks[0].cases.false[0].type"


def test_switch_true_false_cases_match_at_run_time():
    source = SWITCH.replace("core.log.Logg", "core.log.Log")

    async def go(vip: bool) -> list[str]:
        engine = Engine()
        flow = engine.deploy(source)
        execution = await engine.start(flow.namespace, flow.id, inputs={"vip": vip})
        done = await engine.wait(execution.id, timeout=10)
        assert done.state.current == "SUCCESS"
        return [t.task_id for t in done.task_runs]

    assert asyncio.run(go(True)) == ["route", "vip_reply"]
    assert asyncio.run(go(False)) == ["route", "normal_reply"]
