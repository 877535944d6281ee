"""Pilot tests pinning the TUI fixes from a new user's first hour: each one failed before its fix."""

from __future__ import annotations

import pytest

from .conftest import JOAO, SNAPSHOT_SIZE, opened, send, settle


async def test_esc_in_the_prompt_editor_asks_before_throwing_unsaved_edits_away(make_fake_app):
    """Esc with unsaved edits asks; Cancel keeps the edits in the editor, Discard closes; Esc with
    nothing unsaved closes at once."""
    from lab.tui.screens.confirm import ConfirmModal
    from lab.tui.screens.prompts import PromptScreen

    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await pilot.press("f2")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PromptScreen)
        screen.editor.insert("Nova regra. ")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert "unsaved" in app.screen.title_text
        await pilot.press("escape")  # Cancel: back to the editor, the edits still there
        await settle(pilot)
        assert app.screen is screen and screen.editor.text.startswith("Nova regra. ")
        assert not screen.current.path.read_text(encoding="utf-8").startswith("Nova regra.")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.click("#confirm-yes")
        await settle(pilot)
        assert app.screen is app.chat
        await pilot.press("f2")  # nothing unsaved: Esc closes without a question
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.chat


def shown(static) -> str:
    """The text a Static shows (a diff's Syntax holds its code)."""
    content = static.content
    return getattr(content, "code", None) or str(content)


async def test_the_diff_of_a_flow_with_one_variant_compares_with_the_saved_file(make_fake_app):
    """lead_qualification has one prompt variant: F6 used to show an empty dropdown and a blank
    diff, and F6 did nothing while the editor had the focus (which F2 now gives it)."""
    from textual.widgets import Select, Static, TabbedContent, TextArea

    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await pilot.press("f2")
        await settle(pilot)
        screen = app.screen
        assert [p.id for p in screen.variants] == ["lead_qualification.default"]
        assert isinstance(app.focused, TextArea)  # typing edits the variant the title names
        await pilot.press("f6")  # the editor binds F6 too: the screen's wins
        await settle(pilot)
        assert screen.query_one(TabbedContent).active == "diff"
        select = screen.query_one("#diff-against", Select)
        assert app.focused is select and select.value is not Select.NULL
        body = shown(screen.query_one("#diff-body", Static))
        assert "No unsaved edits" in body and "only variant of flow lead_qualification" in body
        await pilot.press("f6")  # back to the editor
        await settle(pilot)
        assert screen.query_one(TabbedContent).active == "edit" and app.focused is screen.editor
        await pilot.press("N", "o", "v", "o", "space")
        await pilot.press("f6")
        await settle(pilot)
        body = shown(screen.query_one("#diff-body", Static))
        assert "+Novo " in body and "lead_qualification.default (saved file)" in body


async def test_the_logs_tab_wraps_at_its_width_after_a_turn_finished_behind_another_tab(
    make_fake_app,
):
    """The Logs tab, shown again after a turn finished while the Timeline showed, wrapped every
    line at 8 columns (the hidden tab had no width when it was refilled)."""
    from lab.tui.widgets.log_view import LogView
    from lab.tui.widgets.side_panel import SidePanel

    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        await pilot.press("f9")  # Logs
        await settle(pilot)
        view = app.chat.query_one(LogView)
        before = [strip.cell_length for strip in view.lines]
        await pilot.press("f9")  # Tokens·$
        await send(pilot, "tudo bem?")  # this turn finishes while the Logs tab is hidden
        await pilot.press("f9", "f9", "f9")  # Payloads, Timeline, Logs
        await settle(pilot)
        assert app.chat.query_one(SidePanel).active == "logs"
        assert view.turn is not None and view.turn.index == 1
        width = view.scrollable_content_region.width
        assert len(view.lines) == len(before)  # the same three log lines, wrapped as before
        assert max(strip.cell_length for strip in view.lines) > 8
        assert all(strip.cell_length <= width for strip in view.lines)


async def test_f7_pins_a_turn_and_f8_at_the_newest_follows_new_turns_again(make_fake_app):
    """After F7/F8 the panel stayed on the chosen turn even once F8 reached the newest, and nothing
    said it was pinned."""
    from textual.widgets import Static

    from lab.tui.widgets.side_panel import SidePanel

    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        for text in ("um", "dois", "três"):
            await send(pilot, text)
        panel = app.chat.query_one(SidePanel)
        pin = panel.query_one("#turn-pin", Static)
        assert not pin.display  # following: no pin line
        await pilot.press("f7")
        await settle(pilot)
        assert panel.turn.index == 1 and pin.display
        assert str(pin.content).startswith("turn 2 of 3 · pinned")
        await send(pilot, "quatro")  # a new turn does not move a pinned panel
        assert panel.turn.index == 1 and str(pin.content).startswith("turn 2 of 4 · pinned")
        await pilot.press("f8", "f8")  # the newest: following again
        await settle(pilot)
        assert panel.turn.index == 3 and not pin.display and app.chat.selected_turn is None
        await send(pilot, "cinco")
        assert panel.turn.index == 4 and not pin.display


