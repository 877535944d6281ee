"""Kestra's own `kestra` package (PyPI) inside Python Script tasks, with nothing standing in for it:
outputs, metrics (counter, timer, gauge), the logger, assets, the execution context and `Flow`."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

from lab.kestra.engine import Engine
from lab.kestra.engine.api import KestraApi

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "client"))
from conftest import LoopbackServer  # noqa: E402

USER, PASSWORD = "admin@kestra.io", "Admin1234!"
HELPERS = """
id: helpers
namespace: company.team
labels:
  env: prod
inputs:
  - id: dataset
    type: STRING
    defaults: "a\\nmultiline \\"value\\""
variables:
  threshold: 42
tasks:
  - id: extract
    type: io.kestra.plugin.core.debug.Return
    format: orders.csv
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    executionContext: true
    script: |
      import kestra
      from kestra import Kestra, context
      Kestra.outputs({"where": kestra.__file__, "dataset": context.inputs.dataset,
                      "env": context.labels.env, "threshold": context.vars.threshold,
                      "previous": context.outputs.extract.value, "flow": context.flow.id,
                      "execution": context.execution.id, "task": context.task.id})
      Kestra.counter("rows", 3, {"source": "csv"})
      Kestra.timer("load", 1.5)
      Kestra.gauge("ratio", 0.25)
      Kestra.assets({"id": "orders", "type": "TABLE"})
      Kestra.logger().info("loaded")
      Kestra.logger().warning("slow")
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.py.vars.env }} {{ outputs.py.vars.threshold }}"
"""


async def test_the_real_package_sends_outputs_metrics_logs_and_reads_its_context():
    engine = Engine(version="2.0")
    engine.deploy(HELPERS)
    execution = await engine.wait((await engine.start("company.team", "helpers")).id, 30)
    assert execution.state.current == "SUCCESS", [
        (e.level, e.message) for e in engine.logs(execution.id)
    ]
    outputs = execution.task_run(
        next(t.id for t in execution.task_runs if t.task_id == "py")
    ).outputs["vars"]
    assert "site-packages" in outputs.pop("where")  # the PyPI package, not a file the engine wrote
    assert outputs == {
        "dataset": 'a\nmultiline "value"',
        "env": "prod",
        "threshold": 42,
        "previous": "orders.csv",
        "flow": "helpers",
        "execution": execution.id,
        "task": "py",
    }
    metrics = {(m.name, m.type): m.value for m in engine.metrics(execution.id)}
    assert metrics == {("rows", "counter"): 3, ("load", "timer"): 1.5, ("ratio", "gauge"): 0.25}
    logs = [
        (e.level, e.message.split(" - ", 1)[-1])
        for e in engine.logs(execution.id)
        if e.task_id == "py"
    ]
    assert ("INFO", "loaded") in logs and ("WARN", "slow") in logs
    assert not any("::" in message for _, message in logs)  # protocol lines are not logged as text
    await engine.aclose()


async def test_the_context_file_is_written_only_when_asked_and_never_collected():
    engine = Engine()
    engine.deploy("""
id: plain
namespace: company.team
tasks:
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    outputFiles: ["*", ".*"]
    script: |
      import os
      from kestra import Kestra
      try:
          from kestra import context
          context.flow
          found = True
      except FileNotFoundError:
          found = False
      Kestra.outputs({"found": found, "file": os.path.exists(".kestra-execution-context.json")})
""")
    execution = await engine.wait((await engine.start("company.team", "plain")).id, 30)
    run = execution.task_runs[0]
    assert execution.state.current == "SUCCESS" and run.outputs["vars"] == {
        "found": False,
        "file": False,
    }
    assert ".kestra-execution-context.json" not in (run.outputs.get("outputFiles") or {})
    await engine.aclose()


def test_flow_executes_a_flow_through_the_embedded_api():
    """`kestra.Flow` from a script: creates an execution, polls it, downloads its logs (basic auth)."""
    engine = Engine()
    engine.deploy("""
id: child
namespace: company.team
tasks:
  - id: hi
    type: io.kestra.plugin.core.log.Log
    message: "child says hi"
""")
    with LoopbackServer(KestraApi(engine, username=USER, password=PASSWORD)) as server:
        engine.deploy(f"""
id: parent
namespace: company.team
tasks:
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    env:
      KESTRA_HOSTNAME: "{server.url}"
    script: |
      from kestra import Flow, Kestra
      flow = Flow(poll_interval=0.1, tenant="main")
      flow.user, flow.password = "{USER}", "{PASSWORD}"
      result = flow.execute("company.team", "child", {{}})
      Kestra.outputs({{"status": result.status, "log": "child says hi" in result.log}})
""")
        started = httpx.post(
            f"{server.url}/api/v1/main/executions/company.team/parent",
            params={"wait": "true"},
            auth=(USER, PASSWORD),
            timeout=30,
        ).json()
    assert started["state"]["current"] == "SUCCESS", started
    py = next(t for t in started["taskRunList"] if t["taskId"] == "py")
    assert py["outputs"]["vars"] == {"status": "SUCCESS", "log": True}
