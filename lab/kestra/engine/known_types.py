"""Every plugin class of Kestra's core plugin (io.kestra.plugin.core.*), with its legacy aliases.

Read from the `@Plugin` classes of Kestra 1.3.25 (core/src/main/java/io/kestra/plugin/core/**) plus the
2.0 additions (flow.Loop). A type in the core namespace that is not here does not exist in Kestra.
"""

from __future__ import annotations

import difflib

REAL_KESTRA = "run it on a real Kestra (docker-compose.yml)"

CORE_TYPES: frozenset[str] = frozenset(
    {
        "io.kestra.plugin.core.condition.DateTimeBetween",
        "io.kestra.plugin.core.condition.DayWeek",
        "io.kestra.plugin.core.condition.DayWeekInMonth",
        "io.kestra.plugin.core.condition.ExecutionFlow",
        "io.kestra.plugin.core.condition.ExecutionLabels",
        "io.kestra.plugin.core.condition.ExecutionNamespace",
        "io.kestra.plugin.core.condition.ExecutionOutputs",
        "io.kestra.plugin.core.condition.ExecutionStatus",
        "io.kestra.plugin.core.condition.Expression",
        "io.kestra.plugin.core.condition.FlowCondition",
        "io.kestra.plugin.core.condition.FlowNamespaceCondition",
        "io.kestra.plugin.core.condition.HasRetryAttempt",
        "io.kestra.plugin.core.condition.MultipleCondition",
        "io.kestra.plugin.core.condition.Not",
        "io.kestra.plugin.core.condition.Or",
        "io.kestra.plugin.core.condition.PublicHoliday",
        "io.kestra.plugin.core.condition.TimeBetween",
        "io.kestra.plugin.core.condition.Weekend",
        "io.kestra.plugin.core.dashboard.chart.Bar",
        "io.kestra.plugin.core.dashboard.chart.KPI",
        "io.kestra.plugin.core.dashboard.chart.Markdown",
        "io.kestra.plugin.core.dashboard.chart.Pie",
        "io.kestra.plugin.core.dashboard.chart.Table",
        "io.kestra.plugin.core.dashboard.chart.TimeSeries",
        "io.kestra.plugin.core.dashboard.data.Executions",
        "io.kestra.plugin.core.dashboard.data.ExecutionsKPI",
        "io.kestra.plugin.core.dashboard.data.Flows",
        "io.kestra.plugin.core.dashboard.data.FlowsKPI",
        "io.kestra.plugin.core.dashboard.data.Logs",
        "io.kestra.plugin.core.dashboard.data.LogsKPI",
        "io.kestra.plugin.core.dashboard.data.Metrics",
        "io.kestra.plugin.core.dashboard.data.MetricsKPI",
        "io.kestra.plugin.core.dashboard.data.Triggers",
        "io.kestra.plugin.core.debug.Echo",
        "io.kestra.plugin.core.debug.Return",
        "io.kestra.plugin.core.execution.Assert",
        "io.kestra.plugin.core.execution.Count",
        "io.kestra.plugin.core.execution.Exit",
        "io.kestra.plugin.core.execution.Fail",
        "io.kestra.plugin.core.execution.Labels",
        "io.kestra.plugin.core.execution.PurgeExecutions",
        "io.kestra.plugin.core.execution.Resume",
        "io.kestra.plugin.core.execution.SetVariables",
        "io.kestra.plugin.core.execution.UnsetVariables",
        "io.kestra.plugin.core.flow.AllowFailure",
        "io.kestra.plugin.core.flow.Dag",
        "io.kestra.plugin.core.flow.EachParallel",
        "io.kestra.plugin.core.flow.EachSequential",
        "io.kestra.plugin.core.flow.ForEach",
        "io.kestra.plugin.core.flow.ForEachItem",
        "io.kestra.plugin.core.flow.If",
        "io.kestra.plugin.core.flow.Loop",
        "io.kestra.plugin.core.flow.LoopUntil",
        "io.kestra.plugin.core.flow.Parallel",
        "io.kestra.plugin.core.flow.Pause",
        "io.kestra.plugin.core.flow.Sequential",
        "io.kestra.plugin.core.flow.Sleep",
        "io.kestra.plugin.core.flow.Subflow",
        "io.kestra.plugin.core.flow.Switch",
        "io.kestra.plugin.core.flow.Template",
        "io.kestra.plugin.core.flow.WorkingDirectory",
        "io.kestra.plugin.core.http.Download",
        "io.kestra.plugin.core.http.Request",
        "io.kestra.plugin.core.http.SseRequest",
        "io.kestra.plugin.core.http.Trigger",
        "io.kestra.plugin.core.kv.Delete",
        "io.kestra.plugin.core.kv.Get",
        "io.kestra.plugin.core.kv.GetKeys",
        "io.kestra.plugin.core.kv.PurgeKV",
        "io.kestra.plugin.core.kv.Put",
        "io.kestra.plugin.core.kv.Set",
        "io.kestra.plugin.core.log.Fetch",
        "io.kestra.plugin.core.log.Log",
        "io.kestra.plugin.core.log.PurgeLogs",
        "io.kestra.plugin.core.metric.Publish",
        "io.kestra.plugin.core.namespace.DeleteFiles",
        "io.kestra.plugin.core.namespace.DownloadFiles",
        "io.kestra.plugin.core.namespace.PurgeFiles",
        "io.kestra.plugin.core.namespace.UploadFiles",
        "io.kestra.plugin.core.output.OutputValues",
        "io.kestra.plugin.core.runner.Process",
        "io.kestra.plugin.core.state.Delete",
        "io.kestra.plugin.core.state.Get",
        "io.kestra.plugin.core.state.Set",
        "io.kestra.plugin.core.storage.Concat",
        "io.kestra.plugin.core.storage.DeduplicateItems",
        "io.kestra.plugin.core.storage.Delete",
        "io.kestra.plugin.core.storage.FilterItems",
        "io.kestra.plugin.core.storage.LocalFiles",
        "io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles",
        "io.kestra.plugin.core.storage.PurgeStorage",
        "io.kestra.plugin.core.storage.Reverse",
        "io.kestra.plugin.core.storage.Size",
        "io.kestra.plugin.core.storage.Split",
        "io.kestra.plugin.core.storage.Write",
        "io.kestra.plugin.core.templating.TemplatedTask",
        "io.kestra.plugin.core.trigger.AbstractWebhookTrigger",
        "io.kestra.plugin.core.trigger.Flow",
        "io.kestra.plugin.core.trigger.Schedule",
        "io.kestra.plugin.core.trigger.ScheduleOnDates",
        "io.kestra.plugin.core.trigger.Toggle",
        "io.kestra.plugin.core.trigger.Webhook",
    }
)

