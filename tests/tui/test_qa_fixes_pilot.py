"""Pilot tests pinning the TUI fixes from the QA pass: each one failed before its fix."""

from __future__ import annotations

import pytest

from lab.tui.widgets.error_panel import ErrorPanel

from .conftest import SNAPSHOT_SIZE, opened, send, settle, texts


async def test_a_failed_action_does_not_double_the_next_message(make_fake_app):
    """A failed action's bubble stays failed; the next message shows once (it used to claim the failed one)."""
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        await send(pilot, "boom")  # the fake lab fails it before the turn starts
        await pilot.press("escape")
        await send(pilot, "teste depois do erro")
        await send(pilot, "e mais um")
        assert texts(app) == [
            "Oi",
            "Recebi: Oi",
            "boom",
            "teste depois do erro",
            "Recebi: teste depois do erro",
            "e mais um",
            "Recebi: e mais um",
        ]
        states = {
            b.item.text: b.item.state for b in app.chat.query(".bubble") if b.item.side == "user"
        }
        assert states == {
            "Oi": "delivered",
            "boom": "failed",
            "teste depois do erro": "delivered",
            "e mais um": "delivered",
        }


@pytest.mark.slow
async def test_a_failed_tap_on_the_real_lab_does_not_double_the_next_message(make_real_app):
    """QA P1-4 as reported: `/tap Nada` fails (no such button), then a text shows once."""
    app = make_real_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        await send(pilot, "/tap Nada")
        assert app.chat.query_one(ErrorPanel).shown and "Nada" in str(
            app.chat.query_one(ErrorPanel).last
        )
        await pilot.press("escape")
        await send(pilot, "teste depois do erro")
        user = [b.item for b in app.chat.query(".bubble") if b.item.side == "user"]
        assert [(i.text, i.state) for i in user][-2:] == [
            ("Nada", "failed"),
            ("teste depois do erro", "read"),
        ]  # the flow marks it read
        assert texts(app).count("teste depois do erro") == 1


def log_view_text(view) -> str:
    return " ".join(strip.text.strip() for strip in view.lines)


@pytest.mark.slow
async def test_the_logs_tab_wraps_long_lines_at_the_panel_width_and_loses_nothing(make_real_app):
    """QA P1-5: `lead_logged lead 5511987…: intent …, score …, stage …` was cut at the panel's edge."""
    from lab.tui.widgets.log_view import LogView
    from lab.tui.widgets.side_panel import SidePanel

    app = make_real_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        await pilot.press("f9")  # Logs
        await settle(pilot)
        view = app.chat.query_one(LogView)
        turn = app.chat.query_one(SidePanel).turn
        long = [
            line for line in turn.logs if len(line.message) > view.scrollable_content_region.width
        ]
        assert long, [line.message for line in turn.logs]  # the case that was cut
        width = view.scrollable_content_region.width
        assert all(strip.cell_length <= width for strip in view.lines)
        shown = log_view_text(view)
        for line in turn.logs:
            assert " ".join(line.message.split()) in shown
        await pilot.resize_terminal(100, 36)  # a narrower panel wraps again
        await settle(pilot)
        assert all(
            strip.cell_length <= view.scrollable_content_region.width for strip in view.lines
        )


def rendered(renderable, width: int) -> str:
    import io

    from rich.console import Console

    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


async def test_tokens_tab_after_a_replay_miss_costs_the_failed_call_nothing_and_fits(make_fake_app):
    """QA P2-14: a failed call made the cost `price unknown (+$… known)`, which squeezed labels and columns out."""
    from lab.tui.widgets.cost_view import CostView, cost_renderable
    from lab.tui.widgets.side_panel import SidePanel

    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        await send(pilot, "miss isso")  # one priced call and one replay miss
        await pilot.press("f9", "f9")
        await settle(pilot)
        panel = app.chat.query_one(SidePanel)
        assert panel.active == "cost"
        view = app.chat.query_one(CostView)
        text = rendered(
            cost_renderable(panel.turn, panel.conversation, panel.session),
            view.content_region.width,
        )
        assert (
            "unknown" not in text and "+$" not in text
        )  # the miss costs $0, every other price is known
        rows = {line.split()[0]: line.split() for line in text.splitlines()[:5] if line.split()}
        assert rows["calls"] == ["calls", "in", "out", "cost"]  # every column header is there
        assert (
            rows["this"][:2] == ["this", "turn"] and rows["conversation"] and rows["session"]
        )  # labels whole
        assert rows["this"][2:] == ["2", "✗1", "~412", "~38", "$0.000085"]
        assert rows["session"][1:] == ["3", "✗1", "~824", "~76", "$0.000169"]
        model_row = next(
            line.split() for line in text.splitlines() if line.startswith("gpt-4o-mini")
        )
        assert "replay, scripted" in text  # the modes, under the model
        assert model_row[-1] == "$0.000169"  # the per-model cost is whole too
        assert "✗ failed calls: no answer, nothing billed ($0)" in " ".join(text.split())


