"""SVG snapshots of every screen and panel at one size (120x36), on the scripted lab (frozen clock).

Update after eyeballing: `.venv/bin/pytest tests/tui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from .conftest import SNAPSHOT_SIZE, opened, send, settle


async def test_empty_chat(make_fake_app, svg_snapshot):
    """You should see the header (embedded, scripted, clock), two contacts, an empty thread, the timeline tab."""
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        assert await svg_snapshot(pilot)


async def test_conversation_with_buttons_template_and_ticks(make_fake_app, svg_snapshot):
    """You should see user/business bubbles with ticks, reply buttons, a template with its parameters."""
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        await send(pilot, "Qual o plano?")
        await send(pilot, "menu")
        assert await svg_snapshot(pilot)


async def test_list_picker(make_fake_app, svg_snapshot):
    """You should see the list picker modal with a section and two rows with descriptions."""
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "lista")
        await pilot.press("ctrl+r", "enter")
        assert await svg_snapshot(pilot)


async def test_violation_flagged(make_fake_app, svg_snapshot):
    """You should see a red-flagged reply: 24-hour window · 131047 Re-engagement message, rejected."""
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        await send(pilot, "/late 25h Ainda está aí?")
        assert await svg_snapshot(pilot)


async def test_side_panel_tabs(make_fake_app, svg_snapshot):
    """You should see, in turn, the Logs, Tokens & cost (estimated ~ marked) and Payloads tabs."""
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        await send(pilot, "menu")
        for _ in range(3):
            await pilot.press("f9")
            assert await svg_snapshot(pilot)


async def test_error_panel(make_fake_app, svg_snapshot):
    """You should see the error panel: what (Kestra not reachable), where, fix; the failed bubble."""
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "boom")
        assert await svg_snapshot(pilot)


async def test_help_screen(make_fake_app, svg_snapshot):
    """You should see every key with its id, then the composer commands."""
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await pilot.press("f1")
        assert await svg_snapshot(pilot)


async def test_prompt_panel_and_diff(make_fake_app, svg_snapshot):
    """You should see the flow's prompt variants, the editor with its token count, then a diff."""
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert await svg_snapshot(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert await svg_snapshot(pilot)


async def test_modals(make_fake_app, svg_snapshot):
    """You should see the add-contact, restart and record modals."""
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        for key in ("f4", "f5", "f3"):
            await pilot.press(key)
            assert await svg_snapshot(pilot)
            await pilot.press("escape")
            await settle(pilot)


async def test_recording_in_the_header(make_fake_app, svg_snapshot, monkeypatch):
    """You should see "● REC lead_asks · 1 turn → lead_asks.yaml" in the header."""
    import lab.scenarios.recorder as recorder_module

    class StubRecorder:  # the real recorder is tested on the real Lab; here only the header matters
        earlier_count = 0

        def __init__(self, lab, path, name, **kw):
            self.lab, self.path, self.turns = lab, path, 0

        def start(self):
            self.unsubscribe = self.lab.subscribe(self.on_event)

        def on_event(self, event):
            from lab.conversation.events import TurnFinished

            self.turns += isinstance(event, TurnFinished)

        def stop(self):
            self.unsubscribe()
            return self.path

    monkeypatch.setattr(recorder_module, "Recorder", StubRecorder)
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await pilot.press("f3")
        await pilot.pause()
        app.screen.query_one("#record-name").value = "lead asks"
        await pilot.press("enter")
        await settle(pilot)
        await send(pilot, "Oi")
        assert await svg_snapshot(pilot)


async def test_command_palette(make_fake_app, svg_snapshot):
    """You should see the command palette filtered to the contact and clock commands."""
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"clock")
        await pilot.pause(0.3)
        assert await svg_snapshot(pilot)
