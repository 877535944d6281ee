"""`walab import`: read production executions, group them, write a scenario per conversation.

summary = await run_import(client, query, project_dir=Path("."), out_dir=None)
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from lab import yamlio
from lab.config import load_settings
from lab.conversation.deploy import flow_sources
from lab.errors import ConfigError
from lab.importer.conversations import Conversation, Grouped, group
from lab.importer.fetch import Query, fetch
from lab.importer.replay import Imported, Target, import_conversation
from lab.importer.tasks import FlowTasks
from lab.kestra.client import KestraClient

MIN_PER_WORKER = 8  # conversations a worker process must have to be worth starting
DEFAULT_GAP = timedelta(
    hours=24
)  # a silence longer than WhatsApp's service window: a new conversation


@dataclass(slots=True)
class ImportSummary:
    """Everything one import wrote, and what it left out."""

    executions: int
    grouped: Grouped
    imported: list[Imported] = field(default_factory=list)

    @property
    def differences(self) -> int:
        return sum(len(i.differences) for i in self.imported)


async def run_import(
    client: KestraClient,
    query: Query,
    *,
    project_dir: Path,
    out_dir: Path | None = None,
    gap: timedelta = DEFAULT_GAP,
    redact: bool = True,
    prefix: str = "imported",
    now: datetime | None = None,
    workers: int | None = None,
) -> ImportSummary:
    """Import the executions `query` names into scenarios (one per conversation) under `out_dir`
    (default `scenarios/<flow>/`), each with its cassette and drift report."""
    server = await client.detect()
    executions = await fetch(client, query, now)
    grouped = group(executions, gap)
    summary = ImportSummary(len(executions), grouped)
    if not grouped.conversations:
        return summary
    first = grouped.conversations[0].messages[0].execution
    namespace, flow_id = query.flow or (first.namespace, first.flow_id)
    settings = load_settings(project_dir, namespace=namespace, flow=flow_id)
    known = {s.id: s for s in flow_sources(settings.flows_dir, namespace)}
    if flow_id not in known:
        raise ConfigError(
            f"the executions are of flow {namespace}.{flow_id}, which this project does not have",
            where=str(settings.flows_dir),
            fix="import from the project that holds the flow (its flows/ folder), or add the flow",
        )
    target = Target(
        project_dir=Path(settings.project_dir),
        out_dir=out_dir or Path(settings.scenarios_dir) / flow_id,
        namespace=namespace,
        flow_id=flow_id,
        tasks=FlowTasks.of(yamlio.loads(known[flow_id].text, source=str(known[flow_id].path))),
        source={
            "kestra": client.base_url,
            "version": server.version,
            "flow": f"{namespace}/{flow_id}",
        },
        redact=redact,
    )
    target.out_dir.mkdir(parents=True, exist_ok=True)
    names: set[str] = set()
    named: list[tuple[Conversation, str]] = []
    for conv in grouped.conversations:
        name = f"{prefix}_{conv.start:%Y%m%d_%H%M%S}"
        base, n = name, 2
        while name in names or (target.out_dir / f"{name}.yaml").exists():
            name, n = f"{base}_{n}", n + 1
        names.add(name)
        named.append((conv, name))
    workers = workers or default_workers(len(named))
    if workers <= 1:
        summary.imported = await replay_all(named, target)
    else:  # each conversation is independent: its own lab, engine and files
        chunks = [named[i::workers] for i in range(workers)]
        loop = asyncio.get_running_loop()
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            done = await asyncio.gather(
                *(loop.run_in_executor(pool, replay_chunk, chunk, target) for chunk in chunks)
            )
        order = {name: i for i, (_, name) in enumerate(named)}
        summary.imported = sorted(
            (item for chunk in done for item in chunk), key=lambda i: order[i.scenario.stem]
        )
    return summary


def default_workers(conversations: int) -> int:
    """Processes that replay: one per core (at most 4) when there are enough conversations to pay
    for starting them (a process imports the lab once, ~1 s)."""
    return max(1, min(4, os.cpu_count() or 1)) if conversations >= MIN_PER_WORKER * 2 else 1


async def replay_all(named: list[tuple[Conversation, str]], target: Target) -> list[Imported]:
    return [await import_conversation(conv, name, target) for conv, name in named]


def replay_chunk(named: list[tuple[Conversation, str]], target: Target) -> list[Imported]:
    """A worker process's share of the conversations (run in a fresh interpreter)."""
    return asyncio.run(replay_all(named, target))
