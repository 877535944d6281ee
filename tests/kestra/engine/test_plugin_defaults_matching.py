"""Which plugin defaults reach a plugin, and in what order. Kestra 1.3 applies defaults of different
types in the iteration order of the java.util.HashMap that Collectors.groupingBy(PluginDefault::getType)
builds with computeIfAbsent (PluginDefaultService.pluginDefaultsToMap). Every expected order here was
printed by that collector on a JVM (OpenJDK 17)."""

from __future__ import annotations

from engine_helpers import flow

from lab.kestra.engine import Engine
from lab.kestra.engine.plugin_defaults import _by_type

LOG = "io.kestra.plugin.core.log.Log"
RETURN = "io.kestra.plugin.core.debug.Return"


def props(source: str) -> dict[str, dict]:
    return {t.id: t.props for t in Engine().deploy(source).all_tasks()}


def order(*types: str) -> list[str]:
    return [name for name, _ in _by_type([(name, False, {}) for name in types])]


def test_exact_and_prefix_defaults_apply_in_java_hashmap_order_not_declaration_order():
    """Checked on a JVM, the key io.kestra.plugin.core.debug (bucket 2) comes before ...debug.Return
    (15), io.kestra.plugin.core.log.Log (11) before io.kestra.plugin.core (14); the first non-forced
    one fills the property."""
    source = flow(f"""
        pluginDefaults:
          - {{type: {RETURN}, values: {{format: exact}}}}
          - {{type: io.kestra.plugin.core.debug, values: {{format: prefix}}}}
          - {{type: io.kestra.plugin.core, values: {{message: prefix}}}}
          - {{type: {LOG}, values: {{message: exact}}}}
        tasks: [{{id: ret, type: {RETURN}}}, {{id: log, type: {LOG}}}]
    """)
    got = props(source)
    assert got["ret"]["format"] == "prefix" and got["log"]["message"] == "exact"


def test_keys_of_one_bucket_iterate_newest_first():
    """ "Aa" and "BB" have the same String.hashCode: computeIfAbsent puts the newer at the bucket's head."""
    assert order("Aa", "BB") == ["BB", "Aa"]
    assert order("BB", "Aa") == ["Aa", "BB"]


def test_the_table_grows_on_the_call_after_it_passes_three_quarters_full():
    """computeIfAbsent resizes before its lookup when size > threshold (12 of 16), never right after an
    insert: 13 types keep 16 buckets; one more call, even for a type already seen, doubles the table."""
    names = [f"p{i}" for i in range(13)]
    assert order(*names) == [
        "p12",
        "p0",
        "p11",
        "p1",
        "p2",
        "p3",
        "p4",
        "p5",
        "p6",
        "p7",
        "p8",
        "p9",
        "p10",
    ]
    grown = ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "p12", "p11"]
    assert order(*names, "p0") == grown
    assert order(*names, "p13") == [*grown, "p13"]


def test_thirteen_types_of_defaults_apply_in_the_order_of_sixteen_buckets():
    """End to end: with 13 default types ...log.Log (bucket 11 of 16) fills the message before
    io.kestra.plugin.core (14); a 14th default grows the table and Log moves to bucket 27, after it."""
    fillers = "".join(f"\n  - {{type: z.filler{i}, values: {{x: 1}}}}" for i in range(11))
    head = f"pluginDefaults:\n  - {{type: io.kestra.plugin.core, values: {{message: prefix}}}}{fillers}"
    log = f"\n  - {{type: {LOG}, values: {{message: exact}}}}"
    tasks = f"\ntasks: [{{id: log, type: {LOG}}}]\n"
    assert props(flow(head + log + tasks))["log"]["message"] == "exact"
    assert (
        props(flow(head + log + "\n  - {type: z.filler0, values: {y: 2}}" + tasks))["log"][
            "message"
        ]
        == "prefix"
    )
    assert (
        props(flow(head + "\n  - {type: z.filler11, values: {x: 1}}" + log + tasks))["log"][
            "message"
        ]
        == "prefix"
    )


def test_a_default_declared_with_a_condition_alias_reaches_the_canonical_condition():
    """addAliases resolves every plugin alias Kestra registers, conditions' too."""
    source = flow("""
        pluginDefaults:
          - type: io.kestra.plugin.core.condition.ExpressionCondition
            values: {expression: "{{ trigger.body.ok }}"}
        tasks: [{id: log, type: io.kestra.plugin.core.log.Log, message: hi}]
        triggers:
          - id: hook
            type: io.kestra.plugin.core.trigger.Webhook
            key: k
            conditions: [{type: io.kestra.plugin.core.condition.Expression}]
    """)
    [trigger] = Engine().deploy(source).triggers
    assert trigger.props["conditions"] == [
        {
            "type": "io.kestra.plugin.core.condition.Expression",
            "expression": "{{ trigger.body.ok }}",
        }
    ]
