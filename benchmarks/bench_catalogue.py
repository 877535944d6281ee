"""Kestra's plugin catalogue and unit tests: what they cost.

1. Loading the catalogue (`lab.kestra.catalogue.reader.catalogue()`, first call in a fresh process,
   plus one inherited-properties lookup), target <= 150 ms; baseline in the same run: a fresh
   `import lab.kestra.catalogue.reader` (no data read).
2. `walab send "Oi"` from launch on this tree vs the same command on the main checkout (the tree
   before the catalogue) when one is given (`--baseline-tree DIR`), interleaved: start-up unchanged.
3. `walab validate` of 100 plugin-heavy flows from launch (every type and property checked against
   the catalogue), target <= 2 s; baseline: `walab validate --help`.
4. One unit test case on the engine (a plugin task stood in by a fixture, a Return, three
   assertions), target p50 <= 5 ms; 1,000 cases, target <= 10 s on two cores.

Writes benchmarks/results/catalogue.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab.kestra.engine.engine import Engine  # noqa: E402
from lab.kestra.testsuite.model import parse_suite  # noqa: E402
from lab.kestra.testsuite.runner import SuiteRunner  # noqa: E402

PY = sys.executable
LOAD_SNIPPET = (
    "import time; t=time.perf_counter(); from lab.kestra.catalogue.reader import catalogue; c=catalogue(); "
    "c.properties('io.kestra.plugin.jdbc.postgresql.Query', '1.3'); print((time.perf_counter()-t)*1e3)"
)
IMPORT_SNIPPET = (
    "import time; t=time.perf_counter(); import lab.kestra.catalogue.reader; "
    "print((time.perf_counter()-t)*1e3)"
)

PLUGIN_FLOW = textwrap.dedent("""\
    id: etl_{n}
    namespace: company.team
    inputs:
      - id: day
        type: STRING
        defaults: "2026-01-01"
    tasks:
      - id: extract
        type: io.kestra.plugin.jdbc.postgresql.Query
        url: jdbc:postgresql://db:5432/shop
        username: "{{{{ secret('DB_USER') }}}}"
        sql: "select * from orders where day = '{{{{ inputs.day }}}}'"
        fetchType: FETCH
        retry: {{type: exponential, interval: PT1S, maxInterval: PT10S, maxAttempts: 3}}
      - id: upload
        type: io.kestra.plugin.aws.s3.Upload
        region: eu-west-1
        bucket: leads
        key: "orders/{{{{ execution.id }}}}.json"
        from: "{{{{ outputs.extract.uri }}}}"
      - id: sheet
        type: io.kestra.plugin.googleworkspace.sheets.Read
        spreadsheetId: abc
        serviceAccount: "{{{{ secret('GCP_SA') }}}}"
      - id: cache
        type: io.kestra.plugin.redis.string.Set
        url: redis://cache:6379
        key: "last_{{{{ inputs.day }}}}"
        value: "{{{{ outputs.extract.size }}}}"
      - id: agent
        type: io.kestra.plugin.ai.agent.AIAgent
        prompt: "Summarise {{{{ outputs.extract.size }}}} orders"
        provider: {{type: io.kestra.plugin.ai.provider.OpenAI, modelName: gpt-4o-mini, apiKey: k}}
        memory: {{type: io.kestra.plugin.ai.memory.KestraKVStore}}
      - id: route
        type: io.kestra.plugin.core.flow.Switch
        value: "{{{{ outputs.extract.size > 0 }}}}"
        cases:
          true:
            - id: alert
              type: io.kestra.plugin.notifications.slack.SlackIncomingWebhook
              url: "{{{{ secret('SLACK') }}}}"
              payload: "{{{{ outputs.agent.textOutput | toJson }}}}"
          false:
            - id: http
              type: io.kestra.plugin.core.http.Request
              uri: https://example.com/empty
              options: {{followRedirects: true, auth: {{type: BEARER, token: t}}}}
    triggers:
      - id: nightly
        type: io.kestra.plugin.core.trigger.Schedule
        cron: "0 2 * * *"
""")

CASE_FLOW = textwrap.dedent("""\
    id: greet
    namespace: company.team
    tasks:
      - id: lookup
        type: io.kestra.plugin.jdbc.postgresql.Query
        url: jdbc:postgresql://db/x
        sql: select 1
      - id: hello
        type: io.kestra.plugin.core.debug.Return
        format: "Hello {{ outputs.lookup.row.name }}"
""")

CASE = textwrap.dedent("""\
      - id: case_{n}
        type: io.kestra.core.tests.flow.UnitTest
        fixtures:
          tasks: [{{id: lookup, outputs: {{row: {{name: Ana}}, size: 1}}}}]
        assertions:
          - {{value: "{{{{ outputs.hello.value }}}}", equalTo: Hello Ana}}
          - {{value: "{{{{ outputs.lookup.size }}}}", greaterThan: 0}}
          - {{value: "{{{{ outputs.hello.value }}}}", startsWith: Hello}}
