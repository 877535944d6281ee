"""Pilot tests of the chat screen on a scripted lab: what a person does, and what they see."""

from __future__ import annotations

from waiting import eventually

from lab.tui.messages import TurnCompleted
from lab.tui.widgets.chat_pane import ChatPane
from lab.tui.widgets.composer import Composer
from lab.tui.widgets.error_panel import ErrorPanel
from lab.tui.widgets.lab_header import LabHeader
from lab.tui.widgets.side_panel import SidePanel

from .conftest import JOAO, MARIA, SNAPSHOT_SIZE, opened, send, settle, texts


async def test_send_text_shows_both_bubbles_and_the_turn(make_fake_app):
    app = make_fake_app()
    messages = []
    async with app.run_test(size=SNAPSHOT_SIZE, message_hook=messages.append) as pilot:
        await opened(pilot)
        await send(pilot, "Oi, bom dia")
        assert texts(app) == ["Oi, bom dia", "Recebi: Oi, bom dia"]
        done = next(m for m in messages if isinstance(m, TurnCompleted))
        assert len({id(m) for m in messages if isinstance(m, TurnCompleted)}) == 1
        assert done.turn.index == 0
        user, business = app.chat.query(".bubble")
        assert user.item.state == "delivered" and business.item.state == "delivered"
        assert (
            app.chat.query_one(SidePanel).turn.index == 0
        )  # the side panel follows the latest turn
        assert app.chat.query_one(Composer).value == ""
        header = app.chat.query_one(LabHeader)
        assert header.target == "embedded (Kestra 1.3 API)" and header.llm_mode == "scripted"


async def test_click_a_reply_button_sends_the_interactive_reply(make_fake_app):
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "menu")
        await pilot.click(".reply")
        await settle(pilot)
        lab = app.lab
        assert lab.transcript.turns[-1].inbound.kind == "interactive"
        assert lab.transcript.turns[-1].inbound.summary == "Ver planos"
        answered = [b for b in app.chat.query(".bubble") if b.item.buttons]
        assert answered[0].item.answered  # the buttons stay readable, marked as answered


async def test_keyboard_picks_a_list_row(make_fake_app):
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "lista")
        await pilot.press("ctrl+r")  # focus the newest reply choices
        await pilot.press("enter")  # opens the list picker
        await pilot.pause()
        assert type(app.screen).__name__ == "ListPickerModal"
        await pilot.press("down", "enter")  # the first row starts highlighted: pick the 2nd
        await settle(pilot)
        assert app.lab.transcript.turns[-1].inbound.summary == "Plus"


async def test_switch_contacts_keeps_each_thread(make_fake_app):
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.chat.contact == JOAO and texts(app) == []
        await send(pilot, "Sou o João")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.chat.contact == MARIA and texts(app) == ["Oi", "Recebi: Oi"]


async def test_late_message_is_flagged_with_the_rule_and_code(make_fake_app):
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        await send(pilot, "/advance 2h")
        assert app.chat.query_one(LabHeader).offset_h == 2
        await send(pilot, "/late 25h Ainda está aí?")
        flagged = [b for b in app.chat.query(".bubble") if b.item.flag]
        assert len(flagged) == 1
        assert flagged[0].item.flag == "24-hour window · 131047 Re-engagement message"
        assert flagged[0].has_class("-flagged") and flagged[0].item.state == "rejected"


async def test_a_failing_turn_shows_the_error_panel_and_the_app_goes_on(make_fake_app):
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "boom")
        panel = app.chat.query_one(ErrorPanel)
        assert panel.shown and "Kestra is not reachable" in str(panel.last)
        assert [b.item.state for b in app.chat.query(".bubble")] == ["failed"]
        await pilot.press("escape")
        assert not panel.shown
        await send(pilot, "Oi")  # still usable
        assert texts(app)[-1] == "Recebi: Oi"


async def test_a_composer_mistake_keeps_the_text(make_fake_app):
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "/image no/such/file.jpg legenda")
        assert app.chat.query_one(ErrorPanel).shown
        assert app.chat.query_one(Composer).value == "/image no/such/file.jpg legenda"
        assert texts(app) == []


async def test_history_recall_with_up_and_down(make_fake_app):
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "primeira")
        await send(pilot, "segunda")
        composer = app.chat.query_one(Composer)
        composer.value = "rascunho"
        await pilot.press("up")
        assert composer.value == "segunda"
        await pilot.press("up")
        assert composer.value == "primeira"
        await pilot.press("down", "down")
        assert composer.value == "rascunho"


