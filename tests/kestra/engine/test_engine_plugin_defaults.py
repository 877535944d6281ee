"""Flow-level pluginDefaults / taskDefaults (Kestra 1.3), applied at deploy; refused on the 2.0 dialect.

Kestra sources (release 1.3.25): core/.../services/PluginDefaultService.java (innerInjectDefault,
recursiveDefaults, defaults), core/.../utils/MapUtils.java (deepMerge), and the tests
core/src/test/java/io/kestra/core/services/PluginDefaultServiceTest.java, FlowServiceTest.java."""

from __future__ import annotations

from pathlib import Path

import httpx
from engine_helpers import flow, outputs, run, states
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lab.kestra.cli_validate import _with_engine
from lab.kestra.engine import Engine
from lab.kestra.engine.plugin_defaults import deep_merge
from lab.kestra.engine.validation import validate

LOG = "io.kestra.plugin.core.log.Log"
RETURN = "io.kestra.plugin.core.debug.Return"
TASK_DEFAULTS = """
taskDefaults:
  - type: io.kestra.plugin.core.log.Log
    values:
      message: third {{flow.id}}
"""


def messages(engine: Engine, x) -> dict[str, list[str]]:
    """The log messages of each task of an execution."""
    out: dict[str, list[str]] = {}
    for entry in engine.logs(x.id):
        if entry.task_id:
            out.setdefault(entry.task_id, []).append(entry.message)
    return out


def props(engine: Engine, source: str) -> dict[str, dict]:
    return {t.id: t.props for t in engine.deploy(source).all_tasks()}


async def test_a_default_supplies_a_required_property_and_the_flow_succeeds():
    """The shape of kestra-io/kestra cli FileChangedEventListenerTest.testWithPluginDefault: a Log with
    no message of its own, the message coming from pluginDefaults."""
    engine = Engine()
    x = await run(
        engine,
        flow(f"""
        pluginDefaults:
          - type: {LOG}
            values:
              message: "Hello from {{{{ flow.id }}}}"
        tasks:
          - id: helloWithDefault
            type: {LOG}
          - id: own
            type: {LOG}
            message: mine
    """),
    )
    assert x.state.current == "SUCCESS", engine.logs(x.id)
    assert messages(engine, x) == {"helloWithDefault": ["Hello from f"], "own": ["mine"]}


async def test_kestra_logs_flow_with_its_task_defaults_block():
    """kestra-io/kestra core/src/test/resources/flows/valids/logs.yaml with its taskDefaults block put
    back (the conformance copy drops it); AbstractRunnerTest.logs asserts 5 task runs. Every task sets
    its own message, so the default (non-forced) changes nothing."""
    kept = Path(__file__).parents[1] / "conformance" / "flows" / "logs.yaml"
    source = kept.read_text(encoding="utf-8").replace("\ntasks:", TASK_DEFAULTS + "\ntasks:", 1)
    assert "taskDefaults:" in source
    engine = Engine()
    x = await run(engine, source)
    assert x.state.current == "SUCCESS" and len(x.task_runs) == 5
    logged = messages(engine, x)
    assert logged["t1"] == ["first t1"] and logged["t5"] == ["five first", "five second"]


def test_exact_and_prefix_types_match_by_plain_string_prefix():
    """PluginDefaultService.defaults: key.equals(type) || type.startsWith(key), no dot boundary;
    PluginDefaultServiceTest.shouldInjectDefaultGivenPrefixType (`io.kestra.core.services.`)."""
    engine = Engine()
    got = props(
        engine,
        flow(f"""
        pluginDefaults:
          - type: {LOG}
            values: {{level: WARN}}
          - type: io.kestra.plugin.core.debu
            values: {{format: from-prefix}}
          - type: io.kestra.plugin.core.http.
            values: {{method: PUT}}
        tasks:
          - id: log
            type: {LOG}
            message: hi
          - id: ret
            type: {RETURN}
          - id: legacy
            type: io.kestra.core.tasks.debugs.Return
    """),
    )
    assert (
        got["log"]["level"] == "WARN"
        and "format" not in got["log"]
        and got["ret"]["format"] == "from-prefix"
    )
    assert (
        "format" not in got["legacy"]
    )  # an alias type name is not prefixed by io.kestra.plugin.core.debu


