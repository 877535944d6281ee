"""What a replay miss says: which request, which cassettes were searched, what changed, how to record."""

from __future__ import annotations

from typing import Any

from lab.llm.canonical import RequestKey, describe
from lab.llm.cassette import CassetteStore

HOW_TO_RECORD = (
    "to record it, replay the scenario in record mode: `walab replay {scenario} --llm record` "
    "(or `walab test --walab-llm record`); record a new scenario with `walab record NAME`, or run the lab "
    "with `--llm record`; all need "
    "OPENAI_API_KEY set (OPENAI_BASE_URL for another OpenAI-compatible server)"
)


def how_to_record(store: CassetteStore | None) -> str:
    """How to record the missing call; names the scenario when the cassette is one scenario's own."""
    scenario = "SCENARIO.yaml"
    files = store.files if store is not None else []
    if len(files) == 1 and files[0].name.endswith(".cassette.yaml"):
        own = files[0].with_name(files[0].name.split(".", 1)[0] + ".yaml")
        if own.exists():
            scenario = str(own)
    return HOW_TO_RECORD.format(scenario=scenario)


def miss_message(store: CassetteStore | None, rk: RequestKey, summary: dict[str, Any]) -> str:
    """The explanation of a request replay mode cannot answer."""
    request = describe(summary, rk.key)
    if store is None:
        return f"replay mode has no cassettes loaded, so it cannot answer {request}; {how_to_record(store)}"
    near = store.near(rk)
    if near:
        recorded = near[-1]
        changes = _changes(recorded, rk)
        what = (
            ", and ".join(changes)
            if changes
            else "a setting outside model, prompt, tools and sampling changed"
        )
        return (
            f"replay: the cassette has this conversation (key {recorded.key} in {recorded.source}) "
            f"but {what}; request: {request}. Re-record it to accept the change: {how_to_record(store)}"
        )
    hint = ""
    same_user = (
        store.same_last_user(summary.get("last_user", "")) if summary.get("last_user") else []
    )
    if same_user:
        hint = (
            f" A recording with the same last user message exists (key {same_user[-1].key} in "
            f"{same_user[-1].source}) but the earlier messages differ."
        )
    return f"replay: no recording of {request}. Searched: {store.describe()}.{hint} {how_to_record(store)}"


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
