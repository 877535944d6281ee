"""`walab sandbox`: options, config file, printed URLs without secrets, and serving on loopback."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import httpx
import pytest
from waiting import PATIENCE, eventually_sync

from lab.errors import ConfigError
from lab.whatsapp import cli

from .conftest import ROOT, free_port


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.configure(parser)
    return parser.parse_args(argv)


def test_options_from_flags_and_config_file(tmp_path):
    cfg = tmp_path / "sandbox.yaml"
    cfg.write_text(
        "version: 1\nport: 9999\nwebhook-url: http://127.0.0.1:5000/webhook\nstrict_window: true\n"
    )
    opts = cli._options(parse("--config", str(cfg), "--port", "9000"))
    assert opts == {
        "port": 9000,
        "webhook_url": "http://127.0.0.1:5000/webhook",
        "strict_window": True,
    }


def test_unknown_config_option_names_the_file(tmp_path):
    cfg = tmp_path / "sandbox.yaml"
    cfg.write_text("colour: red\n")
    with pytest.raises(ConfigError) as info:
        cli._options(parse("--config", str(cfg)))
    assert (
        "colour" in info.value.what
        and info.value.where == str(cfg)
        and "known options" in info.value.fix
    )


def test_mask_never_shows_a_secret_in_full():
    secret = "EAAWabcdefghijklmnopqrstuvwxyz"
    assert secret not in cli._mask(secret) and cli._mask(secret).startswith("EAAW")
    assert cli._mask("short") == "…"


def once_listening(proc: subprocess.Popen, request) -> httpx.Response:
    """`request()`'s answer once the `walab sandbox` process listens (and has written its env file); fails
    at once if the process exits, and after the tests' patience if it never listens."""
    answers: list[httpx.Response] = []

    def answered() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"walab sandbox exited ({proc.returncode}): {proc.stdout.read()}")
        try:
            answers.append(request())
        except (httpx.ConnectError, FileNotFoundError, KeyError):
            return False
        return True

    eventually_sync(answered, "walab sandbox to listen", step=0.1)
    return answers[0]


def test_walab_sandbox_serves_and_hides_secrets():
    port = free_port()
    token, secret = "EAAWcli-token-abcdefghijklmnop", "cli-app-secret-0123456789"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lab",
            "sandbox",
            "--port",
            str(port),
            "--access-token",
            token,
            "--app-secret",
            secret,
            "--verify-token",
            "verify-cli-0123456789",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        resp = once_listening(
            proc,
            lambda: httpx.post(
                f"http://127.0.0.1:{port}/v23.0/106540352242922/messages",
                json={
                    "messaging_product": "whatsapp",
                    "to": "5511987654321",
                    "type": "template",
                    "template": {"name": "hello_world", "language": {"code": "en_US"}},
                },
                headers={"Authorization": f"Bearer {token}"},
            ),
        )
        assert resp.status_code == 200 and resp.json()["messages"][0]["id"].startswith("wamid.")
    finally:
        proc.terminate()
        out = proc.communicate(timeout=10)[0]
    assert f"http://127.0.0.1:{port}/v23.0/106540352242922/messages" in out
    assert token not in out and secret not in out


def test_bad_webhook_url_is_a_config_error(capsys):
    from lab.cli import main

    assert main(["sandbox", "--webhook-url", "localhost:8000"]) == 2
    err = capsys.readouterr().err
    assert "is not an http(s) URL" in err and "fix:" in err


def test_generated_secrets_are_usable_but_never_printed(tmp_path):
    """Without given tokens the sandbox generates them: not on screen, but in a private env file."""
    port = free_port()
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("WALAB_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab", "sandbox", "--port", str(port)],
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    env_file = tmp_path / ".walab" / "sandbox.env"
    values: dict[str, str] = {}

    def post_inbound() -> httpx.Response:
        values.update(
            line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line
        )
        return httpx.post(
            f"http://127.0.0.1:{port}/_lab/inbound",
            json={"from": "5511987654321", "text": "Oi"},
            headers={"Authorization": f"Bearer {values['WALAB_ACCESS_TOKEN']}"},
        )

    try:
        resp = once_listening(proc, post_inbound)
        assert resp.status_code == 200, resp.text
    finally:
        proc.terminate()
        out = proc.communicate(timeout=10)[0]
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert set(values) == {"WALAB_ACCESS_TOKEN", "WALAB_APP_SECRET", "WALAB_VERIFY_TOKEN"}
    for secret in values.values():
        assert secret not in out
    assert ".walab/sandbox.env" in out


def test_a_failed_handshake_says_how_to_fix_it():
    """QA P3-26: every failure of `--handshake` comes with a fix line."""
    url = "http://127.0.0.1:5000/webhook"
    assert cli.handshake_report(url, 200, cli.CHALLENGE) == ["  handshake: ok (HTTP 200)"]
    cases = {
        (403, "Forbidden"): "--verify-token",
        (200, '{"ok": true}'): "hub.challenge",
        (404, ""): "--webhook-url",
        (500, "boom"): "hub.challenge",
    }
    for (status, body), needle in cases.items():
        head, fix = cli.handshake_report(url, status, body)
        assert (
            head.startswith(f"  handshake: FAILED (HTTP {status})")
            and fix.startswith("  fix:")
            and needle in fix
        )
    head, fix = cli.handshake_report(url, None, None, ConnectionRefusedError())
    assert "could not reach" in head and "start the bot" in fix


def test_walab_sandbox_handshake_against_no_bot_prints_a_fix():
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lab",
            "sandbox",
            "--port",
            str(port),
            "--handshake",
            "--webhook-url",
            f"http://127.0.0.1:{free_port()}/webhook",
            "--access-token",
            "EAAWhandshake-token-abcdefgh",
            "--app-secret",
            "handshake-secret-0123",
            "--verify-token",
            "verify-handshake-0123",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        deadline = time.time() + PATIENCE
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("  fix:"):
                break
    finally:
        proc.kill()
        proc.wait(10)
    text = "".join(lines)
    assert "handshake: could not reach" in text and "  fix:       start the bot" in text, text
