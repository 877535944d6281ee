"""plugin-ai's tools for the embedded AIAgent and ChatCompletion: KestraFlow and KestraTask.

A tool provider in `tools:` becomes one or more OpenAI functions (name, description, JSON-schema
parameters) built the way plugin-ai builds them (src/main/java/io/kestra/plugin/ai/tool/KestraFlow.java
and KestraTask.java), and an executor that returns the text the model reads back:

- KestraFlow: `kestra_flow_<namespace with _>_<flowId>` for a flow named in the tool (its description
  from the tool or the flow), or the generic `kestra_flow` whose namespace and flowId the model
  chooses. The model may give `inputs` ([{id, value}]), `labels` ([{key, value}]) and `scheduleDate`.
  The flow is *started*, not awaited (plugin-ai creates it through the API with wait=false): the
  model reads the new execution as the API returns it (state CREATED, `url`), never its outputs.
- KestraTask: one `kestra_task_<taskId>` per runnable task; the model fills the properties set to
  "..." and the required ones left unset; the task runs in the agent's own run context and the model
  reads its outputs as JSON ("Success" when it has none).

A failing tool fails the agent task (plugin-ai's toolExecutionErrorHandler rethrows), as does a tool
name the model made up (langchain4j's default hallucinated-tool strategy).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from lab.kestra.engine import known_types
from lab.kestra.engine.flow import COMMON_TASK_PROPS, FLOWABLE_BLOCKS, canonical_type, parse_labels
from lab.kestra.engine.flowables import FLOWABLES
from lab.kestra.engine.tasks.ai_memory import AI, ON_REAL_KESTRA, is_expr
from lab.kestra.engine.tasks.base import REGISTRY, TaskFailed

TOOL = AI + "tool."
KESTRA_FLOW, KESTRA_TASK = TOOL + "KestraFlow", TOOL + "KestraTask"
# The other tool providers of plugin-ai 1.16 (src/main/java/io/kestra/plugin/ai/tool/): they need Kestra's JVM,
# Docker, MCP servers or web-search keys.
PLUGIN_AI_TOOLS = {
    TOOL + n
    for n in (
        "A2AClient",
        "AIAgent",
        "CodeExecution",
        "DockerMcpClient",
        "GoogleCustomWebSearch",
        "Skill",
        "SseMcpClient",
        "StdioMcpClient",
        "StreamableHttpMcpClient",
        "TavilyWebSearch",
    )
}
RENAMED = {
    TOOL + "KestraFlowCalling": KESTRA_FLOW,
    TOOL + "KestraTaskCalling": KESTRA_TASK,
}  # renamed Aug 2025
FLOW_KEYS = {
    "type",
    "description",
    "namespace",
    "flowId",
    "revision",
    "inputs",
    "labels",
    "inheritLabels",
    "scheduleDate",
    "kestraUrl",
    "auth",
    "tenantId",
}
# Kestra tasks that are not RunnableTask (ExecutionUpdatableTask): KestraTask refuses them.
NOT_RUNNABLE = {
    "io.kestra.plugin.core.execution." + n
    for n in ("Labels", "SetVariables", "UnsetVariables", "Exit")
} | {"io.kestra.core.tasks.executions.Labels"}

FLOW_DEFINED_DESCRIPTION = "This tool executes a Kestra flow and outputs the execution details."
FLOW_LLM_DESCRIPTION = (
    "This tool executes a Kestra workflow, also called a flow. This tool will respond with the flow "
    "execution information.\nThe namespace and the ID of the flow must be passed as tool parameters."
)
TASK_DESCRIPTION = (
    "This tool allows you to call a Kestra task. A Kestra task will respond with its output, which is a "
    "map of key/value pairs."
)
PLACEHOLDER = "..."
JSON_TYPES = {
    "string": "string",
    "duration": "string",
    "int": "integer",
    "number": "number",
    "bool": "boolean",
    "map": "object",
    "list": "array",
}


@dataclass(slots=True)
class Tool:
    """One function offered to the model and what runs when the model calls it."""

    name: str
    spec: dict[str, Any]  # the OpenAI `tools[]` entry
    provider: str  # the tool provider's type (the `ai.agent.tool.calls` metric tag)
    execute: Callable[[dict[str, Any]], Awaitable[str]]


def _json(value: Any) -> str:
    """Jackson's compact JSON (nulls left out, non-ASCII kept)."""
    return json.dumps(_drop_none(value), separators=(",", ":"), ensure_ascii=False, default=str)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Kestra's MapUtils.merge: nested maps merged, `extra` winning."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = (
            merge(out[key], value)
            if isinstance(out.get(key), dict) and isinstance(value, dict)
            else value
        )
    return out


