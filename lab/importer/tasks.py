"""Which of a flow's tasks reached the outside world, and what production's runs of them returned.

The lab plays WhatsApp's Graph API, the model and the project's files for the flow (the tasks
whose URL is `kv('WA_GRAPH_URL')`, `kv('LLM_BASE_URL')` or `kv('PLANS_URL')`), so those run again. The model's answers
become scripted replies (then a cassette); every other task that reached outside (an HTTP call to
a CRM, a plugin task: a database, a notification) is stood in for by a Kestra task fixture with
its real state and outputs. Core tasks and scripts run again: they are the flow's own logic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lab.kestra.shapes import Execution

AI_PREFIXES = ("io.kestra.plugin.ai.", "io.kestra.plugin.openai.", "io.kestra.plugin.langchain4j.")
# The KV keys of the URLs the lab plays (lab.conversation.deploy.kv_config): Graph API, model, files.
LAB_URLS = ("WA_GRAPH_URL", "LLM_BASE_URL", "PLANS_URL")
INSIDE_PREFIXES = ("io.kestra.plugin.core.", "io.kestra.plugin.scripts.", "io.kestra.core.")

MODEL, LAB, OUTSIDE, INSIDE = "model", "lab", "outside", "inside"


@dataclass(frozen=True, slots=True)
class FlowTasks:
    """The kind of every task of a flow (model, lab, outside, inside), by task id."""

    kinds: dict[str, str]

    @classmethod
    def of(cls, flow: dict[str, Any]) -> FlowTasks:
        kinds: dict[str, str] = {}
        _walk(flow.get("tasks"), kinds)
        for key in ("errors", "finally", "afterExecution"):
            _walk(flow.get(key), kinds)
        return cls(kinds)

    def kind(self, task_id: str) -> str:
        return self.kinds.get(task_id, INSIDE)

    def fixtures(self, execution: Execution) -> list[dict[str, Any]]:
        """Kestra task fixtures standing in for the execution's runs of outside tasks."""
        found = []
        for run in execution.task_runs:
            if (
                self.kind(run.task_id) != OUTSIDE
                or not run.state.terminated
                or run.state.current == "SKIPPED"  # did not run: the replay decides again
            ):
                continue
            fixture: dict[str, Any] = {"id": run.task_id}
            if run.value is not None:
                fixture["value"] = str(run.value)
            if run.state.current != "SUCCESS":
                fixture["state"] = run.state.current
            if run.outputs:
                fixture["outputs"] = run.outputs
            found.append(fixture)
        return found

    def answers(self, execution: Execution) -> list[Any]:
        """The model's answers in the execution's runs of model tasks, as scripted replies in order:
        the tool calls an agent made, then its final text (or JSON); a call that failed in
        production fails again (an `error` item per attempt)."""
        items: list[Any] = []
        for run in execution.task_runs:
            if self.kind(run.task_id) != MODEL:
                continue
            out = run.outputs or {}
            for tool in out.get("toolExecutions") or []:
                items.append(
                    {
                        "tool_call": {
                            "name": tool.get("requestName"),
                            "arguments": _arguments(tool.get("requestArguments")),
                        }
                    }
                )
            if "jsonOutput" in out:
                items.append({"json": out["jsonOutput"]})
            elif out.get("textOutput") is not None:
                items.append(str(out["textOutput"]))
            elif _choice_text(out) is not None:
                items.append(_choice_text(out))
            elif run.state.current in ("FAILED", "WARNING"):  # every attempt failed
                failed = {"error": 500, "message": "the model call failed in production"}
                items += [failed] * max(1, len(run.attempts))
        return items


def _walk(tasks: Any, kinds: dict[str, str]) -> None:
    """Every task under `tasks` (flowables' branches and cases included)."""
    if isinstance(tasks, dict):
        if isinstance(tasks.get("id"), str) and isinstance(tasks.get("type"), str):
            kinds[tasks["id"]] = _kind(tasks)
        for value in tasks.values():
            if isinstance(value, list | dict):
                _walk(value, kinds)
    elif isinstance(tasks, list):
        for item in tasks:
            _walk(item, kinds)


def _kind(task: dict[str, Any]) -> str:
    type_ = task["type"]
    if type_.startswith(AI_PREFIXES):
        return MODEL
    if type_.startswith("io.kestra.plugin.core.http."):
        uri = str(task.get("uri") or task.get("url") or "")
        return LAB if any(key in uri for key in LAB_URLS) else OUTSIDE
    if type_.startswith(INSIDE_PREFIXES) or "." not in type_:
        return INSIDE
    return OUTSIDE


def _arguments(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value or {}


def _choice_text(out: dict[str, Any]) -> str | None:
    """The openai plugin's ChatCompletion answer (`choices[0].message.content`)."""
    try:
        content = out["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return None
    return content if isinstance(content, str) else None