""")


CPU: dict[
    str, list[float]
] = {}  # CPU ms (user + system) of each command, by label: robust to a loaded machine


def wall_ms(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, label: str = "") -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=False, capture_output=True, env=env)
    wall = (time.perf_counter() - start) * 1e3
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.setdefault(label, []).append(
        (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1e3
    )
    return wall


def printed_ms(snippet: str) -> float:
    out = subprocess.run(
        [PY, "-c", snippet], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return float(out.strip())


def suite_text(cases: int) -> str:
    return "id: greet_tests\nnamespace: company.team\nflowId: greet\ntestCases:\n" + "".join(
        CASE.format(n=i) for i in range(cases)
    )


async def run_cases(cases: int) -> tuple[list[float], float]:
    engine = Engine(secrets={})
    engine.deploy(CASE_FLOW)
    suite = parse_suite(suite_text(cases), Path("bench.yaml"))
    runner = SuiteRunner(engine)
    times = []
    start = time.perf_counter()
    for case in suite.test_cases:
        t = time.perf_counter()
        result = await runner.run_case(suite, case)
        times.append((time.perf_counter() - t) * 1e3)
        assert result["state"] == "SUCCESS", result
        engine.forget_executions()
    total = time.perf_counter() - start
    await engine.aclose()
    return times, total


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--baseline-tree",
        type=Path,
        default=None,
        help="a checkout without the catalogue (e.g. `git archive 0c2cdbd | tar -x -C DIR`), for "
        "walab send's start-up baseline",
    )
    args = parser.parse_args()
    load = [printed_ms(LOAD_SNIPPET) for _ in range(args.runs)]
    imports = [printed_ms(IMPORT_SNIPPET) for _ in range(args.runs)]

    send_here, send_base = [], []
    env = {**os.environ, "WALAB_LLM_MODE": "replay"}
    for _ in range(args.runs):
        send_here.append(wall_ms([PY, "-m", "lab", "send", "Oi"], ROOT, env, "send"))
        if args.baseline_tree is not None:
            send_base.append(
                wall_ms([PY, "-m", "lab", "send", "Oi"], args.baseline_tree, env, "send_base")
            )

    with tempfile.TemporaryDirectory() as folder:
        for n in range(100):
            Path(folder, f"etl_{n}.yml").write_text(PLUGIN_FLOW.format(n=n))
        check = subprocess.run(
            [PY, "-m", "lab", "validate", folder, "-q"], cwd=ROOT, capture_output=True, text=True
        )
        assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
        validate = [
            wall_ms([PY, "-m", "lab", "validate", folder, "-q"], ROOT, label="validate")
            for _ in range(args.runs)
        ]
        help_only = [
            wall_ms([PY, "-m", "lab", "validate", "--help"], ROOT, label="help")
            for _ in range(args.runs)
        ]

    asyncio.run(run_cases(50))  # warm: imports, compiled expressions
    times, _ = asyncio.run(run_cases(200))
    _, thousand = asyncio.run(run_cases(1000))
    times.sort()

    med = statistics.median
    cpu = {k: med(v) for k, v in CPU.items()}
    lines = [
        "## Plugin catalogue and Kestra unit tests",
        "",
        "Command: `.venv/bin/python benchmarks/bench_catalogue.py` "
        f"(machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average {os.getloadavg()[0]:.1f} at the end; medians of {args.runs} fresh processes).",
        "",
        "| what | target | measured | baseline in the same run |",
        "|---|---|---|---|",
        f"| catalogue load (first `catalogue()` + one inherited-properties lookup, in a fresh process) | <= 150 ms | "
        f"{med(load):.1f} ms (min {min(load):.1f}) | `import lab.kestra.catalogue.reader` alone: {med(imports):.1f} ms |",
        f"| `walab send \"Oi\"` from launch (this tree) | unchanged | wall {med(send_here):.0f} ms (min {min(send_here):.0f}); "
        f"CPU {cpu['send']:.0f} ms | "
        + (
            f"same command on {args.baseline_tree} (no catalogue), interleaved: wall {med(send_base):.0f} ms (min "
            f"{min(send_base):.0f}), CPU {cpu['send_base']:.0f} ms; CPU ratio {cpu['send'] / cpu['send_base']:.2f}"
            if send_base
            else "not measured"
        )
        + " |",
        f"| `walab validate` of 100 plugin-heavy flows from launch | <= 2 s | wall {med(validate):.0f} ms (min "
        f"{min(validate):.0f}); CPU {cpu['validate']:.0f} ms | `walab validate --help`: wall {med(help_only):.0f} ms, "
        f"CPU {cpu['help']:.0f} ms |",
        f"| one unit test case on the engine (fixture + Return + 3 assertions), 200 cases | p50 <= 5 ms | "
        f"p50 {times[len(times) // 2]:.2f} ms, p99 {times[int(len(times) * 0.99)]:.2f} ms | — |",
        f"| 1,000 unit test cases, one process | <= 10 s | {thousand:.2f} s | — |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    (ROOT / "benchmarks" / "results" / "catalogue.md").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