def _function(name: str, description: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


# -- validation -------------------------------------------------------------------------------------
def problems(tools: Any) -> list[str]:
    """What the embedded engine cannot honour in an (unrendered) `tools` list."""
    if not tools:
        return []
    if not isinstance(tools, list):
        return ["`tools` must be a list of tool providers, each a mapping with a `type`"]
    out: list[str] = []
    for i, tool in enumerate(tools):
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind == KESTRA_FLOW:
            out += _flow_problems(i, tool)
        elif kind == KESTRA_TASK:
            out += _task_problems(i, tool)
        elif kind in RENAMED:
            out.append(
                f"tools[{i}]: {kind} was renamed {RENAMED[kind]} in plugin-ai and no longer exists; use that type"
            )
        elif kind in PLUGIN_AI_TOOLS:
            out.append(
                f"`tools`: tools are not supported by the embedded engine apart from {KESTRA_FLOW} and "
                f"{KESTRA_TASK}: tools[{i}] is {kind}, which exists in plugin-ai but runs only inside Kestra; "
                f"{ON_REAL_KESTRA}"
            )
        else:
            out.append(
                f"tools[{i}]: {kind!r} is not a plugin-ai tool (Kestra would refuse it: Invalid type); the "
                f"embedded engine runs {KESTRA_FLOW} and {KESTRA_TASK}"
            )
    return out


def _flow_problems(i: int, tool: dict[str, Any]) -> list[str]:
    out = [
        f"tools[{i}] (KestraFlow): unknown property `{k}`; expected {', '.join(sorted(FLOW_KEYS - {'type'}))}"
        for k in sorted(set(tool) - FLOW_KEYS)
    ]
    if tool.get("namespace") is not None and tool.get("flowId") is None:
        out.append(f"tools[{i}] (KestraFlow): Flow ID must be specified when you set the namespace")
    if tool.get("namespace") is None and tool.get("flowId") is not None:
        out.append(f"tools[{i}] (KestraFlow): Namespace must be specified when you set the flow ID")
    tenant = tool.get("tenantId")
    if tenant not in (None, "main") and not is_expr(tenant):
        out.append(
            f"tools[{i}] (KestraFlow): tenantId {tenant!r}: the embedded engine has the one tenant `main`"
        )
    return out


def _task_problems(i: int, tool: dict[str, Any]) -> list[str]:
    out = [
        f"tools[{i}] (KestraTask): unknown property `{k}`; expected tasks"
        for k in sorted(set(tool) - {"type", "tasks"})
    ]
    tasks = tool.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        return out + [
            f"tools[{i}] (KestraTask): `tasks` must be a non-empty list of runnable tasks"
        ]
    for j, task in enumerate(tasks):
        where = f"tools[{i}].tasks[{j}]"
        if not isinstance(task, dict) or not task.get("id") or not task.get("type"):
            out.append(f"{where}: a task must be a mapping with `id` and `type`")
            continue
        kind = str(task["type"])
        cls = _task_class(kind)
        if _flowable(kind):
            out.append(
                f"{where}: The KestraTask tool is only capable of calling runnable tasks but '{task['id']}' "
                f"is not a runnable task."
            )
        elif cls is None:
            if known_types.is_core_namespace(kind) and known_types.exists_in_kestra(kind):
                out.append(
                    f"{where}: {kind} exists in Kestra but is not supported by the embedded engine"
                )
            elif known_types.is_core_namespace(kind):
                out.append(f"{where}: {kind} does not exist in Kestra (Invalid type)")
            else:
                out.append(f"{where}: {kind} is not supported by the embedded engine")
            continue
        else:
            for key in sorted(set(task) - set(cls.PROPERTIES) - COMMON_TASK_PROPS):
                out.append(f"{where} ({kind}): unknown property `{key}`")
            check = getattr(cls, "problems", None)
            out += [f"{where} ({kind}): {m}" for m in (check(task) if check is not None else ())]
    return out


def _task_class(kind: str) -> Any:
    return REGISTRY.get(canonical_type(kind)) or REGISTRY.get(kind)


def _flowable(kind: str) -> bool:
    canonical = canonical_type(kind)
    return canonical in FLOWABLES or canonical in FLOWABLE_BLOCKS or canonical in NOT_RUNNABLE


# -- building the tools at run time -------------------------------------------------------------------
def build(ctx: Any, tools: list[dict[str, Any]]) -> dict[str, Tool]:
    """The tools of a task run by function name (plugin-ai renders the providers when the task runs)."""
    out: dict[str, Tool] = {}
    for provider in tools:
        made = (
            _kestra_flow(ctx, provider)
            if provider.get("type") == KESTRA_FLOW
            else _kestra_task(ctx, provider)
        )
        for tool in made:
            if tool.name in out:
                raise TaskFailed(
                    f"Duplicated definition for tool: {tool.name} (two tools of the agent have this name)"
                )
            out[tool.name] = tool
    return out


LABELS_SCHEMA = {
    "type": "array",
    "description": "The list of labels.",
    "items": {
        "type": "object",
        "properties": {
            "key": {"type": "string", "description": "The label key."},
            "value": {"type": "string", "description": "The label value."},
        },
    },
}
INPUTS_SCHEMA = {
    "type": "array",
    "description": "The list of inputs.",
    "items": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "The input id."},
            "value": {"type": "string", "description": "The input value."},
        },
    },
}
SCHEDULE_SCHEMA = {
    "type": "string",
    "description": "The scheduled date of the flow. Use it only if the flow needs to "
    "be executed later and not immediately.\nIt should be an ISO8601 formatted zoned date time.",
}