@pytest.mark.slow
async def test_restart_same_user_starts_the_side_panel_and_turn_count_again(make_real_app):
    """QA P3-20: after F5 → Same user the side panel kept the old execution and the list said "1 turn"."""
    from lab.tui.widgets.contact_list import ContactList
    from lab.tui.widgets.side_panel import SidePanel

    from .conftest import MARIA

    app = make_real_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        contacts = app.chat.query_one(ContactList)
        assert "1 turn" in str(contacts.get_option(MARIA).prompt)
        await pilot.press("f5")
        await pilot.click("#same")
        await settle(pilot)
        assert app.chat.query_one(SidePanel).turn is None  # no turn since the restart
        assert "turn" not in str(contacts.get_option(MARIA).prompt)
        assert len(app.lab.transcript.turns) == 1  # the session still counts it (cost, recorder)
        await send(pilot, "Oi de novo")
        panel = app.chat.query_one(SidePanel)
        assert panel.turn.inbound.summary == "Oi de novo" and len(panel.conversation) == 1
        assert "1 turn" in str(contacts.get_option(MARIA).prompt) and len(panel.session) == len(
            app.lab.transcript.turns
        )
        await pilot.press(
            "f7"
        )  # the previous turn is not reachable: it belongs to the old conversation
        assert panel.turn is panel.conversation[-1]


def shown_words(widget) -> list[str]:
    """The words a widget draws at its size (what a cut text loses is missing here)."""
    from textual.geometry import Region

    visible = widget.region.intersection(
        widget.parent.content_region
    )  # the parent clips what sticks out
    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return " ".join(strip.crop(0, visible.width).text for strip in strips[: visible.height]).split()


async def test_add_contact_and_restart_dialogs_show_their_whole_texts(make_fake_app):
    """QA P3-18: the add-contact placeholder and error, and the restart dialog's lines, were cut."""
    from textual.widgets import Input, Label

    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await pilot.press("f4")
        await pilot.pause()
        for field in app.screen.query(Input):
            assert len(field.placeholder) <= field.content_region.width, field.placeholder
        app.screen.query_one("#contact-name").value = "Ana"
        app.screen.query_one("#contact-wa-id").value = "12ab"
        await pilot.click("#add")
        await pilot.pause()
        error = app.screen.query_one("#contact-error", Label)
        said = str(error.render())
        assert said.startswith("Not a phone number: '12ab'") and "+55 11 98765-4321" in said
        assert shown_words(error) == said.split()
        await pilot.press("escape")
        await settle(pilot)
        await send(pilot, "Oi")
        await pilot.press("f5")
        await pilot.pause()
        labels = list(app.screen.query(Label))
        assert len(labels) == 2
        for label in labels:
            assert shown_words(label) == str(label.render()).split()


def screen_chars(app) -> set[str]:
    """Every character drawn on the screen (from the SVG export's text)."""
    import html
    import re

    svg = app.export_screenshot()
    return {
        ch for text in re.findall(r"<text[^>]*>(.*?)</text>", svg) for ch in html.unescape(text)
    }


async def test_the_list_button_draws_no_character_terminals_measure_differently(make_fake_app):
    """QA P3-25: `☰ Ver planos` overran the chat pane's border: Textual measures ☰ as 2 cells (Unicode 16),
    most terminals draw it in 1. Every character the chat draws must have one width everywhere."""
    import unicodedata

    from rich.cells import cell_len

    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "lista")
        await send(pilot, "menu")
        assert any(b.item.rows for b in app.chat.query(".bubble"))
        disagree = sorted(
            ch
            for ch in screen_chars(app)
            if ch.isprintable()
            and cell_len(ch) != (2 if unicodedata.east_asian_width(ch) in "WF" else 1)
        )
        assert disagree == []


