"""`walab chat` / `walab serve` options, without opening a terminal."""

from __future__ import annotations

import argparse
import subprocess
import sys

from lab.tui import cli, serve_cli


def test_chat_options_build_the_app_without_opening_the_lab(tmp_path):
    parser = argparse.ArgumentParser()
    cli.configure(parser)
    args = parser.parse_args(
        [
            "--project",
            str(tmp_path),
            "--llm",
            "scripted",
            "--flow",
            "whatsapp_agent",
            "--contact",
            "5521998765432",
            "--port",
            "0",
        ]
    )
    app = cli.build_app(args)
    assert app.settings.llm_mode == "scripted" and app.settings.flow == "whatsapp_agent"
    assert app.initial_contact == "5521998765432" and app.lab is None


def test_serve_accepts_the_chat_options_and_its_own():
    parser = argparse.ArgumentParser()
    serve_cli.configure(parser)
    args = parser.parse_args(["--serve-port", "8100", "--llm", "replay"])
    assert args.serve_port == 8100 and args.llm == "replay"


def test_bad_llm_mode_is_a_usage_error():
    proc = subprocess.run(
        [sys.executable, "-m", "lab", "chat", "--llm", "bogus"], capture_output=True, text=True
    )
    assert (
        proc.returncode == 2 and "invalid choice" in proc.stderr and "Traceback" not in proc.stderr
    )


async def test_chat_script_gives_the_session_scripted_replies_from_the_first_one_each_time(
    tmp_path,
):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    script = tmp_path / "replies.yaml"
    script.write_text('- \'{"text": "Resposta do roteiro."}\'\n', encoding="utf-8")
    parser = argparse.ArgumentParser()
    cli.configure(parser)
    args = parser.parse_args(
        ["--project", str(root), "--flow", "whatsapp_agent", "--script", str(script)]
    )
    settings, factory = cli.lab_factory(args)
    assert settings.llm_mode == "scripted"
    for _ in range(2):  # a reconnect opens a new session: the script starts again
        async with factory() as lab:
            turn = await lab.send_text(settings.contacts[0].wa_id, "Oi")
            assert turn.verdict == "ok" and "Resposta do roteiro." in str(turn.replies[-1].payload)


def test_chat_script_errors_before_the_app_opens(tmp_path):
    import pytest

    from lab.errors import ConfigError

    parser = argparse.ArgumentParser()
    cli.configure(parser)
    with pytest.raises(ConfigError, match="--llm is replay"):
        cli.lab_factory(
            parser.parse_args(["--project", str(tmp_path), "--llm", "replay", "--script", "x.yaml"])
        )
    with pytest.raises(ConfigError):
        cli.lab_factory(
            parser.parse_args(
                ["--project", str(tmp_path), "--script", str(tmp_path / "missing.yaml")]
            )
        )


def test_an_unknown_flow_is_a_usage_error_before_the_tui_opens():
    proc = subprocess.run(
        [sys.executable, "-m", "lab", "chat", "--flow", "nao_existe"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr
    assert "no flow 'nao_existe' in namespace company.whatsapp" in proc.stderr
    assert "whatsapp_agent" in proc.stderr and "Traceback" not in proc.stderr