def _kestra_flow(ctx: Any, p: dict[str, Any]) -> list[Tool]:
    # (the task's problems(), checked before it runs, refused a namespace without flowId and the reverse)
    engine = ctx.engine
    preset = ctx.render(p.get("inputs") or {})
    inherit = str(ctx.render(p.get("inheritLabels", False))).lower() == "true"
    own = parse_labels(ctx.render(p.get("labels") or []))
    parent = list(ctx.execution.labels)
    props: dict[str, Any] = {"labels": LABELS_SCHEMA, "scheduleDate": SCHEDULE_SCHEMA}

    def find(namespace: str, flow_id: str, revision: Any) -> Any:
        flow = engine.get_flow(namespace, flow_id)
        if flow is None or (revision is not None and int(revision) != flow.revision):
            return None
        return flow

    async def launch(flow: Any, args: dict[str, Any]) -> str:
        if args.get("scheduleDate"):
            raise TaskFailed(
                f"the model asked to schedule {flow.namespace}.{flow.id} at {args['scheduleDate']}: "
                f"scheduled executions are not supported by the embedded engine"
            )
        if inherit:
            keep = [(k, v) for k, v in parent if k not in {fk for fk, _ in flow.labels}]
        else:
            keep = [(k, v) for k, v in parent if k.startswith("system.")]
        given = [
            (str(x.get("key")), str(x.get("value")))
            for x in args.get("labels") or []
            if isinstance(x, dict)
        ]
        labels = given + [(k, v) for k, v in keep + own if k not in {gk for gk, _ in given}]
        inputs = merge(
            preset,
            {
                str(x.get("id")): x.get("value")
                for x in args.get("inputs") or []
                if isinstance(x, dict)
            },
        )
        for inp in flow.inputs:
            if inp.required and inp.defaults is None and inp.id not in inputs:
                raise TaskFailed(f"You need to provide an input with the id '{inp.id}'.")
        correlation = dict(labels).get("system.correlationId")
        try:
            x = await engine.start(
                flow.namespace,
                flow.id,
                inputs=inputs,
                correlation=correlation,
                labels=[(k, v) for k, v in labels if k != "system.correlationId"],
            )
        except Exception as exc:  # noqa: BLE001 - the API's 4xx: the tool call fails with its message
            raise TaskFailed(f"{flow.namespace}.{flow.id} could not be started: {exc}") from None
        data = x.to_json(engine.version)
        data["url"] = (
            f"{str(engine.base_url).rstrip('/')}/ui/main/executions/{x.namespace}/{x.flow_id}/{x.id}"
        )
        return _json(data)

    if p.get("namespace") is not None:
        ns, fid = ctx.render_str(p["namespace"]), ctx.render_str(p["flowId"])
        revision = ctx.render(p.get("revision"))
        flow = find(ns, fid, revision)
        if flow is None:
            raise TaskFailed(f"Unable to find flow '{fid}' in namespace '{ns}'")
        description = (
            ctx.render_str(p["description"])
            if p.get("description") is not None
            else flow.description
        )
        if description is None:
            raise TaskFailed(
                f"A description is required either in the tool's description property or in the flow "
                f"description. Flow {flow.namespace}.{flow.id} does not have a description, and the "
                f"tool's description is empty."
            )
        params: dict[str, Any] = {"type": "object", "description": description, "properties": props}
        if flow.inputs:
            props["inputs"] = INPUTS_SCHEMA
            if any(i.required and i.defaults is None and i.id not in preset for i in flow.inputs):
                params["required"] = ["inputs"]
        name = "kestra_flow_" + "_".join((flow.namespace.replace(".", "_"), flow.id))
        return [
            Tool(
                name,
                _function(name, FLOW_DEFINED_DESCRIPTION, params),
                KESTRA_FLOW,
                lambda args: launch(flow, args),
            )
        ]

    async def chosen(args: dict[str, Any]) -> str:
        ns, fid = str(args.get("namespace")), str(args.get("flowId"))
        flow = find(ns, fid, args.get("revision"))
        if flow is None:
            raise TaskFailed(f"Flow not found: {ns}.{fid}")
        return await launch(flow, args)

    props.update(
        namespace={"type": "string"},
        flowId={"type": "string"},
        revision={"type": "number"},
        inputs=INPUTS_SCHEMA,
    )
    params = {
        "type": "object",
        "description": FLOW_LLM_DESCRIPTION,
        "properties": props,
        "required": ["namespace", "flowId"],
    }
    return [
        Tool(
            "kestra_flow",
            _function("kestra_flow", FLOW_LLM_DESCRIPTION, params),
            KESTRA_FLOW,
            chosen,
        )
    ]


