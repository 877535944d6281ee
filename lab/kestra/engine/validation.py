"""Flow validation: every reason the embedded engine would not run a flow as Kestra does, each
naming the file, line, task and what is expected. Nothing is skipped silently."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

import yaml

from lab import yamlio
from lab.kestra import flow_yaml
from lab.kestra.catalogue.checks import ValueChecker
from lab.kestra.catalogue.reader import TASK, Catalogue, catalogue
from lab.kestra.engine import known_types, plugin_defaults, type_verdict
from lab.kestra.engine import render as R
from lab.kestra.engine.concurrency import BEHAVIORS
from lab.kestra.engine.conditions import check_trigger_conditions
from lab.kestra.engine.expression_names import unsupported_expression
from lab.kestra.engine.flow import COMMON_TASK_PROPS, CORE, canonical_type
from lab.kestra.engine.schedule import SCHEDULE_TYPES
from lab.kestra.engine.tasks import load_all
from lab.kestra.engine.tasks.base import REGISTRY

REAL_KESTRA = known_types.REAL_KESTRA
FLOW_KEYS = {
    "id",
    "namespace",
    "revision",
    "description",
    "labels",
    "inputs",
    "variables",
    "tasks",
    "errors",
    "finally",
    "triggers",
    "outputs",
    "disabled",
    "retry",
    "tenantId",
    "deleted",
    "concurrency",
}
UNSUPPORTED_FLOW_KEYS = {
    "afterExecution",
    "sla",
    "checks",
    "workerGroup",
    "listeners",
    "template",
}
PLUGIN_DEFAULTS_REMOVED = (
    "was removed in Kestra 2.0 (at every scope, with its older name taskDefaults); inline the "
    "values onto each task, or keep shared values in the flow's `variables` and use "
    "{{ vars.name }}; on Enterprise Edition a Policy with an Add rule replaces it"
)
INPUT_TYPES = {
    "STRING",
    "INT",
    "FLOAT",
    "BOOL",
    "BOOLEAN",
    "DATETIME",
    "DATE",
    "TIME",
    "DURATION",
    "JSON",
    "YAML",
    "URI",
    "ARRAY",
    "SELECT",
    "MULTISELECT",
    "ENUM",
    "EMAIL",
    "SECRET",
}
KESTRA_INPUT_TYPES = INPUT_TYPES | {"FILE", "BOOLEAN"}
ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$")
NAMESPACE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
TASK_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")

# Properties of the flowable tasks the executor runs itself (see flowables.py).
FLOWABLE_PROPS: dict[str, tuple[set[str], set[str]]] = {  # type -> (accepted, required)
    CORE + "flow.If": ({"condition", "then", "else", "errors", "finally"}, {"condition", "then"}),
    CORE + "flow.Switch": ({"value", "cases", "defaults", "errors", "finally"}, {"value"}),
    CORE + "flow.Sequential": ({"tasks", "errors", "finally"}, {"tasks"}),
    CORE + "flow.Parallel": ({"tasks", "concurrent", "errors", "finally"}, {"tasks"}),
    CORE + "flow.ForEach": (
        {"values", "concurrencyLimit", "tasks", "errors", "finally"},
        {"values", "tasks"},
    ),
    CORE + "flow.EachSequential": ({"value", "tasks", "errors", "finally"}, {"value", "tasks"}),
    CORE + "flow.EachParallel": (
        {"value", "concurrent", "tasks", "errors", "finally"},
        {"value", "tasks"},
    ),
    CORE + "flow.AllowFailure": ({"tasks", "errors", "finally"}, {"tasks"}),
    CORE + "flow.LoopUntil": (
        {"condition", "tasks", "checkFrequency", "failOnMaxReached", "errors", "finally"},
        {"condition", "tasks"},
    ),
    CORE + "flow.Loop": (
        {
            "values",
            "concurrencyLimit",
            "transmitFailed",
            "outputs",
            "fetchType",
            "tasks",
            "errors",
            "finally",
        },
        {"values", "tasks"},
    ),
    CORE + "flow.Pause": (
        {"pauseDuration", "delay", "behavior", "onResume", "tasks", "errors", "finally"},
        set(),
    ),
    CORE + "flow.Subflow": (
        {
            "namespace",
            "flowId",
            "revision",
            "inputs",
            "labels",
            "wait",
            "transmitFailed",
            "inheritLabels",
            "outputs",
        },
        {"namespace", "flowId"},
    ),
}
REMOVED_IN_2 = {
    CORE + "flow.ForEach",
    CORE + "flow.EachSequential",
    CORE + "flow.EachParallel",
    CORE + "flow.ForEachItem",
    CORE + "debug.Echo",
}
ADDED_IN_2 = {CORE + "flow.Loop"}
RETRY = "io.kestra.core.models.tasks.retrys.AbstractRetry"
CONDITION = "io.kestra.core.models.conditions.Condition"
INPUT = "io.kestra.core.models.flows.Input"
WEBHOOK_PROPS = {
    "key",
    "wait",
    "returnOutputs",
    "inputs",
    "responseContentType",
    "responseCode",
    "description",
    "disabled",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation finding. `kind`: yaml, missing, invalid, unknown-type, unsupported-type,
    unknown-property, unsupported-property, missing-property, expression, duplicate-id; and the
    warnings (`severity` "warning": the flow still deploys and runs) needs-fixture (a real task
    the embedded engine stands in for only with a fixture) and deprecated."""

    kind: str
    message: str
    path: str
    line: int | None = None
    file: str | None = None
    hint: str | None = None
    severity: str = "error"

    @property
    def where(self) -> str:
        place = self.file or "<flow>"
        return f"{place}:{self.line}" if self.line else place

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Checker:
    def __init__(
        self,
        source: str,
        file: str | None,
        version: str,
        raw: dict[str, Any] | None = None,
        deep: bool = True,
    ) -> None:
        self.source = source
        self.raw = raw  # the flow as written, when the checked flow has plugin defaults merged in
        self.file = file
        self.version = version
        self.problems: list[Problem] = []
        self.task_ids: dict[str, tuple[Any, ...]] = {}
        self._nodes: Any = None  # the composed source, for lines (False when it cannot be composed)
        self.deep = deep  # check every value against the catalogue (walab validate), not only types (deploy)
        self.defaulted: tuple[str, ...] = ()  # types the flow's pluginDefaults give values to (1.3)

    @property
    def catalogue(self) -> Catalogue:
        """Loaded on first need: a deploy of flows the engine runs whole never reads it."""
        return catalogue()

    def line(self, path: tuple[Any, ...]) -> int | None:
        """The line of a path in the flow's source, the document composed once per flow."""
        if self._nodes is None:
            try:
                self._nodes = yaml.compose(self.source, Loader=yamlio._Loader)
            except (yaml.YAMLError, UnicodeEncodeError):
                self._nodes = False
        return yamlio.line_in(self._nodes, list(path)) if self._nodes is not False else None

    def add(self, kind: str, message: str, path: tuple[Any, ...], severity: str = "error") -> None:
        line = self.line(path) if path else 1
        self.problems.append(
            Problem(kind, message, _dotted(path), line, self.file, severity=severity)
        )

    def values(self) -> ValueChecker:
        """A checker of values against the catalogue whose nested task lists come back here."""
        return ValueChecker(catalogue, self.version, tasks=self.tasks, defaulted=self.defaulted)

    def report(self, checker: ValueChecker) -> None:
        for finding in checker.findings:
            self.add(finding.kind, finding.message, finding.path, finding.severity)

    def written(self, path: tuple[Any, ...], merged: dict[str, Any]) -> dict[str, Any]:
        """The mapping at `path` as the author wrote it (without plugin defaults merged in)."""
        node: Any = self.raw
        if node is None:
            return merged
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return {}
        return node if isinstance(node, dict) else {}

    # -- flow ---------------------------------------------------------------------------------
    def flow(self, data: dict[str, Any]) -> None:
        for key in ("id", "namespace", "tasks"):
            if data.get(key) in (None, "", []):
                self.add(
                    "missing",
                    f"the flow has no `{key}`: a flow needs id, namespace and tasks",
                    (key,) if key in data else (),
                )
        if isinstance(data.get("id"), str) and not ID.match(data["id"]):
            self.add("invalid", f"flow id {data['id']!r} must match {ID.pattern}", ("id",))
        if isinstance(data.get("namespace"), str) and not NAMESPACE.match(data["namespace"]):
            self.add(
                "invalid",
                f"namespace {data['namespace']!r} must be lowercase and match {NAMESPACE.pattern}",
                ("namespace",),
            )
        for key in data:
            if key in plugin_defaults.FIELDS:
                self.plugin_defaults(key, data[key])
            elif key in UNSUPPORTED_FLOW_KEYS:
                self.add(
                    "unsupported-property",
                    f"flow property `{key}` exists in Kestra but the embedded engine "
                    f"does not support it; remove it or {REAL_KESTRA}",
                    (key,),
                )
            elif key not in FLOW_KEYS:
                self.add(
                    "unknown-property",
                    f"unknown flow property `{key}` (Kestra: Unrecognized field "
                    f"\"{key}\"); expected one of {', '.join(sorted(FLOW_KEYS))}",
                    (key,),
                )
        if "concurrency" in data:
            self.concurrency(data["concurrency"])
        for i, inp in enumerate(data.get("inputs") or []):
            self.input(inp, ("inputs", i))
        for block in ("tasks", "errors", "finally"):
            self.tasks(data.get(block), (block,))
        for i, out in enumerate(data.get("outputs") or []):
            if not isinstance(out, dict) or "id" not in out or "value" not in out:
                self.add(
                    "missing-property",
                    "a flow output needs `id`, `type` and `value`",
                    ("outputs", i),
                )
            else:
                self.expressions(out.get("value"), ("outputs", i, "value"), f"output {out['id']}")
        for i, trig in enumerate(data.get("triggers") or []):
            self.trigger(trig, ("triggers", i))

    def concurrency(self, block: Any) -> None:
        """Kestra's `Concurrency`: `limit` (an integer >= 1, required) and `behavior`."""
        path = ("concurrency",)
        if not isinstance(block, dict):
            self.add("invalid", "`concurrency` must be a map: {limit: 1, behavior: QUEUE}", path)
            return
        for key in block:
            if key not in ("limit", "behavior"):
                self.add(
                    "unknown-property",
                    f"unknown property `{key}` of `concurrency` (Kestra: Unrecognized field "
                    f'"{key}"); expected limit and behavior',
                    (*path, key),
                )
        limit = block.get("limit")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            self.add(
                "invalid",
                f"`concurrency.limit` must be an integer of at least 1 (got {limit!r}): how many "
                "executions of the flow may run at once",
                (*path, "limit") if "limit" in block else path,
            )
        behavior = block.get("behavior", "QUEUE")
        if behavior not in BEHAVIORS:
            self.add(
                "invalid",
                f"`concurrency.behavior` must be one of {', '.join(BEHAVIORS)} (got {behavior!r})",
                (*path, "behavior"),
            )

    def plugin_defaults(self, key: str, block: Any) -> None:
        if isinstance(block, list):
            self.defaulted += tuple(
                str(e["type"]) for e in block if isinstance(e, dict) and e.get("type")
            )
        if self.version.startswith("2"):
            self.add("unknown-property", f"flow property `{key}` {PLUGIN_DEFAULTS_REMOVED}", (key,))
            return
        for kind, message, path in plugin_defaults.entry_problems(block, key, self.accepted_of):
            self.add(kind, message, path)
        for i, entry in enumerate(block if isinstance(block, list) else []):
            if isinstance(entry, dict) and isinstance(entry.get("values"), dict):
                self.expressions(entry["values"], (key, i, "values"), f"{key}[{i}]")

    def accepted_of(self, type_name: str) -> set[str] | None:
        """The properties of a task type Kestra accepts (Kestra checks a default's values against
        the class it names; a prefix or unknown type is not checked)."""
        canonical = canonical_type(type_name)
        if canonical in FLOWABLE_PROPS:
            return FLOWABLE_PROPS[canonical][0] | COMMON_TASK_PROPS
        cls = REGISTRY.get(canonical) or REGISTRY.get(type_name)
        if cls is not None:
            return set(cls.PROPERTIES) | COMMON_TASK_PROPS
        info = self.catalogue.type(type_name)
        if info is None or info.open:
            return None
        props = self.catalogue.properties(info.name, self.version)
        return set(props) | {a for p in props.values() for a in p.aliases}

    def input(self, inp: Any, path: tuple[Any, ...]) -> None:
        if not isinstance(inp, dict) or not inp.get("id"):
            self.add("missing-property", "an input needs an `id` and a `type`", path)
            return
        kind = str(inp.get("type", "")).upper()
        written = self.written(path, inp)
        in_version = self.catalogue.subtypes(INPUT, self.version) if self.deep else {}
        if self.deep and kind in self.catalogue.subtypes(INPUT) and kind not in in_version:
            self.add(
                "unknown-property",
                f"input `{inp['id']}`: type {kind} was removed in Kestra {self.version}"
                + ("; use BOOL" if kind == "BOOLEAN" else ""),
                path + ("type",),
            )
            return
        if kind in in_version:
            checker = self.values()
            checker.check_object(
                written, in_version[kind], f"input `{inp['id']}`", path, skip={"id"}
            )
            self.report(checker)
        if kind not in KESTRA_INPUT_TYPES:
            self.add(
                "invalid",
                f"input `{inp['id']}` has unknown type {inp.get('type')!r}; expected one of "
                f"{', '.join(sorted(INPUT_TYPES))}",
                path + ("type",),
            )
        elif kind not in INPUT_TYPES:
            self.add(
                "unsupported-type",
                f"input `{inp['id']}` of type {kind} is not supported by the embedded "
                f"engine; {REAL_KESTRA}",
                path + ("type",),
            )

    def trigger(self, trig: Any, path: tuple[Any, ...]) -> None:
        if not isinstance(trig, dict) or not trig.get("id") or not trig.get("type"):
            self.add("missing-property", "a trigger needs `id` and `type`", path)
            return
        if trig["type"] in (
            CORE + "trigger.Webhook",
            "io.kestra.core.models.triggers.types.Webhook",
        ):
            if not trig.get("key"):
                self.add("missing-property", f"webhook trigger `{trig['id']}` needs a `key`", path)
            written = self.written(path, trig)
            for key in written:
                if key in ("id", "type"):
                    continue
                if key in ("conditions", "when"):
                    continue  # checked below, by the conditions module
                if key not in WEBHOOK_PROPS:
                    self.add(
                        "unknown-property",
                        f"webhook trigger `{trig['id']}`: unknown property `{key}`",
                        path + (key,),
                    )
            for kind, message, sub in check_trigger_conditions(trig, self.version):
                self.add(kind, message, path + sub)
            for key in (
                "conditions",
                "when",
            ):  # a value a plugin default supplied is checked where it is declared
                if key in written:
                    self.expressions(
                        written[key], path + (key,), f"webhook trigger `{trig['id']}` `{key}`"
                    )
            return
        self.other_trigger(trig, path)

    def other_trigger(self, trig: dict[str, Any], path: tuple[Any, ...]) -> None:
        """Any trigger but the webhook: Kestra's properties and conditions; the engine never fires it."""
        type_name, label = str(trig["type"]), f"trigger `{trig['id']}`"
        if not self.deep and canonical_type(type_name) in SCHEDULE_TYPES:
            return  # a deploy: the engine reads its own Schedule trigger (schedule.py says what's wrong)
        verdict = type_verdict.trigger_type(self.catalogue, type_name, label, self.version)
        for kind, message, severity in verdict:
            self.add(kind, message, path + ("type",), severity)
        info = self.catalogue.type(type_name)
        if verdict or info is None:
            return
        written = self.written(path, trig)
        checker = self.values()
        checker.check_object(
            written,
            info.name,
            f"{label} ({type_name.rpartition('.')[2]})",
            path,
            open_=info.open,
            supplied=trig,
            skip={"conditions"} if self.version.startswith("1") else set(),
        )
        conditions = written.get("conditions")
        if isinstance(conditions, list) and self.version.startswith("1"):
            for i, condition in enumerate(conditions):
                if isinstance(condition, dict):
                    checker.check_plugin(
                        condition, CONDITION, f"{label} condition {i}", path + ("conditions", i)
                    )
        self.report(checker)
        for key, value in written.items():
            if key not in ("id", "type", "description"):
                self.expressions(value, path + (key,), label)

    # -- tasks --------------------------------------------------------------------------------
    def tasks(self, tasks: Any, path: tuple[Any, ...]) -> None:
        if tasks is None:
            return
        if not isinstance(tasks, list):
            self.add("invalid", f"`{path[-1]}` must be a list of tasks", path)
            return
        for i, task in enumerate(tasks):
            self.task(task, path + (i,))

    def task(self, task: Any, path: tuple[Any, ...]) -> None:
        if not isinstance(task, dict):
            self.add("invalid", "a task must be a mapping with `id` and `type`", path)
            return
        tid = task.get("id")
        if isinstance(tid, bool):
            # Kestra's YAML (Jackson on SnakeYAML, YAML 1.1) reads unquoted yes/no/on/off as booleans and
            # would silently name the task "true"/"false": reported here rather than copied.
            self.add(
                "invalid",
                f"task id reads as the boolean {str(tid).lower()}: Kestra's YAML 1.1 parser turns "
                f"unquoted yes/no/on/off into booleans, so Kestra would name this task "
                f'"{str(tid).lower()}"; quote it (e.g. id: "off")',
                path + ("id",),
            )
        elif not tid:
            self.add("missing-property", "a task needs an `id`", path)
        elif not TASK_ID.match(str(tid)):
            self.add(
                "invalid", f"task id {tid!r} must match {TASK_ID.pattern} (no dots)", path + ("id",)
            )
        elif str(tid) in self.task_ids:
            self.add(
                "duplicate-id",
                f"task id `{tid}` is used twice (also at {_dotted(self.task_ids[str(tid)])})",
                path + ("id",),
            )
        else:
            self.task_ids[str(tid)] = path
        label = f"task `{tid}`"
        type_name = task.get("type")
        if not type_name:
            self.add("missing-property", f"{label} has no `type`", path)
            return
        accepted, required = self.type_props(str(type_name), label, path + ("type",))
        if task.get("taskCache") is not None:
            self.add(
                "unsupported-property",
                f"{label}: `taskCache` is not supported by the embedded engine (every "
                f"run executes the task); remove it or {REAL_KESTRA}",
                path + ("taskCache",),
            )
        written = self.written(path, task)
        info = self.catalogue.type(str(type_name)) if accepted is None or self.deep else None
        known = self.catalogue.properties(info.name, self.version) if info is not None else {}
        checker = self.values()
        if (
            accepted is None
        ):  # a type the engine does not run: Kestra's own properties, at any depth
            if info is not None and self.version in info.versions and info.category == "task":
                checker.check_object(
                    written,
                    info.name,
                    f"{label} ({type_name})",
                    path,
                    open_=info.open,
                    supplied=task,
                    skip={"retry", "pluginDefaultsRef", "id"},
                )
        for key in written:
            if key == "pluginDefaultsRef" and not self.version.startswith("2"):
                self.add(
                    "unsupported-property",
                    f"{label}: `pluginDefaultsRef` (named plugin defaults) is not "
                    f"supported by the embedded engine; {REAL_KESTRA}",
                    path + (key,),
                )
            elif accepted is None or key in ("id", "type", "retry"):
                continue
            elif key in COMMON_TASK_PROPS or key in accepted:
                prop = known.get(key)
                if (
                    prop is not None and f"ref:{TASK}" not in prop.type
                ):  # task lists: checked as tasks below
                    if prop.deprecated:
                        self.add(
                            "deprecated",
                            f"{label}: `{key}` is deprecated in Kestra {self.version}",
                            path + (key,),
                            "warning",
                        )
                    checker.check_value(written[key], prop, f"{label} `{key}`", path + (key,))
            elif key in known:
                self.add(
                    "unsupported-property",
                    f"{label} ({type_name}): `{key}` exists in Kestra but the embedded "
                    f"engine does not support it; remove it or {REAL_KESTRA}",
                    path + (key,),
                )
            elif info is not None and self.catalogue.other_versions(info.name, key, self.version):
                checker.unknown(info.name, key, f"{label} ({type_name})", path + (key,), known)
            else:
                close = difflib.get_close_matches(
                    key, sorted(accepted | set(known)), n=1, cutoff=0.6
                )
                self.add(
                    "unknown-property",
                    f"{label} ({type_name}): unknown property `{key}`"
                    + (f"; did you mean `{close[0]}`?" if close else "")
                    + f"; expected {', '.join(sorted(accepted)) or 'no other property'}",
                    path + (key,),
                )
        for key in required or ():
            if task.get(key) is None:
                self.add(
                    "missing-property",
                    f"{label} ({type_name}): missing required property `{key}`",
                    path,
                )
        self.report(checker)
        # A task type may also name what it cannot honour in properties Kestra accepts (AI tools...).
        check = getattr(
            REGISTRY.get(canonical_type(str(type_name))) or REGISTRY.get(str(type_name)),
            "problems",
            None,
        )
        for message in check(task) if check is not None else ():
            self.add("unsupported-property", f"{label} ({type_name}): {message}", path)
        if isinstance(task.get("retry"), dict) and "retry" in written:
            self.retry(task["retry"], label, path + ("retry",))
        canonical = canonical_type(str(type_name))
        for key, value in task.items():
            if key in ("id", "type", "description") or key not in written:
                continue  # a value a plugin default supplied is checked where the default is declared
            if canonical == CORE + "flow.Loop" and key == "outputs":
                self.expressions(value, path + (key,), label)
            elif canonical in FLOWABLE_PROPS and key in (
                "tasks",
                "then",
                "else",
                "errors",
                "finally",
                "defaults",
            ):
                self.tasks(value, path + (key,))
            elif canonical == CORE + "flow.Switch" and key == "cases" and isinstance(value, dict):
                for case, tasks in value.items():
                    self.tasks(tasks, path + ("cases", case))
            else:
                self.expressions(written[key], path + (key,), label)

    def type_props(
        self, type_name: str, label: str, path: tuple[Any, ...]
    ) -> tuple[set[str] | None, set[str]]:
        canonical = canonical_type(type_name)
        if self.version.startswith("2") and canonical in REMOVED_IN_2:
            self.add(
                "unknown-type",
                f"{label}: {type_name} was removed in Kestra 2.0 (use io.kestra.plugin.core.flow.Loop"
                " for loops)",
                path,
            )
            return None, set()
        if not self.version.startswith("2") and canonical in ADDED_IN_2:
            self.add(
                "unknown-type",
                f"{label}: {type_name} exists only from Kestra 2.0; use ForEach on 1.3",
                path,
            )
            return None, set()
        if canonical in FLOWABLE_PROPS:
            accepted, required = FLOWABLE_PROPS[canonical]
            if canonical == CORE + "flow.Subflow" and self.version.startswith("2"):
                accepted = accepted - {"outputs"}
            return accepted, required
        cls = REGISTRY.get(canonical) or REGISTRY.get(type_name)
        if cls is not None:
            props = cls.PROPERTIES
            return set(props), {k for k, p in props.items() if p.required}
        self.catalogue_type(type_name, label, path)
        return None, set()

    def catalogue_type(self, type_name: str, label: str, path: tuple[Any, ...]) -> None:
        """Kestra's verdict on a task type the embedded engine does not run."""
        for kind, message, severity in type_verdict.task_type(
            self.catalogue, type_name, label, self.version
        ):
            self.add(kind, message, path, severity)

    def retry(self, retry: dict[str, Any], label: str, path: tuple[Any, ...]) -> None:
        kind = str(retry.get("type", "")).lower()
        if kind not in ("constant", "exponential", "random"):
            self.add(
                "invalid", f"{label}: retry type must be constant, exponential or random", path
            )
        if "maxAttempt" in retry and self.version.startswith("2"):
            self.add(
                "unknown-property",
                f"{label}: retry.maxAttempt was removed in Kestra 2.0; use maxAttempts",
                path + ("maxAttempt",),
            )
        if kind == "exponential" and ("interval" not in retry or "maxInterval" not in retry):
            self.add(
                "missing-property",
                f"{label}: an exponential retry needs `interval` and `maxInterval`",
                path,
            )
        if kind == "random" and ("minInterval" not in retry or "maxInterval" not in retry):
            self.add(
                "missing-property",
                f"{label}: a random retry needs `minInterval` and `maxInterval`",
                path,
            )
        if (
            kind in ("constant", "exponential", "random") and self.deep
        ):  # the rest of its keys, as Kestra's classes declare them
            checker = self.values()
            checker.check_object(
                retry,
                self.catalogue.subtypes(RETRY)[kind],
                f"{label} retry",
                path,
                skip={"maxAttempt"},
            )
            checker.findings = [f for f in checker.findings if f.kind != "missing-property"]
            self.report(checker)

    def expressions(self, value: Any, path: tuple[Any, ...], label: str) -> None:
        if isinstance(value, str):
            if not R.has_expression(value):
                return
            try:
                unknown = R.expr().unsupported_names(value)
            except Exception as exc:  # noqa: BLE001 - any compile failure is the finding
                self.add("expression", f"{label}: {getattr(exc, 'what', exc)} in {value!r}", path)
                return
            if unknown:
                for message in unsupported_expression(value, unknown, self.version):
                    self.add("expression", f"{label}: {message}", path)
        elif isinstance(value, dict):
            for k, v in value.items():
                self.expressions(v, path + (k,), label)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.expressions(v, path + (i,), label)


