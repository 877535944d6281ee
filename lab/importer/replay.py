"""One production conversation played on the embedded engine and written as a scenario.

The lab opens on the project's flow with the model scripted to give production's answers in
order, the virtual clock at the first message. Each message is performed as the user's act with
production's outside tasks stood in for by fixtures; the recorder (the writer `walab record` uses)
writes each step with those fixtures and the replies observed as expectations, redacted. The
model's calls of the replay become the scenario's cassette, and the drift report beside it says
where the replay differs from production.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from lab import yamlio
from lab.config import Contact, load_settings
from lab.conversation.actions import Advance
from lab.conversation.lab import Lab
from lab.conversation.model import Turn
from lab.importer.conversations import Conversation
from lab.importer.drift import Difference, differences
from lab.importer.tasks import FlowTasks
from lab.kestra.engine.fixtures import parse_fixtures
from lab.llm.canonical import canonical_chat, chat_key, summarize
from lab.llm.cassette import Cassette, CassetteEntry
from lab.llm.model import LLMCall
from lab.llm.scripted import ScriptedReplies
from lab.llm.shapes import reply_text
from lab.redaction import NOTICE, Redactor
from lab.redaction.files import redacted_entry
from lab.scenarios.player import use_fixtures
from lab.scenarios.recorder import GAP_SECONDS, Recorder

HEADER = (
    "# Imported with `walab import` from production executions; the fixtures are the real outputs\n"
    "# of the tasks that reached outside, the expectations what the replay produced: edit them.\n"
)


@dataclass(slots=True)
class Imported:
    """What importing one conversation wrote and found."""

    scenario: Path
    drift_report: Path
    executions: list[str]
    turns: int
    differences: list[Difference] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Target:
    """Where the scenarios go and what they are played on."""

    project_dir: Path
    out_dir: Path
    namespace: str
    flow_id: str
    tasks: FlowTasks
    source: dict[str, Any]  # the production server, for the report (url, version)
    redact: bool = True
    kestra_version: str | None = None


async def import_conversation(conv: Conversation, name: str, target: Target) -> Imported:
    """Play `conv` on the embedded engine and write `<name>.yaml`, its cassette and drift report."""

    settings = load_settings(
        target.project_dir,
        namespace=target.namespace,
        flow=target.flow_id,
        llm_mode="scripted",
        kestra_version=target.kestra_version,
    )
    settings.contacts = [Contact(conv.wa_id, conv.name or "Cliente")]
    answers = [item for m in conv.messages for item in target.tasks.answers(m.execution)]
    # The answers go to a cassette; a model that failed in production can only be scripted to fail.
    failed = any(isinstance(a, dict) and "error" in a for a in answers)
    source = "scripted" if failed else "cassette" if answers else "none"
    script = ScriptedReplies(answers, source=f"production answers of {name}") if answers else None
    played: list[tuple[int, Turn | None]] = []
    async with Lab.open(settings, scripted=script, clock_start=conv.start) as lab:
        recorder = Recorder(
            lab,
            target.out_dir / f"{name}.yaml",
            name,
            description=_description(conv, target),
            llm_source=source,
            redact=target.redact,
            header=HEADER,
            batch=True,
        )
        recorder.start()
        for message in conv.messages:
            pause = message.written.timestamp() - lab.clock.now().timestamp()
            if pause >= GAP_SECONDS:
                await lab.perform(conv.wa_id, Advance(timedelta(seconds=int(pause))))
            fixtures = target.tasks.fixtures(message.execution)
            use_fixtures(lab, parse_fixtures({"tasks": fixtures}) if fixtures else None)
            recorder.next_step = {"fixtures": fixtures} if fixtures else {}
            turn = await lab.perform(conv.wa_id, message.act())  # type: ignore[arg-type]
            played.append((len(recorder.steps) - 1, turn))
        scenario = recorder.stop()
        redactor = recorder.redactor
        if source == "cassette":  # redacted as it is written (the recorder found none to redact)
            calls = [c for _, t in played if t for c in t.llm_calls]
            write_cassette(recorder.cassette_path, calls, redactor)
    found = [
        d
        for (step, turn), message in zip(played, conv.messages)
        for d in differences(step, message.execution, turn, target.tasks)
    ]
    report = scenario.with_name(f"{scenario.stem}.drift.yaml")
    document = {
        "scenario": scenario.name,
        "source": target.source,
        "executions": [
            {"step": step, "execution": m.execution.id, "production": m.execution.state.current}
            for (step, _), m in zip(played, conv.messages)
        ],
        "differences": [d.to_dict() for d in found],
    }
    header = "# Where the replay on the embedded engine differs from production (`walab import`).\n"
    if redactor.enabled:
        text = header + yamlio.dumps(redactor.data(document))
    else:
        text = NOTICE + header + yamlio.dumps(document)
    yamlio.write_atomic(report, text, durable=False)
    return Imported(scenario, report, [m.execution.id for m in conv.messages], len(played), found)


def write_cassette(path: Path, calls: list[LLMCall], redactor: Redactor) -> None:
    """The replay's model calls as a cassette, redacted and keyed by the redacted requests
    (occurrences counted per key, as the gateway does)."""
    entries = []
    for call in calls:
        if call.request is None or call.response is None or call.status != 200:
            continue
        canon = canonical_chat(call.request)
        key = chat_key(call.request, canon)
        entries.append(
            CassetteEntry(
                key=key.key,
                occurrence=0,
                kind="chat",
                model=key.model,
                summary=summarize(call.request),
                request=canon,
                response=call.response,
                usage=call.response.get("usage"),
                usage_estimated=call.estimated,
                system_prompt_hash=key.system_hash,
                tools_hash=key.tools_hash,
                conversation_hash=key.conversation_hash,
                sampling_hash=key.sampling_hash,
                reply=reply_text(call.response),
                source=str(path),
            )
        )
    seen: dict[str, int] = {}
    for entry in entries:
        if redactor.enabled:
            redacted_entry(entry, redactor)
        entry.occurrence = seen.get(entry.key, 0)
        seen[entry.key] = entry.occurrence + 1
    Cassette(path, entries).save(durable=False)


def _description(conv: Conversation, target: Target) -> str:
    first, last = conv.messages[0].execution, conv.messages[-1].execution
    return (
        f"Imported from {target.source.get('kestra')} (Kestra {target.source.get('version')}): "
        f"{len(conv.messages)} message(s), executions {first.id} .. {last.id}."
    )
