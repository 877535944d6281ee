"""Executions read from a Kestra through its REST API: by id, or a flow's since a date.

`GET /executions/{id}` for each one (a 2.0 search answers light executions, without task runs),
their task outputs from `/outputs/...` on 2.0 (`KestraClient.with_outputs`), several at a time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from lab.kestra.client import KestraClient
from lab.kestra.errors import KestraUnreachable
from lab.kestra.shapes import Execution

PAGE_SIZE = 200
AT_ONCE = 16  # executions read at the same time
READ_ATTEMPTS = 3  # a read is idempotent: one the connection dropped is made again


@dataclass(frozen=True, slots=True)
class Query:
    """Which executions to import: `ids`, or those of `flow` (namespace, id) started since `since`,
    carrying every label of `labels` and in one of `states` (none: any)."""

    ids: tuple[str, ...] = ()
    flow: tuple[str, str] | None = None
    since: timedelta | None = None
    labels: dict[str, str] = field(default_factory=dict)
    states: tuple[str, ...] = ()

    def search_params(self, now: datetime) -> dict[str, Any]:
        """Kestra's `filters[field][OPERATION]` query of `/executions/search` (1.3 and 2.0)."""
        assert self.flow is not None
        params: dict[str, Any] = {
            "filters[namespace][EQUALS]": self.flow[0],
            "filters[flowId][EQUALS]": self.flow[1],
        }
        if self.since is not None:
            params["filters[startDate][GREATER_THAN_OR_EQUAL_TO]"] = _iso(now - self.since)
        if self.states:
            params["filters[state][IN]"] = ",".join(self.states)
        for key, value in self.labels.items():
            params[f"filters[labels][EQUALS][{key}]"] = value
        return params

    def keeps(self, execution: Execution, now: datetime) -> bool:
        """The query's conditions, checked again on what the server answered (a server that does
        not know a filter ignores it)."""
        if self.flow and (execution.namespace, execution.flow_id) != self.flow:
            return False
        if self.states and execution.state.current not in self.states:
            return False
        if any(execution.labels.get(k) != v for k, v in self.labels.items()):
            return False
        if self.since is not None:
            start = execution.state.start_date
            if start and _parse(start) < now - self.since:
                return False
        return True


async def fetch(client: KestraClient, query: Query, now: datetime | None = None) -> list[Execution]:
    """The executions the query names, whole (task runs and their outputs), oldest first."""
    now = now or datetime.now(timezone.utc)
    found_whole: dict[str, Execution] = {}
    if query.ids:
        ids = list(query.ids)
    else:
        results = await _search(client, query, now)
        ids = [r["id"] for r in results]
        # 1.3 searches answer whole executions (task runs and outputs): no second read needed.
        found_whole = {r["id"]: Execution.from_json(r) for r in results if "taskRunList" in r}
    gate = asyncio.Semaphore(AT_ONCE)

    async def one(execution_id: str) -> Execution:
        if execution_id in found_whole and client.dialect != "2.0":
            return found_whole[execution_id]
        async with gate:
            for attempt in range(READ_ATTEMPTS):
                try:
                    execution = await client.get_execution(execution_id)
                    return await client.results.with_outputs(execution)
                except KestraUnreachable:  # a connection dropped mid-answer: read it again
                    if attempt == READ_ATTEMPTS - 1:
                        raise
            raise AssertionError("unreachable")

    found = await asyncio.gather(*(one(i) for i in ids))
    if not query.ids:
        found = [e for e in found if query.keeps(e, now)]
    return sorted(found, key=lambda e: e.state.start_date or "")  # ties: as the server listed them


async def _search(client: KestraClient, query: Query, now: datetime) -> list[dict[str, Any]]:
    """The executions a search finds (whole on 1.3, light on 2.0), every page."""
    params = query.search_params(now)
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        results, total = await client.results.search_executions(params, page=page, size=PAGE_SIZE)
        found += results
        if not results or len(found) >= total:
            return found
        page += 1


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