def validate(
    source: str, *, path: str | None = None, version: str = "1.3", deep: bool = True
) -> list[Problem]:
    """Every problem in a flow's YAML source (empty when the embedded engine runs it as Kestra does).
    `deep=False` (a deploy) checks the values of the types the engine runs without the catalogue."""
    load_all()
    try:
        data = flow_yaml.load_flow(source)
    except flow_yaml.DuplicateKey as exc:
        return [Problem("yaml", exc.problem, "", exc.lines[1], path)]
    except yamlio.YamlLimitExceeded as exc:
        line, _column, problem = yamlio.explain(exc)
        return [Problem("yaml", f"refused: {problem}", "", line, path, hint=exc.fix)]
    except yaml.MarkedYAMLError as exc:
        line, _column, problem = yamlio.explain(exc)
        return [Problem("yaml", f"not valid YAML: {problem}", "", line, path)]
    except yaml.YAMLError as exc:
        return [Problem("yaml", f"not valid YAML: {exc}", "", None, path)]
    if not isinstance(data, dict):
        return [
            Problem("missing", "a flow is a YAML mapping with id, namespace and tasks", "", 1, path)
        ]
    merged = data if version.startswith("2") else plugin_defaults.apply(data)
    checker = _Checker(source, path, version, raw=data if merged is not data else None, deep=deep)
    checker.flow(merged)
    return checker.problems