def test_a_default_declared_with_an_alias_also_applies_to_the_canonical_type():
    """addAliases: PluginDefaultServiceTest.shouldInjectFlowDefaultsGivenAlias."""
    got = props(
        Engine(),
        flow(f"""
        pluginDefaults:
          - type: io.kestra.core.tasks.debugs.Return
            values: {{format: aliased}}
        tasks:
          - id: ret
            type: {RETURN}
    """),
    )
    assert got["ret"]["format"] == "aliased"


def test_forced_overrides_and_order_within_a_type():
    """PluginDefaultServiceTest.shouldInjectForcedDefaultsGivenForcedTrue: set 1, forced 2, forced 3,
    non-forced 4 -> 3 (the last forced wins); non-forced: the task wins, then the first default."""
    got = props(
        Engine(),
        flow(f"""
        pluginDefaults:
          - {{type: {RETURN}, forced: true, values: {{format: "2"}}}}
          - {{type: {RETURN}, forced: true, values: {{format: "3"}}}}
          - {{type: {RETURN}, forced: false, values: {{format: "4"}}}}
          - {{type: {LOG}, values: {{level: WARN, message: first}}}}
          - {{type: {LOG}, values: {{level: ERROR, message: second}}}}
        tasks:
          - id: ret
            type: {RETURN}
            format: "1"
          - id: log
            type: {LOG}
            level: DEBUG
    """),
    )
    assert (
        got["ret"]["format"] == "3"
        and got["log"]["level"] == "DEBUG"
        and got["log"]["message"] == "first"
    )


def test_taskdefaults_is_read_only_without_plugindefaults():
    """PluginDefaultServiceTest.shouldPreferPluginDefaultsOverTaskDefaults and
    shouldInjectForcedDefaultsGivenDeprecatedTaskDefaults."""
    both = props(
        Engine(),
        flow(f"""
        pluginDefaults:
          - type: {RETURN}
            values: {{format: "42"}}
        taskDefaults:
          - type: {RETURN}
            values: {{format: "99"}}
        tasks:
          - id: ret
            type: {RETURN}
    """),
    )
    assert both["ret"]["format"] == "42"
    forced = props(
        Engine(),
        flow(f"""
        taskDefaults:
          - type: {RETURN}
            forced: true
            values: {{format: "123"}}
        tasks:
          - id: ret
            type: {RETURN}
            format: "666"
    """),
    )
    assert forced["ret"]["format"] == "123"


async def test_nested_maps_merge_and_the_right_side_wins():
    """MapUtils.deepMerge on HTTP headers: non-forced keeps the task's header, forced imposes its own."""
    seen: list[dict] = []

    async def hook(request: Request) -> JSONResponse:
        seen.append(dict(request.headers))
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    engine = Engine(
        http=httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://graph.test")
    )
    x = await run(
        engine,
        flow("""
        pluginDefaults:
          - type: io.kestra.plugin.core.http.Request
            values:
              method: POST
              headers: {Authorization: "Bearer {{ vars.token }}", X-Source: default}
          - type: io.kestra.plugin.core.http.Request
            forced: true
            values:
              headers: {X-Forced: policy}
        variables: {token: abc}
        tasks:
          - id: call
            type: io.kestra.plugin.core.http.Request
            uri: http://graph.test/hook
            headers: {X-Source: task, X-Forced: task}
            body: "{}"
    """),
    )
    assert x.state.current == "SUCCESS", engine.logs(x.id)
    assert (
        outputs(x, "call")["code"] == 200
        and seen[0]["x-source"] == "task"
        and seen[0]["x-forced"] == "policy"
    )
    assert seen[0]["authorization"] == "Bearer abc"


