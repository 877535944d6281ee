"""Script tasks inside real flows on the embedded engine: outputs feed later expressions, failures fail."""

from __future__ import annotations

import textwrap

from lab.kestra.engine import Engine

FLOW = """
id: scripted
namespace: company.team
tasks:
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    outputFiles: ["*.json"]
    script: |
      import json
      from kestra import Kestra
      reply = "{{ inputs.text }}".upper()
      with open("reply.json", "w") as f:
          json.dump({"reply": reply}, f)
      Kestra.outputs({"reply": reply, "length": len(reply)})
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.py.vars.reply }} ({{ outputs.py.vars.length }}) in {{ outputs.py.outputFiles['reply.json'] is defined }}"
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - echo "about to fail"
      - echo "no such model" >&2
      - exit 2
errors:
  - id: report
    type: io.kestra.plugin.core.log.Log
    message: "script failed"
inputs:
  - id: text
    type: STRING
    defaults: oi
"""


async def test_script_outputs_feed_expressions_and_exit_code_fails_the_run():
    engine = Engine()
    flow = engine.deploy(textwrap.dedent(FLOW))
    started = await engine.start(flow.namespace, flow.id, inputs={"text": "quero pizza"})
    x = await engine.wait(started.id, timeout=30)
    runs = {t.task_id: t for t in x.task_runs}
    assert x.state.current == "FAILED"
    assert runs["py"].state.current == "SUCCESS" and runs["sh"].state.current == "FAILED"
    assert runs["py"].outputs["vars"] == {"reply": "QUERO PIZZA", "length": 11}
    assert runs["py"].outputs["outputFiles"]["reply.json"].startswith("kestra://")
    assert runs["sh"].outputs["exitCode"] == 2
    logs = [(e.task_id, e.level, e.message) for e in engine.logs(x.id)]
    assert ("say", "INFO", "QUERO PIZZA (11) in true") in logs
    assert ("sh", "INFO", "about to fail") in logs and ("sh", "ERROR", "no such model") in logs
    assert ("sh", "ERROR", "Command failed with exit code 2: no such model") in logs
    assert ("report", "INFO", "script failed") in logs


async def test_task_timeout_kills_the_script():
    engine = Engine()
    flow = engine.deploy(
        textwrap.dedent("""
        id: slow
        namespace: company.team
        tasks:
          - id: sleepy
            type: io.kestra.plugin.scripts.shell.Commands
            timeout: PT1S
            taskRunner:
              type: io.kestra.plugin.core.runner.Process
            commands:
              - echo started
              - sleep 30
    """)
    )
    started = await engine.start(flow.namespace, flow.id)
    x = await engine.wait(started.id, timeout=15)
    assert x.state.current == "FAILED"
    messages = [e.message for e in engine.logs(x.id)]
    assert "started" in messages and any("Timeout" in m for m in messages)
