"""What a replay miss says: which request, which cassettes were searched, what changed, how to record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab.llm.canonical import RequestKey, describe
from lab.llm.cassette import CassetteStore

HOW_TO_RECORD = (
    "to record it, replay the scenario in record mode: `walab replay {scenario} --llm record` "
    "(or `walab test --walab-llm record`); record a new scenario with `walab record NAME`, or run the lab "
    "with `--llm record`; all need "
    "OPENAI_API_KEY set (OPENAI_BASE_URL for another OpenAI-compatible server)"
)


# What a chat (or `walab send`) can do about a line no cassette holds.
OTHER_LINES = (
    "answer from scripted replies with --script FILE (a YAML list as under a scenario's "
    "`llm: scripted:`), or set OPENAI_API_KEY and run with --llm live (--llm record keeps the "
    "answers in a cassette, `walab record NAME` in a scenario)."
)
LINES_SHOWN = 8
ONLY_RECORDED = "Replay answers only the lines recorded in the cassettes"


def chat_advice(message: str | None) -> str | None:
    """From a chat's miss message: which lines replay knows and what else to do (None: not one)."""
    if not message or ONLY_RECORDED not in message:
        return None
    advice = message[message.index(ONLY_RECORDED) :]
    return advice.split(" Searched: ", 1)[0]


def _own_scenario(store: CassetteStore | None) -> Path | None:
    """The scenario whose own cassette is the only one searched (None: a chat's cassettes)."""
    files = store.files if store is not None else []
    if len(files) == 1 and files[0].name.endswith(".cassette.yaml"):
        own = files[0].with_name(files[0].name.split(".", 1)[0] + ".yaml")
        if own.exists():
            return own
    return None


def how_to_record(store: CassetteStore | None) -> str:
    """How to record the missing call; names the scenario when the cassette is one scenario's own."""
    own = _own_scenario(store)
    return HOW_TO_RECORD.format(scenario=str(own) if own else "SCENARIO.yaml")


def miss_message(store: CassetteStore | None, rk: RequestKey, summary: dict[str, Any]) -> str:
    """The explanation of a request replay mode cannot answer."""
    request = describe(summary, rk.key)
    if store is None:
        return f"replay mode has no cassettes loaded, so it cannot answer {request}; {how_to_record(store)}"
    near = store.near(rk)
    recorded = near[-1] if near else None
    changes = _changes(recorded, rk) if recorded is not None else []
    what = ", and ".join(changes) or "a setting outside model, prompt, tools and sampling changed"
    chat = _own_scenario(store) is None  # a chat or `walab send`: no scenario to re-record
    if recorded is not None and not chat:
        return (
            f"replay: the cassette has this conversation (key {recorded.key} in {recorded.source}) "
            f"but {what}; request: {request}. Re-record it to accept the change: {how_to_record(store)}"
        )
    hint = ""
    same_user = (
        store.same_last_user(summary.get("last_user", "")) if summary.get("last_user") else []
    )
    if recorded is not None and len(changes) <= 1:  # more than one change: another flow's call
        hint = (
            f" The cassette has this conversation (key {recorded.key} in {recorded.source}) but "
            f"{what}: Re-record it to accept the change."
        )
    elif same_user and recorded is None:
        hint = (
            f" A recording with the same last user message exists (key {same_user[-1].key} in "
            f"{same_user[-1].source}) but the earlier messages differ."
        )
    lines = store.recorded_lines(rk, int(summary.get("messages") or 0))
    known = _known_lines(lines, rk.model)
    if chat:
        todo = (
            f"Send one of those, {OTHER_LINES}"
            if lines
            else OTHER_LINES[0].upper() + OTHER_LINES[1:]
        )
        return (
            f"replay: no recording of {request}. {ONLY_RECORDED}; {known}.{hint} {todo} "
            f"Searched: {store.describe()}. For a scenario, {how_to_record(store)}"
        )
    return (
        f"replay: no recording of {request}. Searched: {store.describe()}; {known}.{hint} "
        f"{how_to_record(store)}"
    )


def _known_lines(lines: list[str], model: str) -> str:
    """The recorded lines replay can answer here, quoted (at most LINES_SHOWN)."""
    if not lines:
        return f"they hold no call of model {model}"
    shown = ", ".join(repr(line) for line in lines[:LINES_SHOWN])
    more = f" and {len(lines) - LINES_SHOWN} more" if len(lines) > LINES_SHOWN else ""
    return f"the recorded lines replay can answer here: {shown}{more}"


def _changes(recorded: Any, rk: RequestKey) -> list[str]:
    changes = []
    if recorded.model != rk.model:
        changes.append(f"the model changed ({recorded.model} -> {rk.model})")
    if recorded.system_prompt_hash != rk.system_hash:
        changes.append(
            f"the system prompt changed (hash {recorded.system_prompt_hash} -> {rk.system_hash})"
        )
    if recorded.tools_hash != rk.tools_hash:
        changes.append(
            f"the tool schema or response format changed (hash {recorded.tools_hash} -> {rk.tools_hash})"
        )
    if recorded.sampling_hash and recorded.sampling_hash != rk.sampling_hash:
        changes.append(
            "the sampling settings changed (temperature, top_p, max_tokens, seed, stop…)"
        )
    return changes