async def test_lists_are_concatenated_the_losing_side_first():
    """MapUtils.mergeCollections: a's items, then b's items not already in a. Non-forced is
    deepMerge(default, task); forced is deepMerge(task, default)."""
    engine = Engine()
    x = await run(
        engine,
        flow(f"""
        pluginDefaults:
          - type: {LOG}
            values: {{message: [a, b]}}
        tasks:
          - id: plain
            type: {LOG}
            message: [b, c]
    """),
    )
    assert messages(engine, x)["plain"] == ["a", "b", "c"]
    forced = props(
        Engine(),
        flow(f"""
        pluginDefaults:
          - type: {LOG}
            forced: true
            values: {{message: [a, b]}}
        tasks:
          - id: plain
            type: {LOG}
            message: [b, c]
    """),
    )
    assert forced["plain"]["message"] == ["b", "c", "a"]
    assert deep_merge({"l": [1, True, 1.0]}, {"l": [1, 1.0, 2, True], "m": None}) == {
        "l": [1, True, 1.0, 2],
        "m": None,
    }
    assert deep_merge({"k": {"x": 1, "y": 2}}, {"k": {"y": None, "z": 3}}) == {
        "k": {"x": 1, "y": 2, "z": 3}
    }


async def test_defaults_reach_tasks_inside_flowables_errors_and_finally():
    """recursiveDefaults walks every map of the flow; PluginDefaultsCaseTest.taskDefaults checks nested
    flowables and `errors` (flows/tests/plugin-defaults.yaml)."""
    engine = Engine()
    x = await run(
        engine,
        flow(f"""
        pluginDefaults:
          - type: {LOG}
            values: {{message: "default {{{{ task.id }}}}"}}
        tasks:
          - id: if
            type: io.kestra.plugin.core.flow.If
            condition: "{{{{ true }}}}"
            then: [{{id: in_then, type: {LOG}}}]
            else: [{{id: in_else, type: {LOG}}}]
          - id: switch
            type: io.kestra.plugin.core.flow.Switch
            value: b
            cases:
              b: [{{id: in_case, type: {LOG}}}]
            defaults: [{{id: in_defaults, type: {LOG}}}]
          - id: each
            type: io.kestra.plugin.core.flow.ForEach
            values: [1, 2]
            tasks:
              - id: in_each
                type: {LOG}
          - id: boom
            type: io.kestra.plugin.core.execution.Fail
        errors: [{{id: in_errors, type: {LOG}}}]
        finally: [{{id: in_finally, type: {LOG}}}]
    """),
    )
    logged = messages(engine, x)
    assert x.state.current == "FAILED"
    assert logged["in_then"] == ["default in_then"] and logged["in_case"] == ["default in_case"]
    assert logged["in_each"] == ["default in_each", "default in_each"]
    assert logged["in_errors"] == ["default in_errors"] and logged["in_finally"] == [
        "default in_finally"
    ]
    assert (
        "in_else" not in logged
        and "in_defaults" not in logged
        and states(x)["in_then"] == "SUCCESS"
    )


def test_defaults_reach_triggers_and_nested_plugin_properties():
    """Any map with a `type`: PluginDefaultServiceTest.injectFlowAndGlobals (trigger and its
    condition), shouldInjectGivenDefaultsIncludingType (a taskRunner); here a webhook trigger and an
    AI task's provider."""
    engine = Engine()
    deployed = engine.deploy(
        flow("""
        pluginDefaults:
          - type: io.kestra.plugin.core.trigger.Webhook
            values: {wait: true}
          - type: io.kestra.plugin.ai.provider.
            values: {apiKey: "{{ secret('OPENAI_API_KEY') }}", modelName: gpt-4o-mini}
        tasks:
          - id: ask
            type: io.kestra.plugin.ai.completion.ChatCompletion
            provider:
              type: io.kestra.plugin.ai.provider.OpenAI
              modelName: gpt-4o
            messages:
              - type: USER
                content: hi
        triggers:
          - id: hook
            type: io.kestra.plugin.core.trigger.Webhook
            key: k
    """)
    )
    assert deployed.triggers[0].props["wait"] is True
    provider = deployed.tasks[0].props["provider"]
    assert (
        provider["modelName"] == "gpt-4o" and provider["apiKey"] == "{{ secret('OPENAI_API_KEY') }}"
    )


