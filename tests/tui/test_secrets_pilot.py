"""A secret a flow logs never reaches the screen: the Logs and Payloads tabs show `******` (Pilot,
real lab on the embedded engine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.masking import MASK

from .conftest import CLOCK, SNAPSHOT_SIZE, opened, send, settle

pytestmark = pytest.mark.slow

UPSTREAM_KEY = "sk-test-upstream-0123456789abcdef"
LEAKY_FLOW = """
id: leaky
namespace: company.whatsapp
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "token {{ secret('WA_TOKEN') }} key {{ secret('LLM_API_KEY') }}"
triggers:
  - id: inbound
    type: io.kestra.plugin.core.trigger.Webhook
    key: leaky-webhook-key-0123456789
"""


def _assert_masked(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text
    assert MASK in text


async def test_a_secret_a_flow_logs_never_reaches_the_tuis_logs_or_payloads(
    project: Path, monkeypatch
):
    from rich.console import Console

    from lab.config import load_settings
    from lab.conversation.lab import Lab
    from lab.tui.app import WalabApp
    from lab.tui.widgets.log_view import LogView
    from lab.tui.widgets.payload_view import PayloadView, payload_renderable
    from lab.tui.widgets.side_panel import SidePanel

    monkeypatch.setenv("OPENAI_API_KEY", UPSTREAM_KEY)
    (project / "flows" / "leaky.yml").write_text(LEAKY_FLOW)
    settings = load_settings(project, env={}, flow="leaky", llm_upstream_key=UPSTREAM_KEY)
    secrets = settings.secret_values()
    app = WalabApp(lambda: Lab.open(settings, clock_start=CLOCK), settings, clock_interval=0)
    app.animation_level = "none"
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        panel = app.screen.query_one(SidePanel)
        panel.active = "logs"
        await settle(pilot)
        shown = "\n".join(
            "".join(segment.text for segment in strip) for strip in panel.query_one(LogView).lines
        )
        assert "token" in shown
        _assert_masked(shown, secrets)
        panel.active = "payloads"
        await settle(pilot)
        assert panel.query_one(PayloadView).mask is app.lab.secret_mask
        console = Console(record=True, width=200)
        console.print(payload_renderable(panel.turn, panel.query_one(PayloadView).mask))
        for secret in secrets:
            assert secret not in console.export_text()
        screen = app.export_screenshot()
        for secret in secrets:
            assert secret not in screen


async def test_a_served_labs_help_says_where_the_credentials_are_and_shows_none(project: Path):
    import socket

    from lab.config import load_settings
    from lab.conversation.lab import Lab
    from lab.tui.app import WalabApp
    from lab.tui.screens.help import HelpScreen

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = load_settings(project, env={}, port=port)
    app = WalabApp(
        lambda: Lab.open(settings, serve=True, clock_start=CLOCK), settings, clock_interval=0
    )
    app.animation_level = "none"
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        shown = "\n".join(app.screen.access)
        assert f"http://127.0.0.1:{port}/api/v1" in shown and ".walab/lab.env" in shown
        screen = app.export_screenshot()
        for secret in settings.secret_values():
            assert secret not in screen and secret not in shown