def _kestra_task(ctx: Any, p: dict[str, Any]) -> list[Tool]:
    out: list[Tool] = []
    for task in p.get("tasks") or []:
        cls = _task_class(
            str(task["type"])
        )  # problems() refused the types that are not runnable tasks
        props = {k: v for k, v in task.items() if k not in COMMON_TASK_PROPS}
        # Only "..." placeholders and required properties left unset are the model's to fill.
        open_ = [
            k
            for k, prop in cls.PROPERTIES.items()
            if props.get(k) == PLACEHOLDER or (k not in props and prop.required)
        ]
        doc = (cls.__doc__ or "").strip().split("\n")[0] or None
        params: dict[str, Any] = {
            "type": "object",
            "properties": {k: _schema(cls.PROPERTIES[k].kind) for k in open_},
            "required": [k for k in open_ if cls.PROPERTIES[k].required],
        }
        if doc:
            params["description"] = doc
        name = f"kestra_task_{task.get('id')}"

        async def execute(
            args: dict[str, Any], cls: Any = cls, props: dict[str, Any] = props
        ) -> str:
            outputs = await cls().run(ctx, merge(props, args))
            return _json(outputs) if outputs else "Success"

        out.append(Tool(name, _function(name, TASK_DESCRIPTION, params), KESTRA_TASK, execute))
    return out


def _schema(kind: str) -> dict[str, Any]:
    """plugin-ai's JsonObjectSchemaTranslator on a property: anyOf flattened, unknown types as strings."""
    json_type = JSON_TYPES.get(kind, "string")
    if json_type == "array":
        return {"type": "array", "items": {"type": "string"}}
    if json_type == "object":
        return {"type": "object", "properties": {}}
    return {"type": json_type}