async def test_unknown_command_help_names_every_media_command(make_fake_app):
    """QA P3-23: the unknown-command help listed /image but not /doc /audio /voice /video /sticker."""
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "/frobnicate agora")
        panel = app.chat.query_one(ErrorPanel)
        assert panel.shown and "unknown command /frobnicate" in str(panel.last)
        words = shown_words(panel.query_one("#error-text"))  # drawn whole, not only in the message
        for name in (
            "/image",
            "/doc",
            "/audio",
            "/voice",
            "/video",
            "/sticker",
            "/location",
            "/late",
            "/read",
        ):
            assert name + "," in words, name
        assert app.chat.query_one("#composer").value == "/frobnicate agora"  # nothing lost


@pytest.mark.slow
async def test_a_failed_model_call_is_explained_in_the_error_panel(make_real_app):
    """QA P2-16: a replay miss showed only the flow's fallback bubble; the cause was only in Timeline/Logs."""
    app = make_real_app(flow="whatsapp_agent")  # replay mode, no cassette: every model call misses
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        turn = app.lab.transcript.turns[-1]
        assert turn.llm_calls and all(c.status == 404 for c in turn.llm_calls)
        assert any(
            b.item.side == "business" for b in app.chat.query(".bubble")
        )  # the fallback reply
        panel = app.chat.query_one(ErrorPanel)
        assert panel.shown, "the failed model call was not explained"
        said = str(panel.last)
        assert (
            f"the model call failed in turn {turn.index} ({len(turn.llm_calls)} of {len(turn.llm_calls)} calls, "
            "HTTP 404)" in said
        )
        assert (
            "LLM mode replay" in said and "replay: no recording of" in said and "Timeline" in said
        )
        body = panel.query_one("#error-text")
        assert "(Esc to dismiss)" in panel.text and body.size.height >= panel.text.count("\n") + 1
        panel.scroll_end(animate=False)  # a long explanation scrolls: its end is not cut off
        await pilot.pause()
        assert (
            panel.scroll_offset.y + panel.scrollable_content_region.height >= body.outer_size.height
        )
        await pilot.press("escape")
        assert not panel.shown
        await settle(pilot)
        assert not panel.shown  # told once per turn, not again when the turn's worker reports back


@pytest.mark.slow
async def test_a_turn_whose_model_calls_succeed_shows_no_error(make_real_app):
    app = make_real_app(flow="whatsapp_agent", scripted=[{"match": ".*", "reply": "Olá!"}])
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        assert app.lab.transcript.turns[-1].llm_calls
        assert not app.chat.query_one(ErrorPanel).shown


@pytest.mark.parametrize("size", [(80, 24), (120, 36), (160, 36)])
async def test_side_panel_fits_narrow_and_grows_on_wide_terminals(make_fake_app, size):
    """QA P3-19: the side panel was 48 columns even at 160 (JSON wrapped badly); at 80x24 its tab
    labels (`Payl`) and the header's clock were cut."""
    from textual.widgets import Tab

    from lab.tui.widgets.lab_header import LabHeader
    from lab.tui.widgets.side_panel import SidePanel
    from lab.tui.widgets.timeline_view import TimelineView

    app = make_fake_app()
    async with app.run_test(size=size) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        side = app.chat.query_one(SidePanel)
        width = side.region.width
        assert {80: width >= 39, 120: width == 48, 160: width >= 64}[size[0]], width
        assert side.region.right <= size[0]
        for tab in side.query(Tab):  # every tab label whole, inside the panel
            assert (
                side.region.x <= tab.region.x and tab.region.right <= side.region.right
            ), tab.label_text
        header = app.chat.query_one(LabHeader)
        line = header.render()
        assert "◷ 2026-01-05" in line.plain and line.cell_len <= header.content_region.width
        view = app.chat.query_one(TimelineView)
        assert "classify" in shown_words(
            view
        )  # task names keep their room (the Gantt bars go first)
