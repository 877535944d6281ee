"""Flow coverage after `walab test`: tasks and branches (If then/else, each Switch case, errors,
finally) that ran at least once, as a table, as JSON, and `--walab-min-coverage N`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from lab.kestra import coverage
from lab.kestra.engine import Engine

ROOT = Path(__file__).resolve().parents[3]

FLOW = textwrap.dedent("""\
    id: cov
    namespace: company.team
    inputs:
      - id: vip
        type: BOOL
    tasks:
      - id: route
        type: io.kestra.plugin.core.flow.If
        condition: "{{ inputs.vip }}"
        then:
          - id: vip
            type: io.kestra.plugin.core.log.Log
            message: vip
        else:
          - id: kind
            type: io.kestra.plugin.core.flow.Switch
            value: "{{ inputs.vip }}"
            cases:
              false:
                - id: normal
                  type: io.kestra.plugin.core.log.Log
                  message: normal
    errors:
      - id: alert
        type: io.kestra.plugin.core.log.Log
        message: failed
""")


def test_points_and_what_ran():
    recorder = coverage.Recorder()

    async def go() -> None:
        engine = Engine()
        flow = engine.deploy(
            FLOW, path="tests/cov.yml"
        )  # not a project flow: kept out of the run's table
        x = await engine.start(flow.namespace, flow.id, inputs={"vip": False})
        done = await engine.wait(x.id, timeout=10)
        recorder.record(flow, {t.task_id for t in done.task_runs})
        await engine.aclose()

    asyncio.run(go())
    [cov] = recorder.flows.values()
    assert cov.tasks == ["route", "vip", "kind", "normal", "alert"]
    assert list(cov.branches) == ["route.then", "route.else", "kind.cases.false", "errors"]
    data = cov.to_json()
    assert data["branches"]["ran"] == ["route.else", "kind.cases.false"]
    assert data["branches"]["missed"] == ["route.then", "errors"]
    assert data["tasks"]["missed"] == ["vip", "alert"] and data["percent"] == 55.6
    assert "company.team.cov" in recorder.table() and "route.then, errors" in recorder.table()
    merged = coverage.Recorder()
    merged.merge(recorder.export())
    assert merged.flows["company.team.cov"].to_json() == data


def test_walab_test_prints_coverage_writes_json_and_enforces_a_minimum(tmp_path):
    out = tmp_path / "coverage.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/kestra_tests",
            "-q",
            "-p",
            "no:cacheprovider",
            "--walab-coverage-json",
            str(out),
            "--walab-min-coverage",
            "99",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1, run.stdout[-3000:]
    assert "walab flow coverage" in run.stdout and "company.whatsapp.whatsapp_agent" in run.stdout
    assert "is below --walab-min-coverage 99%" in run.stdout
    report = json.loads(out.read_text())
    assert {f["flow"] for f in report["flows"]} == {
        "company.whatsapp.whatsapp_agent",
        "company.whatsapp.lead_qualification",
        "company.whatsapp.faq_energy_assistant",
        "company.whatsapp.claim_message",  # the subflow every agent claims a message with
    }
    assert 0 < report["percent"] < 99
