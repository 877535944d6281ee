"""`walab send` and `walab deploy` as a person runs them (a real process, the embedded target)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .conftest import ROOT


def walab(*args: str, **extra_env: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WALAB_", "OPENAI_"))}
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "-m", "lab", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_send_prints_the_chat_tasks_and_cost():
    done = walab("send", "Quero saber o preço")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Maria Souza (5511987654321) → company.whatsapp.lead_qualification on embedded" in out
    assert "< [template hello_world]" in out and "Solar Casa" in out
    assert "execution lead_qualification" in out and "SUCCESS" in out and "send_reply" in out
    assert "LLM: no calls" in out
    assert "Traceback" not in done.stderr


def test_send_json_is_the_turn():
    done = walab("send", "--json", "--contact", "João Pereira", "Oi")
    assert done.returncode == 0, done.stderr
    turn = json.loads(done.stdout)
    assert turn["contact"] == "5521998765432" and turn["verdict"] == "ok"
    assert (
        turn["inbound"]["payload"]["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"]
        == "Oi"
    )
    assert turn["executions"][0]["state"] == "SUCCESS" and turn["replies"]


def test_send_to_the_llm_agent_without_a_model_says_why(tmp_path):
    done = walab(
        "send",
        "--flow",
        "whatsapp_agent",
        "--cassette",
        str(tmp_path / "empty.cassette.yaml"),
        "Oi",
    )
    assert done.returncode == 1
    assert "hint: no model answered" in done.stdout and "Desculpe" in done.stdout
    # nothing may leave loopback: the upstream is a closed local port
    live = walab(
        "send",
        "--flow",
        "whatsapp_agent",
        "--llm",
        "live",
        "Oi",
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",
    )
    assert "OPENAI_API_KEY" in live.stdout


def test_send_bad_contact_is_a_clear_error():
    done = walab("send", "--contact", "Ninguém", "Oi")
    assert done.returncode == 2
    assert "no contact 'Ninguém'" in done.stderr and "Traceback" not in done.stderr


def test_deploy_dry_run_and_embedded_check():
    dry = walab("deploy", "--dry-run", "--delete")
    assert dry.returncode == 0
    assert "flow   whatsapp_agent" in dry.stdout and "dry run: nothing deployed" in dry.stdout
    assert "delete flows of company.whatsapp" in dry.stdout
    ok = walab("deploy")
    assert ok.returncode == 0 and "deploy cleanly on the embedded engine" in ok.stdout
    refused = walab("deploy", "--kestra", "http://127.0.0.1:9")
    assert refused.returncode == 2 and "cannot reach Kestra" in refused.stderr


def test_send_live_without_any_upstream_fails_fast_without_the_network():
    done = walab("send", "--flow", "whatsapp_agent", "--llm", "live", "Oi")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    out = done.stdout + done.stderr
    assert "no upstream is configured" in out and "OPENAI_API_KEY" in out and "--llm replay" in out


def test_deploy_dry_run_columns_line_up_whatever_the_name_length():
    dry = walab("deploy", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    rows = [
        line for line in dry.stdout.splitlines() if line.startswith(("  flow ", "  file ", "  kv "))
    ]
    assert any(
        len(line.split()[1]) > 28 for line in rows
    )  # prompts/faq_energy_assistant.default.md

    def value_column(line: str) -> int:
        end = line.index(line.split()[1]) + len(line.split()[1])
        return end + len(line[end:]) - len(line[end:].lstrip())

    assert len({value_column(line) for line in rows}) == 1, rows
