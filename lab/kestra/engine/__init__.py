"""The embedded Kestra-compatible engine: runs flows/*.yml in-process behind Kestra's REST API.

    engine = Engine()
    engine.deploy(yaml_text)
    execution = await engine.webhook("company.whatsapp", "inbound", "key", body=b"{...}")
    await engine.wait(execution.id)

What it runs (anything else fails validation, naming the type and suggesting a real Kestra):
flowables If, Switch, Sequential, Parallel, ForEach / EachSequential / EachParallel (1.3), Loop (2.0),
AllowFailure, LoopUntil (WaitFor), Subflow, Pause; runnables Log, Return, Echo (1.3), OutputValues,
Fail, Exit, Assert, SetVariables, UnsetVariables, Labels, Sleep, kv.Get/Set/Put/Delete/GetKeys,
http.Request, the WhatsApp notification tasks, and the script and AI task modules when present.
Flow features: inputs (typed, validated), variables, labels, outputs, errors, finally, retry,
timeout, runIf/when, disabled, allowFailure, allowWarning, Webhook triggers, Schedule triggers on
the engine's clock (`schedule.py`).
"""

from lab.kestra.engine.engine import Engine, EngineEvent
from lab.kestra.engine.errors import (
    EngineError,
    ExecutionNotFound,
    FlowDisabled,
    FlowInvalid,
    FlowNotFound,
    InputInvalid,
    WebhookNotFound,
)
from lab.kestra.engine.execution import Execution, LogEntry, TaskRun
from lab.kestra.engine.flow import FlowDef
from lab.kestra.engine.store import KVStore, NamespaceFiles
from lab.kestra.engine.validation import Problem, validate

__all__ = [
    "Engine",
    "EngineEvent",
    "EngineError",
    "Execution",
    "ExecutionNotFound",
    "FlowDef",
    "FlowDisabled",
    "FlowInvalid",
    "FlowNotFound",
    "InputInvalid",
    "KVStore",
    "LogEntry",
    "NamespaceFiles",
    "Problem",
    "TaskRun",
    "WebhookNotFound",
    "validate",
]
