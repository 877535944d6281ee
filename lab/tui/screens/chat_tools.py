"""The chat screen's contact, prompt and recorder actions (kept apart to keep the screen small)."""

from __future__ import annotations

import itertools
from typing import Any

from textual import work

from lab.conversation.session import LabSession
from lab.errors import LabError
from lab.tui.chat_items import ChatItem
from lab.tui.messages import RecordingChanged
from lab.tui.recording import start_recording, stop_recording
from lab.tui.session import contact_id, contact_name, maybe_await
from lab.tui.widgets.chat_pane import ChatPane

_note_ids = itertools.count(1)


class ChatToolsMixin:
    """Add/restart contacts, move between turns and contacts, open the prompt panel, start/stop the
    recorder (mixed into ChatScreen)."""

    lab: LabSession
    contact: str | None
    recording: Any
    selected_turn: int | None
    cleared: dict[str, int]
    restarted: dict[str, int]
    app: Any

    def action_add_contact(self) -> None:
        from lab.tui.screens.add_contact import AddContactModal, NewContact

        def added(new: NewContact | None) -> None:
            if new is None or self.lab is None:
                return
            try:
                contact = self.lab.add_contact(new.name, new.wa_id)
            except LabError as exc:
                self.show_error(exc)
                return
            self.show_contact(contact_id(contact))

        self.app.push_screen(AddContactModal(), added)

    def action_restart(self) -> None:
        if self.lab is None or self.contact is None:
            return
        from lab.tui.screens.restart import RestartModal

        name = next(
            (contact_name(c) for c in self.lab.contacts if contact_id(c) == self.contact),
            self.contact,
        )
        self.app.push_screen(RestartModal(name), self._restart_chosen)

    @work(group="restart", exclusive=True, exit_on_error=False)
    async def _restart_chosen(self, choice: str | None) -> None:
        if choice is None or self.contact is None:
            return
        if choice == "new":  # a brand-new WhatsApp user: a new contact, a new wa_id
            name = next(
                (contact_name(c) for c in self.lab.contacts if contact_id(c) == self.contact),
                "User",
            )
            result = self.lab.add_contact(f"{name.split(' (')[0]} (new)")
        else:  # same user: the phone's chat and the agent's memory of them are cleared
            thread = getattr(self.lab, "thread", None)
            if callable(thread):
                seqs = [
                    e.send.seq for e in thread(self.contact) if getattr(e, "send", None) is not None
                ]
                self.cleared[self.contact] = max(seqs, default=0)
            await maybe_await(self.lab.restart(self.contact, new_user=True))
            # The transcript keeps the turns before the restart (the session's cost counts them);
            # the contact's turn count and side panel start again after them.
            done = [t.index for t in self.lab.transcript.turns if t.contact == self.contact]
            self.restarted[self.contact] = max(done, default=-1)
            result = None
        self.app.call_later(self._after_restart, result)

    def _after_restart(self, result: Any) -> None:
        self.show_contact(contact_id(result) if result is not None else self.contact)
        if result is None:
            self.query_one(ChatPane).append(
                ChatItem(
                    key=f"note-{next(_note_ids)}",
                    side="system",
                    time=self.lab.clock.time() if getattr(self.lab, "clock", None) else 0.0,
                    kind="note",
                    text="conversation restarted · the agent's memory was cleared",
                )
            )
        self.app.notify(
            "Conversation restarted." if result is None else f"New user {contact_name(result)}."
        )

    # -- moving around ----------------------------------------------------------------------
    def action_choose_reply(self) -> None:
        bubble = self.query_one(ChatPane).latest_interactive()
        if bubble is None:
            self.app.notify("No reply buttons or list in this thread yet.", severity="warning")
            return
        buttons = bubble.query("Button")
        if buttons:
            buttons.first().focus()
            bubble.scroll_visible()

    def action_select_turn(self, step: int) -> None:
        turns = self.turns(self.contact)
        if not turns:
            return
        indexes = [t.index for t in turns]
        current = self.selected_turn if self.selected_turn in indexes else indexes[-1]
        pos = max(0, min(len(indexes) - 1, indexes.index(current) + step))
        self.selected_turn = indexes[pos]
        self.refresh_side()

    def action_next_contact(self) -> None:
        if self.lab is None:
            return
        ids = [contact_id(c) for c in self.lab.contacts]
        if ids:
            i = ids.index(self.contact) if self.contact in ids else -1
            self.show_contact(ids[(i + 1) % len(ids)])

    # -- prompts and recorder ---------------------------------------------------------------
    def action_open_prompts(self) -> None:
        from lab.tui.screens.prompts import PromptScreen

        settings = getattr(self.app, "settings", None)
        if settings is None:
            return
        from lab.tui.session import active_prompt

        active = active_prompt(self.lab, settings, self.app.applied_prompts.get(settings.flow))
        self.app.push_screen(PromptScreen(settings.prompts_dir, settings.flow, active))

    def action_open_compare(self) -> None:
        from lab.tui.screens.compare import CompareScreen

        settings = getattr(self.app, "settings", None)
        if settings is None or isinstance(self.app.screen, CompareScreen):
            return
        self.app.push_screen(CompareScreen(settings, player_factory=self.app.player_factory))

    def action_toggle_recording(self) -> None:
        if self.lab is None:
            self.show_error(self.not_open_error())
            return
        if self.recording is not None:
            self._stop_recording()
            return
        from lab.tui.recording import scenario_folder
        from lab.tui.screens.record import RecordModal

        settings = self.app.settings
        folder = scenario_folder(self.lab, settings.scenarios_dir)
        shown = (
            folder.relative_to(settings.project_dir)
            if folder.is_relative_to(settings.project_dir)
            else folder
        )
        self.app.push_screen(RecordModal(str(shown)), self._start_recording)

    @work(group="recorder", exclusive=True, exit_on_error=False)
    async def _start_recording(self, name: str | None) -> None:
        if name is None:
            return
        recording = await start_recording(self.lab, self.app.settings.scenarios_dir, name)
        self.post_message(RecordingChanged(name, recording, True))

    @work(group="recorder", exclusive=True, exit_on_error=False)
    async def _stop_recording(self) -> None:
        assert self.recording is not None
        path = await stop_recording(self.recording)
        self.post_message(RecordingChanged(None, path, False))

    def on_recording_changed(self, message: RecordingChanged) -> None:
        if message.active:
            self.recording = message.path
            self.app.notify(
                f"Recording to {self.recording.path}: each finished turn is saved at once.",
                title="Recording",
            )
        else:
            turns = self.recording.turns if self.recording else 0
            self.recording = None
            self.app.notify(
                f"Scenario saved: {message.path} ({turns} turns)", title="Recording stopped"
            )
        self.refresh_header()