def test_validation_sees_merged_properties():
    """FlowServiceTest.shouldReturnTrueWhenValidatingFlowGivenDefaults: a `io.kestra.plugin.core` prefix
    default gives Download its required `uri` and Log a `level`; values a type lacks are ignored."""
    source = flow("""
        tasks:
          - id: download
            type: io.kestra.plugin.core.http.Download
          - id: log
            type: io.kestra.plugin.core.log.Log
            message: This is a message
        pluginDefaults:
          - type: io.kestra.plugin.core
            values:
              level: WARN
              uri: https://kestra.io
    """)
    assert validate(source) == []
    missing = validate(source.replace("pluginDefaults", "pluginDefaultsX", 1))
    assert any(p.kind == "missing-property" and "`uri`" in p.message for p in missing)


def test_malformed_entries_are_reported_with_file_and_line(tmp_path: Path):
    """PluginDefaultValidator wording (No 'type' / No 'values' provided, No property 'invalid' exists in
    plugin ...: flows/tests/invalid-task-defaults.yaml), through the function `walab validate` uses."""
    path = tmp_path / "bad.yml"
    path.write_text(
        flow(f"""
        pluginDefaults:
          - values: {{message: hi}}
          - type: {LOG}
            values: [message, hi]
          - type: {LOG}
          - type: {LOG}
            forcd: true
            values:
              level: WARN
              invalid: Default
          - type: {LOG}
            values: {{message: "{{{{ inputs.x | }}}}"}}
        tasks:
          - id: first
            type: {LOG}
            level: WARN
            message: Never happen
    """)
    )
    [(_, findings)] = _with_engine([path])
    assert all(f.kind == "invalid" and f.file == str(path) for f in findings)
    assert any(f.line == 5 and "No 'type' provided" in f.message for f in findings)
    assert any(f.line == 7 and "`values` must be a map" in f.message for f in findings)
    assert any(f.line == 8 and "No 'values' provided" in f.message for f in findings)
    assert any(f.line == 10 and "`forcd`" in f.message for f in findings)
    assert any(
        f.line == 13 and "No property 'invalid' exists in plugin" in f.message for f in findings
    )
    assert any(f.line == 15 and "inputs.x" in f.message for f in findings)
    assert len(findings) == 6


def test_named_defaults_are_refused_not_ignored():
    problems = validate(
        flow(f"""
        pluginDefaults:
          - type: {RETURN}
            ref: cfg
            values: {{format: x}}
        tasks:
          - id: ret
            type: {RETURN}
            pluginDefaultsRef: cfg
    """)
    )
    assert [(p.kind, p.path) for p in problems] == [
        ("unsupported-property", "pluginDefaults[0].ref"),
        ("unsupported-property", "tasks[0].pluginDefaultsRef"),
    ]


def test_kestra_2_refuses_plugin_defaults_with_the_migration(tmp_path: Path):
    source = flow(f"""
        pluginDefaults:
          - type: {LOG}
            values: {{message: hi}}
        tasks:
          - id: log
            type: {LOG}
    """)
    problems = validate(source, version="2.0")
    [removed] = [p for p in problems if "pluginDefaults" in p.message]
    assert (
        removed.line == 5
        and "removed in Kestra 2.0" in removed.message
        and "inline the values" in removed.message
    )
    assert any(p.kind == "missing-property" and "`message`" in p.message for p in problems)
    path = tmp_path / "old.yml"
    path.write_text(source.replace("pluginDefaults", "taskDefaults"))
    [(_, findings)] = _with_engine([path], version="2.0")
    assert any(f.kind == "removed" and "taskDefaults" in f.message for f in findings)
    assert validate(source) == []