async def test_the_tokens_tab_does_not_count_another_contacts_failed_call_as_this_turns(
    make_fake_app,
):
    """Maria's replay miss was said under João's turn ("✗ 1 failed call(s)" below "this turn's
    LLM latency"); it is counted in the session row only."""
    from lab.tui.widgets.cost_view import cost_renderable
    from lab.tui.widgets.side_panel import SidePanel

    from .test_qa_fixes_pilot import rendered

    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "miss isso")  # Maria: one priced call and one replay miss
        await pilot.press("ctrl+n")
        await send(pilot, "Oi")  # João: one priced call
        await pilot.press("f9", "f9")
        await settle(pilot)
        panel = app.chat.query_one(SidePanel)
        assert panel.active == "cost" and panel.turn.contact == JOAO
        text = rendered(cost_renderable(panel.turn, panel.conversation, panel.session), 44)
        rows = {line.split()[0]: line.split() for line in text.splitlines() if line.split()}
        assert "✗" not in " ".join(rows["this"]) and "✗" not in " ".join(rows["conversation"])
        assert rows["session"][1:3] == ["3", "✗1"]
        assert "1 failed call" not in text and "this turn's LLM latency" in text


def bubble_items(app) -> list:
    return [b.item for b in app.chat.query(".bubble")]


async def test_a_reply_shows_the_quoted_message_and_a_reaction_sits_under_its_message(
    make_fake_app,
):
    """`/reply` showed only its own text; `/react` drew the emoji as a bubble of its own. Live and
    when the thread is shown again (another contact, then back)."""
    app = make_fake_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        await send(pilot, "/react 👍")
        await send(pilot, "/reply Pode ser amanhã")
        for shown_again in (False, True):
            items = bubble_items(app)
            assert [i.kind for i in items] == ["text", "text", "text", "text"], items
            answer = items[1]
            assert answer.text == "Recebi: Oi" and answer.reactions == ["👍"]
            reply = items[2]
            assert reply.text == "Pode ser amanhã" and reply.quote == "Recebi: Oi"
            body = app.chat.query(".bubble")[2]
            assert "▎ Recebi: Oi" in str(body.render().renderable.renderable)
            await pilot.press("ctrl+n", "ctrl+n")  # João, then Maria's thread built again
            await settle(pilot)


@pytest.mark.slow
async def test_f3_records_the_chat_on_show_not_every_contacts_earlier_turns(make_real_app, project):
    """F3 in João's chat put Maria's earlier turns in front of his; now the scenario starts with
    João's conversation so far, the modal says so, and it replays."""
    from lab import yamlio
    from lab.scenarios.loader import expand, load_scenario
    from lab.scenarios.player import Player

    app = make_real_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi, tudo bem?")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.chat.contact == JOAO
        await send(pilot, "Bom dia, preciso de ajuda")
        await pilot.press("f3")
        await settle(pilot)
        said = str(app.screen.query_one("#record-earlier").render())
        assert "1 turn so far" in said and "other contacts' chats are left out" in said
        app.screen.query_one("#record-name").value = "joao pergunta"
        await pilot.press("enter")
        await settle(pilot)
        await send(pilot, "Quero saber o preço")
        path = app.chat.recording.path
        await pilot.press("f3")
        await settle(pilot)
    users = [s["user"] for s in yamlio.load(path)["steps"] if "user" in s]
    assert users == ["Bom dia, preciso de ajuda", "Quero saber o preço"]  # Maria's is left out
    playback = await Player(project_dir=project).play(expand(load_scenario(path))[0])
    assert playback.error is None and not playback.failures, [
        c.describe() for c in playback.failures
    ]


@pytest.mark.slow
async def test_a_recorded_media_file_from_outside_the_project_is_copied_beside_the_scenario(
    make_real_app, project, tmp_path_factory
):
    """`/image ~/Downloads/conta.png` was written by absolute path: the scenario replayed on no
    other machine. The file is copied next to the scenario and the step names the copy."""
    import shutil

    from lab import yamlio
    from lab.scenarios.loader import expand, load_scenario
    from lab.scenarios.player import Player

    from .conftest import ROOT

    downloads = tmp_path_factory.mktemp("downloads")  # outside the project
    bill = downloads / "conta.png"
    shutil.copy(ROOT / "tests" / "conversation" / "data" / "conta_de_luz.png", bill)
    app = make_real_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await pilot.press("f3")
        await settle(pilot)
        app.screen.query_one("#record-name").value = "conta de fora"
        await pilot.press("enter")
        await settle(pilot)
        await send(pilot, f"/image {bill} minha conta")
        path = app.chat.recording.path
        await pilot.press("f3")
        await settle(pilot)
    media = yamlio.load(path)["steps"][0]["media"]
    copy = path.with_name("conta_de_fora.conta.png")
    assert media["path"] == copy.relative_to(project).as_posix()
    assert copy.read_bytes() == bill.read_bytes()
    bill.unlink()  # another machine: only the project travels
    playback = await Player(project_dir=project).play(expand(load_scenario(path))[0])
    assert playback.error is None and not playback.failures, [
        c.describe() for c in playback.failures
    ]
