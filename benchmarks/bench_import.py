"""`walab import` of 1,000 executions from a fixture Kestra served on loopback (target <= 10 s).

The fixture Kestra (tests/importer/fixture_kestra.py) serves whatsapp_agent executions shaped as
Kestra 1.3 serves them (the contract fixture tests/importer/data/whatsapp_agent-1.3.json), cloned
into 500 conversations of two messages each (distinct contacts, ids and message ids): 1,000
executions. Three phases are timed in the same run, in this order, each round:

1. baseline: 1,000 plain `httpx` GETs of the same execution documents, 16 at a time (the floor
   of reading them over loopback: HTTP, JSON, the fixture server);
2. fetch: what `walab import` reads (the search, every execution through KestraClient, parsed);
3. import: the whole command (`run_import`): fetch, group, replay each conversation on the
   embedded engine through the recorder (in worker processes, one per core), redact, write
   scenario, cassette and drift report.

The fixture server runs in a thread of the same process, so CPU seconds include it; the replay
workers' CPU is counted too.
Writes benchmarks/results/import.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "importer"))

from fixture_kestra import FixtureKestra, load_fixture  # noqa: E402
from loopback import LoopbackServer  # noqa: E402

from lab.importer.fetch import Query, fetch  # noqa: E402
from lab.importer.run import run_import  # noqa: E402
from lab.kestra.client import KestraClient  # noqa: E402

USER, PASSWORD = "bench@example.com", "bench-password-1234"
FLOW = ("company.whatsapp", "whatsapp_agent")
WA_ID, NAME = "5541998765432", "Joana Araújo"  # the fixture's contact, replaced in each clone


def executions(count: int) -> dict:
    """`count` message executions: the fixture's two, cloned per contact (ids, wa_id, wamid, dates)."""
    data = load_fixture("1.3")
    messages = sorted(
        (e for e in data["executions"] if _messages(e)), key=lambda e: e["state"]["startDate"]
    )
    out = []
    start = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
    for n in range(count // len(messages)):
        wa_id = f"55119{n:08d}"
        for i, original in enumerate(messages):
            new_id = f"bench{n:06d}x{i}" + "a" * 8
            e = json.loads(
                json.dumps(original, ensure_ascii=False)
                .replace(original["id"], new_id)
                .replace(WA_ID, wa_id)
                .replace(NAME, f"Cliente {n}")
            )
            when = start + timedelta(minutes=n, seconds=20 * i)
            iso = when.isoformat().replace("+00:00", "Z")
            e["state"]["startDate"] = iso
            value = e["trigger"]["variables"]["body"]["entry"][0]["changes"][0]["value"]
            value["messages"][0].update(
                {"id": f"wamid.bench{n}x{i}", "timestamp": str(int(when.timestamp()))}
            )
            out.append(e)
    return {"executions": out}


def _messages(execution: dict) -> bool:
    body = execution.get("trigger", {}).get("variables", {}).get("body") or {}
    return bool(body.get("entry", [{}])[0].get("changes", [{}])[0].get("value", {}).get("messages"))


async def baseline(url: str, ids: list[str]) -> None:
    gate = asyncio.Semaphore(16)
    auth = httpx.BasicAuth(USER, PASSWORD)
    async with httpx.AsyncClient(base_url=url, auth=auth) as http:

        async def one(execution_id: str) -> None:
            async with gate:
                (await http.get(f"/api/v1/main/executions/{execution_id}")).json()

        await asyncio.gather(*(one(i) for i in ids))


async def fetch_only(url: str) -> int:
    async with KestraClient(url, username=USER, password=PASSWORD) as client:
        await client.detect()
        query = Query(flow=FLOW, since=timedelta(days=3650))
        return len(await fetch(client, query))


async def import_all(url: str, project: Path, out: Path) -> int:
    async with KestraClient(url, username=USER, password=PASSWORD) as client:
        query = Query(flow=FLOW, since=timedelta(days=3650))
        summary = await run_import(client, query, project_dir=project, out_dir=out)
        assert summary.differences == 0, "the clones replay as in production"
        return len(summary.imported)


def cpu_seconds() -> float:
    """This process's CPU and its finished children's (the import's replay workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(fn) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = fn()
    return time.perf_counter() - wall, cpu_seconds() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--executions", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    data = executions(args.executions)
    ids = [e["id"] for e in data["executions"]]
    rows = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        LoopbackServer(FixtureKestra(data, "1.3", USER, PASSWORD)) as server,
    ):
        project = Path(tmp)
        for name in ("flows", "prompts", "templates.yaml"):
            os.symlink(ROOT / name, project / name)
        for r in range(args.rounds):
            b = timed(lambda: asyncio.run(baseline(server.url, ids)))
            f = timed(lambda: asyncio.run(fetch_only(server.url)))
            out = project / "scenarios" / f"round{r}"
            i = timed(lambda: asyncio.run(import_all(server.url, project, out)))
            shutil.rmtree(out)
            rows.append((b, f, i))
            print(
                f"round {r + 1}: baseline {b[0]:.2f} s, fetch {f[0]:.2f} s ({f[2]} executions), "
                f"import {i[0]:.2f} s wall / {i[1]:.2f} s CPU ({i[2]} scenarios)",
                flush=True,
            )
    best = min(rows, key=lambda row: row[2][0])
    b, f, i = best
    load = os.getloadavg()[0]
    text = f"""# Import benchmark (issue 18)

`.venv/bin/python benchmarks/bench_import.py --executions {args.executions} --rounds {args.rounds}`;
{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, load average {load:.1f}.

{args.executions} whatsapp_agent executions (1.3 shapes, {len(ids) // 2} conversations of two messages)
served by the fixture Kestra on loopback. Best of {args.rounds} rounds (by import wall time):

| phase | wall | CPU (incl. the fixture server) | per execution |
|---|---|---|---|
| baseline: plain httpx GET of each execution, 16 at a time | {b[0]:.2f} s | {b[1]:.2f} s | {b[0] / len(ids) * 1000:.2f} ms |
| fetch: search + KestraClient reads, parsed | {f[0]:.2f} s | {f[1]:.2f} s | {f[0] / len(ids) * 1000:.2f} ms |
| whole import: fetch, group, replay on the embedded engine, redact, write | {i[0]:.2f} s | {i[1]:.2f} s | {i[0] / len(ids) * 1000:.2f} ms |

Fetch / baseline: {f[0] / b[0]:.2f}×. Target: the whole import of 1,000 executions in ≤ 10 s:
{"met" if i[0] <= 10 else "not met"}.

All rounds (baseline, fetch, import wall seconds):
{chr(10).join(f"- {row[0][0]:.2f}, {row[1][0]:.2f}, {row[2][0]:.2f}" for row in rows)}
"""
    (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "results" / "import.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
