"""Kestra's state names and the rules that pick a block's final state."""

from __future__ import annotations

from collections.abc import Iterable

CREATED = "CREATED"
SUBMITTED = "SUBMITTED"
RUNNING = "RUNNING"
PAUSED = "PAUSED"
RESTARTED = "RESTARTED"
KILLING = "KILLING"
SUCCESS = "SUCCESS"
WARNING = "WARNING"
FAILED = "FAILED"
KILLED = "KILLED"
CANCELLED = "CANCELLED"
QUEUED = "QUEUED"
RETRYING = "RETRYING"
RETRIED = "RETRIED"
SKIPPED = "SKIPPED"
BREAKPOINT = "BREAKPOINT"
RESUBMITTED = "RESUBMITTED"

ALL = (
    CREATED,
    SUBMITTED,
    RUNNING,
    PAUSED,
    RESTARTED,
    KILLING,
    SUCCESS,
    WARNING,
    FAILED,
    KILLED,
    CANCELLED,
    QUEUED,
    RETRYING,
    RETRIED,
    SKIPPED,
    BREAKPOINT,
    RESUBMITTED,
)
TERMINATED = frozenset({FAILED, WARNING, SUCCESS, KILLED, CANCELLED, RETRIED, SKIPPED, RESUBMITTED})
FAILED_LIKE = frozenset({FAILED, KILLED})


def is_terminated(state: str) -> bool:
    """True for the states Kestra calls terminated."""
    return state in TERMINATED


def guess_final_state(
    states: Iterable[str],
    *,
    allow_failure: bool = False,
    allow_warning: bool = False,
    terminal: str = SUCCESS,
) -> str:
    """Kestra's guessFinalState: KILLED > FAILED > WARNING > PAUSED > the terminal state, then the
    allowFailure (FAILED -> WARNING, or SUCCESS with allowWarning) and allowWarning rules."""
    seen = set(states)
    for candidate in (KILLED, FAILED, WARNING, PAUSED):
        if candidate in seen:
            state = candidate
            break
    else:
        state = terminal
    return apply_allowances(state, allow_failure=allow_failure, allow_warning=allow_warning)


def apply_allowances(state: str, *, allow_failure: bool, allow_warning: bool) -> str:
    """allowFailure turns FAILED into WARNING (SUCCESS with allowWarning); allowWarning turns WARNING into SUCCESS."""
    if state == FAILED and allow_failure:
        return SUCCESS if allow_warning else WARNING
    if state == WARNING and allow_warning:
        return SUCCESS
    return state