# Legacy names Kestra still accepts, mapped to the current class.
ALIASES: dict[str, str] = {
    "io.kestra.core.models.conditions.types.DateTimeBetweenCondition": "io.kestra.plugin.core.condition.DateTimeBetween",
    "io.kestra.core.models.conditions.types.DayWeekCondition": "io.kestra.plugin.core.condition.DayWeek",
    "io.kestra.core.models.conditions.types.DayWeekInMonthCondition": "io.kestra.plugin.core.condition.DayWeekInMonth",
    "io.kestra.core.models.conditions.types.ExecutionFlowCondition": "io.kestra.plugin.core.condition.ExecutionFlow",
    "io.kestra.core.models.conditions.types.ExecutionLabelsCondition": "io.kestra.plugin.core.condition.ExecutionLabels",
    "io.kestra.core.models.conditions.types.ExecutionNamespaceCondition": "io.kestra.plugin.core.condition.ExecutionNamespace",
    "io.kestra.core.models.conditions.types.ExecutionOutputsCondition": "io.kestra.plugin.core.condition.ExecutionOutputs",
    "io.kestra.core.models.conditions.types.ExecutionStatusCondition": "io.kestra.plugin.core.condition.ExecutionStatus",
    "io.kestra.core.models.conditions.types.FlowCondition": "io.kestra.plugin.core.condition.FlowCondition",
    "io.kestra.core.models.conditions.types.FlowNamespaceCondition": "io.kestra.plugin.core.condition.FlowNamespaceCondition",
    "io.kestra.core.models.conditions.types.HasRetryAttemptCondition": "io.kestra.plugin.core.condition.HasRetryAttempt",
    "io.kestra.core.models.conditions.types.MultipleCondition": "io.kestra.plugin.core.condition.MultipleCondition",
    "io.kestra.core.models.conditions.types.NotCondition": "io.kestra.plugin.core.condition.Not",
    "io.kestra.core.models.conditions.types.OrCondition": "io.kestra.plugin.core.condition.Or",
    "io.kestra.core.models.conditions.types.PublicHolidayCondition": "io.kestra.plugin.core.condition.PublicHoliday",
    "io.kestra.core.models.conditions.types.TimeBetweenCondition": "io.kestra.plugin.core.condition.TimeBetween",
    "io.kestra.core.models.conditions.types.VariableCondition": "io.kestra.plugin.core.condition.Expression",
    "io.kestra.core.models.conditions.types.WeekendCondition": "io.kestra.plugin.core.condition.Weekend",
    "io.kestra.core.models.triggers.types.Flow": "io.kestra.plugin.core.trigger.Flow",
    "io.kestra.core.models.triggers.types.Schedule": "io.kestra.plugin.core.trigger.Schedule",
    "io.kestra.core.models.triggers.types.Webhook": "io.kestra.plugin.core.trigger.Webhook",
    "io.kestra.core.tasks.debugs.Echo": "io.kestra.plugin.core.debug.Echo",
    "io.kestra.core.tasks.debugs.Return": "io.kestra.plugin.core.debug.Return",
    "io.kestra.core.tasks.executions.Counts": "io.kestra.plugin.core.execution.Count",
    "io.kestra.core.tasks.executions.Fail": "io.kestra.plugin.core.execution.Fail",
    "io.kestra.core.tasks.executions.Labels": "io.kestra.plugin.core.execution.Labels",
    "io.kestra.core.tasks.flows.AllowFailure": "io.kestra.plugin.core.flow.AllowFailure",
    "io.kestra.core.tasks.flows.Dag": "io.kestra.plugin.core.flow.Dag",
    "io.kestra.core.tasks.flows.EachParallel": "io.kestra.plugin.core.flow.EachParallel",
    "io.kestra.core.tasks.flows.EachSequential": "io.kestra.plugin.core.flow.EachSequential",
    "io.kestra.core.tasks.flows.Flow": "io.kestra.plugin.core.flow.Subflow",
    "io.kestra.core.tasks.flows.ForEachItem": "io.kestra.plugin.core.flow.ForEachItem",
    "io.kestra.core.tasks.flows.If": "io.kestra.plugin.core.flow.If",
    "io.kestra.core.tasks.flows.Parallel": "io.kestra.plugin.core.flow.Parallel",
    "io.kestra.core.tasks.flows.Pause": "io.kestra.plugin.core.flow.Pause",
    "io.kestra.core.tasks.flows.Sequential": "io.kestra.plugin.core.flow.Sequential",
    "io.kestra.core.tasks.flows.Subflow": "io.kestra.plugin.core.flow.Subflow",
    "io.kestra.core.tasks.flows.Switch": "io.kestra.plugin.core.flow.Switch",
    "io.kestra.core.tasks.flows.Template": "io.kestra.plugin.core.flow.Template",
    "io.kestra.core.tasks.flows.Worker": "io.kestra.plugin.core.flow.WorkingDirectory",
    "io.kestra.core.tasks.flows.WorkingDirectory": "io.kestra.plugin.core.flow.WorkingDirectory",
    "io.kestra.core.tasks.log.Fetch": "io.kestra.plugin.core.log.Fetch",
    "io.kestra.core.tasks.log.Log": "io.kestra.plugin.core.log.Log",
    "io.kestra.core.tasks.states.Delete": "io.kestra.plugin.core.state.Delete",
    "io.kestra.core.tasks.states.Get": "io.kestra.plugin.core.state.Get",
    "io.kestra.core.tasks.states.Set": "io.kestra.plugin.core.state.Set",
    "io.kestra.core.tasks.storages.Concat": "io.kestra.plugin.core.storage.Concat",
    "io.kestra.core.tasks.storages.DeduplicateItems": "io.kestra.plugin.core.storage.DeduplicateItems",
    "io.kestra.core.tasks.storages.Delete": "io.kestra.plugin.core.storage.Delete",
    "io.kestra.core.tasks.storages.FilterItems": "io.kestra.plugin.core.storage.FilterItems",
    "io.kestra.core.tasks.storages.LocalFiles": "io.kestra.plugin.core.storage.LocalFiles",
    "io.kestra.core.tasks.storages.Purge": "io.kestra.plugin.core.execution.PurgeExecutions",
    "io.kestra.core.tasks.storages.PurgeExecution": "io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles",
    "io.kestra.core.tasks.storages.Reverse": "io.kestra.plugin.core.storage.Reverse",
    "io.kestra.core.tasks.storages.Size": "io.kestra.plugin.core.storage.Size",
    "io.kestra.core.tasks.storages.Split": "io.kestra.plugin.core.storage.Split",
    "io.kestra.core.tasks.templating.TemplatedTask": "io.kestra.plugin.core.templating.TemplatedTask",
    "io.kestra.core.tasks.trigger.Toggle": "io.kestra.plugin.core.trigger.Toggle",
    "io.kestra.plugin.core.condition.DateTimeBetweenCondition": "io.kestra.plugin.core.condition.DateTimeBetween",
    "io.kestra.plugin.core.condition.DayWeekCondition": "io.kestra.plugin.core.condition.DayWeek",
    "io.kestra.plugin.core.condition.DayWeekInMonthCondition": "io.kestra.plugin.core.condition.DayWeekInMonth",
    "io.kestra.plugin.core.condition.ExecutionFlowCondition": "io.kestra.plugin.core.condition.ExecutionFlow",
    "io.kestra.plugin.core.condition.ExecutionLabelsCondition": "io.kestra.plugin.core.condition.ExecutionLabels",
    "io.kestra.plugin.core.condition.ExecutionNamespaceCondition": "io.kestra.plugin.core.condition.ExecutionNamespace",
    "io.kestra.plugin.core.condition.ExecutionOutputsCondition": "io.kestra.plugin.core.condition.ExecutionOutputs",
    "io.kestra.plugin.core.condition.ExecutionStatusCondition": "io.kestra.plugin.core.condition.ExecutionStatus",
    "io.kestra.plugin.core.condition.ExpressionCondition": "io.kestra.plugin.core.condition.Expression",
    "io.kestra.plugin.core.condition.HasRetryAttemptCondition": "io.kestra.plugin.core.condition.HasRetryAttempt",
    "io.kestra.plugin.core.condition.NotCondition": "io.kestra.plugin.core.condition.Not",
    "io.kestra.plugin.core.condition.OrCondition": "io.kestra.plugin.core.condition.Or",
    "io.kestra.plugin.core.condition.PublicHolidayCondition": "io.kestra.plugin.core.condition.PublicHoliday",
    "io.kestra.plugin.core.condition.TimeBetweenCondition": "io.kestra.plugin.core.condition.TimeBetween",
    "io.kestra.plugin.core.condition.WeekendCondition": "io.kestra.plugin.core.condition.Weekend",
    "io.kestra.plugin.core.flow.WaitFor": "io.kestra.plugin.core.flow.LoopUntil",
    "io.kestra.plugin.core.storage.Purge": "io.kestra.plugin.core.execution.PurgeExecutions",
    "io.kestra.plugin.core.storage.PurgeExecution": "io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles",
    "io.kestra.plugin.fs.http.Download": "io.kestra.plugin.core.http.Download",
    "io.kestra.plugin.fs.http.Request": "io.kestra.plugin.core.http.Request",
    "io.kestra.plugin.fs.http.Trigger": "io.kestra.plugin.core.http.Trigger",
}