async def test_selecting_an_older_turn_moves_the_side_panel(make_fake_app):
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "um")
        await send(pilot, "dois")
        panel = app.chat.query_one(SidePanel)
        assert panel.turn.index == 1
        await pilot.press("f7")
        assert panel.turn.index == 0
        await pilot.click(".bubble")  # the first bubble: turn 0
        assert app.chat.selected_turn == 0
        await pilot.press("escape")  # back to following the latest
        assert panel.turn.index == 1


async def test_add_contact_and_restart(make_fake_app):
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        await pilot.press("f5")
        await pilot.click("#same")
        await settle(pilot)
        assert app.lab.restarts == [(MARIA, True)]
        assert [b.item.side for b in app.chat.query(".bubble")] == ["system"]
        await pilot.press("f4")
        await pilot.pause()
        app.screen.query_one("#contact-name").value = "Ana Lima"
        app.screen.query_one("#contact-wa-id").value = "5511912345678"
        await pilot.click("#add")
        await settle(pilot)
        assert app.chat.contact == "5511912345678"


async def test_two_thousand_messages_mount_only_a_window(make_fake_app):
    app = make_fake_app(history=2000)
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        pane = app.chat.query_one(ChatPane)
        assert len(pane.items) == 2000 and pane.mounted_count == 16
        await send(pilot, "mais uma")
        assert len(pane.items) == 2002 and pane.mounted_count <= 16 + 8
        pane.scroll_home(animate=False)
        await pilot.pause()
        await pilot.click("#load-earlier")
        await pilot.pause()
        assert pane.mounted_count > 16


async def test_help_and_palette_list_every_binding(make_fake_app):
    from lab.tui.app import binding_table

    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        rows = binding_table(app)
        ids = [b.id for _, b in rows]
        assert len(ids) == len(set(ids)) and all(b.tooltip for _, b in rows)
        await pilot.press("f1")
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        from lab.tui.commands import ActionCommands

        provider = ActionCommands(app.screen)
        titles = [t for t, _, _ in provider.entries()]
        for where, b in rows:
            if where in ("app", "chat") and b.id not in ("toggle-recording", "toggle-autopilot"):
                assert f"{where}: {b.description}" in titles
        assert "chat: Start recording…" in titles and "chat: Start autopilot…" in titles


async def test_read_turns_ticks_blue(make_fake_app):
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        await send(pilot, "/read")
        business = [b for b in app.chat.query(".bubble") if b.item.side == "business"]
        assert [b.item.state for b in business] == ["read"]


async def test_command_palette_runs_an_action(make_fake_app):
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"contactswitch")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.chat.contact == JOAO


async def test_a_session_that_cannot_open_shows_why_and_f10_reconnects(project):
    from contextlib import asynccontextmanager

    from lab.config import Settings
    from lab.errors import LabError
    from lab.tui.app import WalabApp

    from .fake_lab import FakeLab

    settings = Settings(project_dir=project, llm_mode="scripted")
    kestra_up = False

    @asynccontextmanager
    async def factory():
        if not kestra_up:
            raise LabError(
                "Kestra is not reachable at http://127.0.0.1:9", fix="start Kestra or drop --kestra"
            )
        async with FakeLab.open(settings=settings) as lab:
            yield lab

    app = WalabApp(factory, settings, clock_interval=0)
    app.animation_level = "none"
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await eventually(
            lambda: app.chat.query_one(ErrorPanel).shown,
            "the error panel",
            pause=pilot.pause,
            step=0.02,
        )
        panel = app.chat.query_one(ErrorPanel)
        assert panel.shown and "not reachable" in str(panel.last)
        header = app.chat.query_one(LabHeader)
        assert header.failed and "session failed" in str(header.render())  # not "opening…" forever
        await send(pilot, "Oi")  # no session: said why and what to do, no crash, nothing lost
        said = str(panel.last)
        assert (
            "session failed" in said
            and "not reachable" in said
            and "start Kestra" in said
            and "F10" in said
        )
        assert app.chat.query_one(Composer).value == "Oi"
        assert "not open yet" not in said
        kestra_up = True  # the person started Kestra: F10 opens the session again
        await pilot.press("f10")
        await opened(pilot)
        assert not header.failed and header.target == "embedded (Kestra 1.3 API)"
        assert not panel.shown
        await pilot.press("enter")  # the kept text is sent now
        await settle(pilot)
        assert texts(app) == ["Oi", "Recebi: Oi"]
