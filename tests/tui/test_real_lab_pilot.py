"""Pilot tests driving the real app on the embedded target (real Lab, engine, sandbox, gateway)."""

from __future__ import annotations

import pytest

from lab.tui.widgets.error_panel import ErrorPanel
from lab.tui.widgets.lab_header import LabHeader

from .conftest import JOAO, MARIA, SNAPSHOT_SIZE, opened, send, settle

pytestmark = pytest.mark.slow


def bubbles(app) -> list:
    return list(app.chat.query(".bubble"))


async def test_lead_qualification_chat_buttons_list_and_contacts(make_real_app):
    app = make_real_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        assert app.chat.query_one(LabHeader).target.startswith("embedded")
        await send(pilot, "Oi, bom dia")
        assert not app.chat.query_one(ErrorPanel).shown, app.chat.query_one(ErrorPanel).last
        business = [b for b in bubbles(app) if b.item.side == "business"]
        assert business and business[0].item.label.startswith("📋 template hello_world")
        assert business[0].item.text.startswith(
            "Welcome and congratulations"
        )  # rendered from the registry
        assert any("Olá, Maria" in b.item.text for b in business)
        # tap a reply button by clicking it
        button_bubble = next(b for b in business if b.item.buttons)
        await pilot.click(button_bubble.query_one(".reply"))
        await settle(pilot)
        assert app.lab.transcript.turns[-1].inbound.kind == "button"
        await pilot.press("a", "b")  # typing goes on in the composer after a click on a button
        assert app.chat.query_one("#composer").value == "ab"
        app.chat.query_one("#composer").value = ""
        # a list: ask for prices, then pick a row with the keyboard
        await send(pilot, "Quero saber o preço")
        await pilot.press("ctrl+r", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "ListPickerModal"
        await pilot.press("down", "enter")
        await settle(pilot)
        last = app.lab.transcript.turns[-1]
        assert last.inbound.kind == "list" and last.verdict == "ok"
        await pilot.press("x", "y", "z")  # the keys after a pick reach the composer, none is lost
        assert app.chat.query_one("#composer").has_focus
        assert app.chat.query_one("#composer").value == "xyz"
        app.chat.query_one("#composer").value = ""
        # switch contacts: João's thread is empty, Maria's comes back
        maria_count = len(bubbles(app))
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.chat.contact == JOAO and bubbles(app) == []
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.chat.contact == MARIA and len(bubbles(app)) == maria_count


async def test_late_message_reply_is_flagged_131047(make_real_app):
    app = make_real_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        await send(pilot, "/advance 1h")
        await send(pilot, "/late 25h Quero um orçamento")
        flagged = [b for b in bubbles(app) if b.item.flag]
        assert flagged, [b.item for b in bubbles(app)]
        assert "24-hour window · 131047" in flagged[-1].item.flag


async def test_edit_and_apply_a_prompt(make_real_app, project):
    app = make_real_app(
        flow="whatsapp_agent", scripted=[{"match": ".*", "reply": "Olá! Como posso ajudar?"}]
    )
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await pilot.press("f2")
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ == "PromptScreen"
        assert {p.id for p in screen.variants} >= {
            "whatsapp_agent.default",
            "whatsapp_agent.concise",
        }
        editor = screen.editor
        editor.load_text(editor.text.rstrip("\n") + "\nSempre assine como Sol.\n")
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert "Sempre assine como Sol." in screen.current.path.read_text(encoding="utf-8")
        assert screen.active == screen.current.id
        assert app.lab.active_prompt == screen.current.id  # the session says which variant it runs
        deployed = (
            await app.lab.client.files.read(app.lab.namespace, "/prompts/whatsapp_agent.md")
            if hasattr(app.lab.client, "read_file")
            else None
        )
        if deployed is not None:
            assert b"Sempre assine como Sol." in (
                deployed if isinstance(deployed, bytes) else deployed.encode()
            )
        await pilot.press("escape")
        await send(pilot, "Oi, tudo bem?")  # scripted mode: the agent answers without any model
        business = [b for b in bubbles(app) if b.item.side == "business"]
        assert any("Como posso ajudar" in b.item.text for b in business), [
            b.item for b in bubbles(app)
        ]
        assert (
            app.lab.transcript.turns[-1].llm_calls
            and app.lab.transcript.turns[-1].llm_calls[0].mode == "scripted"
        )


async def test_record_a_scenario_and_find_the_file(make_real_app, project):
    app = make_real_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await pilot.press("f3")
        await pilot.pause()
        app.screen.query_one("#record-name").value = "Lead pede planos"
        await pilot.pause()
        hint = str(app.screen.query_one("#record-hint").render())
        assert (
            "scenarios/lead_qualification/lead_pede_planos.yaml" in hint
        )  # where the recorder writes it
        await pilot.press("enter")
        await settle(pilot)
        assert app.chat.recording is not None
        await send(pilot, "Oi")
        await send(pilot, "/advance 2h")
        await send(pilot, "Quero saber o preço")
        assert "2 turns" in app.chat.query_one(LabHeader).recording
        await pilot.press("f3")
        await settle(pilot)
        assert app.chat.recording is None
        path = (
            project / "scenarios" / "lead_qualification" / "lead_pede_planos.yaml"
        )  # the flow's folder
        assert path.exists()
        text = path.read_text(encoding="utf-8")
        assert (
            "Quero saber o preço" in text and "advance: 2h" in text and "Lead pede planos" in text
        )
        from lab.scenarios.loader import load_scenario

        scenario = load_scenario(path)  # the file is a valid scenario
        assert scenario is not None
        # the same name again: refused before anything is overwritten
        await pilot.press("f3")
        await pilot.pause()
        app.screen.query_one("#record-name").value = "Lead pede planos"
        await pilot.press("enter")
        await settle(pilot)
        panel = app.chat.query_one(ErrorPanel)
        assert app.chat.recording is None and panel.shown and "already exists" in str(panel.last)
        assert path.read_text(encoding="utf-8") == text


async def test_restart_same_user_clears_the_chat_and_the_agent_forgets(make_real_app):
    app = make_real_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        assert len(bubbles(app)) >= 2
        await pilot.press("f5")
        await pilot.click("#same")
        await settle(pilot)
        assert [b.item.side for b in bubbles(app)] == ["system"]
        await send(pilot, "Oi de novo")
        business = [b for b in bubbles(app) if b.item.side == "business"]
        # a forgotten contact is welcomed again with the template
        assert business and business[0].item.label.startswith("📋 template hello_world")


async def test_no_secret_reaches_the_screen_or_the_payloads(make_real_app):
    from rich.console import Console

    from lab.tui.widgets.cost_view import cost_renderable
    from lab.tui.widgets.payload_view import payload_renderable

    app = make_real_app(flow="whatsapp_agent", scripted=[{"match": ".*", "reply": "Olá!"}])
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await send(pilot, "Oi")
        turn = app.lab.transcript.turns[-1]
        console = Console(width=200, record=True, file=open("/dev/null", "w"))
        console.print(payload_renderable(turn))
        console.print(cost_renderable(turn, [turn], [turn]))
        shown = console.export_text() + app.export_screenshot()
        secrets = app.settings.secret_values()
        assert secrets and not [s for s in secrets if s in shown]
        assert "X-Hub-Signature-256" in shown and turn.llm_calls


async def test_a_tui_recording_keeps_an_added_contact_and_replays(make_real_app, project):
    """F3, then F4 adds a contact who speaks first, then the first contact: the scenario has every
    contact and says who speaks when, so its replay passes."""
    from lab import yamlio
    from lab.scenarios.loader import expand, load_scenario
    from lab.scenarios.player import Player

    app = make_real_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await opened(pilot)
        await pilot.press("f3")
        await settle(pilot)
        app.screen.query_one("#record-name").value = "added contact"
        await pilot.press("enter")
        await settle(pilot)
        assert app.chat.recording is not None
        await pilot.press("f4")
        await settle(pilot)
        app.screen.query_one("#contact-name").value = "Ana Lima"
        app.screen.query_one("#contact-wa-id").value = "5541999998888"
        await pilot.press("enter")
        await settle(pilot)
        assert app.chat.contact == "5541999998888"
        await send(pilot, "Oi, sou a Ana")
        await send(pilot, "/as Maria")
        await send(pilot, "/advance 2h")
        await send(pilot, "Oi, boa tarde")
        path = app.chat.recording.path
        pseudonym = (
            app.chat.recording.recorder.redactor.text
        )  # names and numbers are written redacted
        await pilot.press("f3")
        await settle(pilot)
    doc = yamlio.load(path)
    ana, maria = pseudonym("5541999998888"), pseudonym(MARIA)
    assert {"name": pseudonym("Ana Lima"), "wa_id": ana} in doc[
        "contacts"
    ] and ana != "5541999998888"
    # a switch is written before the next act done as that contact (a clock move is nobody's)
    assert [next(iter(s)) for s in doc["steps"]] == [
        "contact",
        "user",
        "advance",
        "contact",
        "user",
    ]
    assert doc["steps"][0] == {"contact": ana} and doc["steps"][3] == {"contact": maria}
    playback = await Player(project_dir=project).play(expand(load_scenario(path))[0])
    assert playback.error is None and not playback.failures, (
        playback.error,
        [c.describe() for c in playback.failures],
    )
    assert [t.contact for t in playback.transcript.turns] == [ana, maria]
