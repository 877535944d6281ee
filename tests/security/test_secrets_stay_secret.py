"""Secrets stay out of flows' reach and off the screen: a Script task gets no lab secret in its
environment and is killed at its timeout; a secret a flow logs is `******` in the logs API, the
turn, the snapshot, the TUI's Logs and Payloads."""

from __future__ import annotations

import asyncio
import os
import shutil
import textwrap
from pathlib import Path

import httpx
import orjson
import pytest

from lab.kestra.engine import Engine
from lab.masking import MASK, SecretMask

from .conftest import CLOCK, MARIA, ROOT

UPSTREAM_KEY = "sk-test-upstream-0123456789abcdef"
LAB_SECRET = "walab-gateway-key-in-the-labs-environment"

ENV_FLOW = """
id: env
namespace: company.team
tasks:
  - id: show
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    env:
      GIVEN: "by the task"
    commands:
      - env
      - pwd
"""


async def test_a_script_gets_the_tasks_env_and_what_a_process_needs_never_the_labs(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", UPSTREAM_KEY)
    monkeypatch.setenv("WALAB_GATEWAY_KEY", LAB_SECRET)
    monkeypatch.setenv("KESTRA_PASSWORD", "Admin1234!-in-the-labs-environment")
    engine = Engine(secrets={})
    flow = engine.deploy(textwrap.dedent(ENV_FLOW))
    x = await engine.wait((await engine.start(flow.namespace, flow.id)).id, timeout=30)
    assert x.state.current == "SUCCESS"
    lines = [e.message for e in engine.logs(x.id) if e.task_id == "show"]
    env = dict(line.split("=", 1) for line in lines if "=" in line)
    assert env["GIVEN"] == "by the task"
    assert {"PATH", "HOME", "LANG", "TMPDIR", "WORKING_DIR", "OUTPUT_DIR"} <= set(env)
    for name in ("OPENAI_API_KEY", "WALAB_GATEWAY_KEY", "KESTRA_PASSWORD"):
        assert name not in env
    assert not any(secret in "\n".join(lines) for secret in (UPSTREAM_KEY, LAB_SECRET))
    workdir = lines[-1]  # pwd: the task's own working directory, removed after the run
    assert workdir == env["WORKING_DIR"] and workdir != os.getcwd() and not Path(workdir).exists()


async def test_a_scripts_timeout_kills_it_and_every_process_it_started():
    engine = Engine(secrets={})
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
              - sleep 60 &
              - echo "child $!"
              - sleep 60
    """)
    )
    x = await engine.wait((await engine.start(flow.namespace, flow.id)).id, timeout=15)
    assert x.state.current == "FAILED"
    messages = [e.message for e in engine.logs(x.id)]
    assert any("Timeout after" in m for m in messages)
    child = int(next(m for m in messages if m.startswith("child ")).split()[1])
    for _ in range(100):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail(f"the script's child {child} outlived the task's timeout")


def test_the_mask_hides_each_value_and_its_base64_as_kestra_does():
    mask = SecretMask(["s3cret-value", None, "", "ab"])
    assert mask.text("a s3cret-value b") == f"a {MASK} b"
    assert mask.text("czNjcmV0LXZhbHVl") == MASK  # base64, as Kestra's logger masks it
    assert mask.text("ab stays") == "ab stays"  # too short to be told from ordinary words
    assert mask.data({"k": ["x s3cret-value"]}) == {"k": [f"x {MASK}"]}


LEAKY_FLOW = """
id: leaky
namespace: company.whatsapp
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "token {{ secret('WA_TOKEN') }} key {{ secret('LLM_API_KEY') }}"
  - id: reply
    type: io.kestra.plugin.core.http.Request
    uri: "{{ kv('WA_GRAPH_URL') }}/{{ kv('WA_GRAPH_VERSION') }}/106540352242922/messages"
    method: POST
    contentType: application/json
    headers:
      Authorization: "Bearer {{ secret('WA_TOKEN') }}"
    body: '{"messaging_product": "whatsapp", "to": "5511987654321", "type": "text",
      "text": {"body": "the key is {{ secret(''LLM_API_KEY'') }}"}}'
  - id: script
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    env:
      LEAK: "{{ secret('LLM_API_KEY') }}"
    commands:
      - env
      - echo "leaking $LEAK" >&2
      - exit 3
triggers:
  - id: inbound
    type: io.kestra.plugin.core.trigger.Webhook
    key: leaky-webhook-key-0123456789
"""


@pytest.fixture
def leaky_project(tmp_path: Path, monkeypatch) -> Path:
    """The project with one more flow, which logs its secrets and fails with one on stderr."""
    monkeypatch.setenv("OPENAI_API_KEY", UPSTREAM_KEY)
    for name in ("flows", "prompts"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "templates.yaml", tmp_path / "templates.yaml")
    (tmp_path / "flows" / "leaky.yml").write_text(LEAKY_FLOW)
    return tmp_path


def _settings(project: Path):
    from lab.config import load_settings

    return load_settings(project, env={}, flow="leaky", llm_upstream_key=UPSTREAM_KEY)


def _assert_masked(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text
    assert MASK in text


async def test_a_secret_a_flow_logs_is_masked_in_the_logs_api_the_turn_and_the_snapshot(
    leaky_project: Path,
):
    from rich.console import Console

    from lab.conversation.lab import Lab
    from lab.scenarios.snapshot import render
    from lab.tui.widgets.payload_view import payload_renderable

    settings = _settings(leaky_project)
    secrets = settings.secret_values()
    async with Lab.open(settings, clock_start=CLOCK) as lab:
        turn = await lab.send_text(MARIA, "Oi")
        assert turn.verdict == "error" and "leaking" in turn.error
        _assert_masked("\n".join(line.message for line in turn.logs), secrets)
        assert UPSTREAM_KEY not in "\n".join(
            line.message for line in turn.logs
        )  # the script never had it
        [execution] = turn.executions
        api_logs = await lab.client.get_logs(execution.id)
        _assert_masked("\n".join(entry.message for entry in api_logs), secrets)
        _assert_masked(turn.error, secrets)
        snapshot = render(lab.transcript, secrets=secrets)  # as the scenario player writes it
        _assert_masked(snapshot, secrets)
        assert "leaking ******" in snapshot  # the failed task's stderr, masked where it was logged
        payloads = Console(record=True, width=200)
        payloads.print(payload_renderable(turn, lab.secret_mask))  # the TUI's Payloads tab
        assert "the key is ******" in payloads.export_text()
        for secret in secrets:
            assert secret not in payloads.export_text()
        logs = orjson.dumps(turn.logs).decode()  # dataclasses, as `walab send --json` writes them
        for secret in secrets:
            assert secret not in logs


async def test_the_logs_api_over_loopback_answers_masked_lines(leaky_project: Path):
    """The logs endpoint of the served lab: what a curl or a browser tab would read."""
    from lab.conversation.lab import Lab

    from .conftest import free_port

    settings = _settings(leaky_project)
    settings.port = free_port()
    async with Lab.open(settings, serve=True, clock_start=CLOCK) as lab:
        turn = await lab.send_text(MARIA, "Oi")
        [execution] = turn.executions
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{settings.port}", auth=settings.api_credentials
        ) as http:
            logs = await http.get(f"/api/v1/main/logs/{execution.id}")
        assert logs.status_code == 200
        _assert_masked(logs.text, settings.secret_values())