# Plugin families outside the core plugin that Kestra publishes (a misspelling there cannot be told
# from a plugin we have not catalogued, so they are reported as unsupported, never as unknown).
CORE_PREFIXES = ("io.kestra.plugin.core.", "io.kestra.core.tasks.", "io.kestra.core.models.")


def is_core_namespace(type_name: str) -> bool:
    """True when the type claims to be part of Kestra's core plugin."""
    return type_name.startswith(CORE_PREFIXES)


def exists_in_kestra(type_name: str) -> bool:
    """True when Kestra's core plugin has this class (or this legacy alias)."""
    return type_name in CORE_TYPES or type_name in ALIASES


def type_finding(type_name: str, not_here: str = "") -> tuple[str, str]:
    """(kind, message) for a type the embedded engine does not run, told apart as Kestra would:
    a core class Kestra has (unsupported-type: run it on a real Kestra), a core name Kestra lacks
    (unknown-type, with a did-you-mean), or another plugin's type (unsupported-type). `not_here`
    narrows "not supported by the embedded engine" (e.g. " on a webhook")."""
    if not is_core_namespace(type_name):
        return (
            "unsupported-type",
            f"{type_name} is not supported by the embedded engine{not_here}; if it is a "
            f"Kestra plugin, {REAL_KESTRA}",
        )
    if exists_in_kestra(type_name):
        return (
            "unsupported-type",
            f"{type_name} exists in Kestra but is not supported by the embedded "
            f"engine{not_here}; {REAL_KESTRA}",
        )
    close = difflib.get_close_matches(type_name, sorted(CORE_TYPES), n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return "unknown-type", f"{type_name} does not exist in Kestra (Invalid type){hint}"


# -- Pebble names --------------------------------------------------------------------------------
# Filters, functions and tests a Kestra flow's expressions may use, to tell a name Kestra has (and
# the embedded engine lacks) from a name that exists nowhere. Read from Kestra 1.3's Pebble
# extension (core/src/main/java/io/kestra/core/runners/pebble/Extension.java) and Pebble 4's own
# extensions (CoreExtension, EscaperExtension, I18nExtension), which Kestra's engine also loads.
_PEBBLE_FILTERS = frozenset(
    {
        "abbreviate",
        "abs",
        "base64decode",
        "base64encode",
        "capitalize",
        "date",
        "default",
        "escape",
        "first",
        "join",
        "last",
        "length",
        "lower",
        "merge",
        "nl2br",
        "numberformat",
        "raw",
        "replace",
        "reverse",
        "rsort",
        "sha256",
        "slice",
        "sort",
        "split",
        "title",
        "trim",
        "upper",
        "urlencode",
    }
)
KESTRA_FILTERS: frozenset[str] = _PEBBLE_FILTERS | {
    "chunk",
    "className",
    "dateAdd",
    "distinct",
    "endsWith",
    "escapeChar",
    "flatten",
    "indent",
    "jq",
    "json",
    "keys",
    "md5",
    "nindent",
    "number",
    "sha1",
    "sha512",
    "slugify",
    "startsWith",
    "string",
    "substringAfter",
    "substringAfterLast",
    "substringBefore",
    "substringBeforeLast",
    "timestamp",
    "timestampMicro",
    "timestampMilli",
    "timestampNano",
    "toIon",
    "toJson",
    "urldecode",
    "values",
    "yaml",
}
KESTRA_FUNCTIONS: frozenset[str] = frozenset(
    {
        "block",
        "i18n",
        "max",
        "min",
        "parent",
        "range",  # Pebble's own
        "currentEachOutput",
        "decrypt",
        "encrypt",
        "errorLogs",
        "fetchContext",
        "fileExists",
        "fileSize",
        "fileURI",
        "fromIon",
        "fromJson",
        "http",
        "id",
        "isFileEmpty",
        "json",
        "ksuid",
        "kv",
        "nanoId",
        "now",
        "printContext",
        "randomInt",
        "randomPort",
        "read",
        "render",
        "renderOnce",
        "secret",
        "subflow",
        "tasksWithState",
        "uuid",
        "yaml",
    }
)
KESTRA_2_FUNCTIONS: frozenset[str] = frozenset(
    {
        "dayOfMonth",
        "dayOfWeek",
        "env",
        "hourOfDay",
        "isDateAfter",
        "isDateBefore",
        "isDateBetween",
        "isDayWeekInMonth",
        "isLastWorkingDay",
        "isPublicHoliday",
        "isWeekend",
        "loopOutputs",
        "monthOfYear",
    }
)
KESTRA_TESTS: frozenset[str] = frozenset(
    {"defined", "empty", "even", "iterable", "json", "map", "null", "odd"}
)
_REMOVED_IN_2 = {("filter", "json"), ("function", "json")}


def pebble_names(kind: str, version: str = "1.3") -> frozenset[str]:
    """Kestra's Pebble names of one kind (filter, function, test) in that Kestra version."""
    if kind == "filter":
        names = KESTRA_FILTERS
    elif kind == "function":
        names = KESTRA_FUNCTIONS | (KESTRA_2_FUNCTIONS if version.startswith("2") else frozenset())
    else:
        names = KESTRA_TESTS
    if version.startswith("2"):
        names = names - {n for k, n in _REMOVED_IN_2 if k == kind}
    return names
