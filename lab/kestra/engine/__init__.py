"""The embedded Kestra-compatible engine: runs flows/*.yml in-process behind Kestra's REST API.

    engine = Engine()
    engine.deploy(yaml_text)
    execution = await engine.webhook("company.whatsapp", "inbound", "key", body=b"{...}")
    await engine.wait(execution.id)
"""

from lab.kestra.engine.engine import Engine, EngineEvent
from lab.kestra.engine.errors import (EngineError, ExecutionNotFound, FlowDisabled, FlowInvalid, FlowNotFound,
                                      InputInvalid, WebhookNotFound)
from lab.kestra.engine.execution import Execution, LogEntry, TaskRun
from lab.kestra.engine.flow import FlowDef
from lab.kestra.engine.store import KVStore, NamespaceFiles
from lab.kestra.engine.validation import Problem, validate

__all__ = [
    "Engine", "EngineEvent", "EngineError", "Execution", "ExecutionNotFound", "FlowDef", "FlowDisabled",
    "FlowInvalid", "FlowNotFound", "InputInvalid", "KVStore", "LogEntry", "NamespaceFiles", "Problem", "TaskRun",
    "WebhookNotFound", "validate",
]
