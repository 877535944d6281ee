"""Errors of the embedded engine, each with the HTTP status Kestra answers with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lab.errors import LabError

if TYPE_CHECKING:
    from lab.kestra.engine.validation import Problem


class EngineError(LabError):
    """An engine error a REST layer maps to `status`."""

    status = 500


class FlowInvalid(EngineError):
    """A flow failed validation; `problems` lists every finding."""

    status = 422

    def __init__(self, problems: list[Problem], *, source: str | None = None) -> None:
        self.problems = problems
        first = problems[0] if problems else None
        super().__init__(
            f"{len(problems)} problem(s) in flow {source or ''}".strip()
            + (f": {first.message}" if first else ""),
            where=first.where if first else source,
            fix="fix each problem listed; types the embedded engine does not run need a real Kestra "
            "(docker-compose.yml)",
        )


class FlowNotFound(EngineError):
    status = 404


class WebhookNotFound(EngineError):
    status = 404


class FlowDisabled(EngineError):
    status = 409


class WebhookBodyRefused(EngineError):
    """A webhook body the lab cannot carry through an execution (too deep, not Unicode, a number
    past 64 bits): refused before the execution starts, never a 500 after the flow has run."""

    status = 400


class InputInvalid(EngineError):
    """Execution inputs are invalid; `problems` pairs each input id (`path`) with Kestra's message."""

    status = 422

    def __init__(
        self, what: str, *, fields: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(what, **kwargs)
        self.problems = [InputProblem(message, name) for name, message in fields or []]


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One constraint violation: Kestra's `_embedded.errors[]` item for an input."""

    message: str
    path: str


class ExecutionNotFound(EngineError):
    status = 404
