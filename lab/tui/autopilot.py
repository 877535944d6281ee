"""F12 on the chat screen: a persona chats as the contact on show while the person watches.

`AutopilotSwitch` asks which persona (`PersonaPickerModal`), runs its conversation in a worker on
the screen (`lab.simulate.autopilot.Autopilot`: every act through `Lab.perform`, so the bubbles
come as the session's events, as the person's do) and reports by `AutopilotEnded`, which the screen
hands back to `ended`: a note in the chat says how it ended and the rubric's verdict. F12 again
stops it after the move in flight; a message typed or a button tapped by the person takes over.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from lab.errors import LabError
from lab.tui.chat_items import ChatItem
from lab.tui.messages import AutopilotEnded
from lab.tui.widgets.chat_pane import ChatPane

if TYPE_CHECKING:
    from lab.simulate.autopilot import Autopilot, PersonaChoice
    from lab.tui.screens.chat import ChatScreen

_note_ids = itertools.count(1)


class AutopilotSwitch:
    """The chat screen's autopilot: the persona chatting now (None when off)."""

    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen
        self.autopilot: Autopilot | None = None

    def toggle(self) -> None:
        """Pick a persona to chat as this contact; while one chats, stop it."""
        screen = self.screen
        if self.autopilot is not None:
            self.autopilot.stop()
            screen.app.notify("The autopilot stops after the move in flight.", title="Autopilot")
            return
        if screen.lab is None or screen.contact is None:
            screen.show_error(screen.not_open_error())
            return
        # lazy: start-up, the simulated users pull in the scenario checks and the rubric
        from lab.simulate.autopilot import personas_for

        # lazy: start-up, the TUI paints first and loads this when it is used
        from lab.tui.screens.persona_picker import PersonaPickerModal

        settings = screen.app.settings
        choices = personas_for(settings.project_dir, settings.flow)
        if not choices:
            screen.show_error(
                LabError(
                    "no personas to put on autopilot",
                    where=str(settings.project_dir / "personas"),
                    fix="write personas/<name>.yaml (see README: Simulated users)",
                )
            )
            return
        screen.app.push_screen(PersonaPickerModal(choices, settings.flow), self._chosen)

    def _chosen(self, choice: PersonaChoice | None) -> None:
        screen = self.screen
        if choice is None or screen.lab is None or screen.contact is None:
            return
        # lazy: start-up, the TUI paints first and loads this when it is used
        from lab.simulate.autopilot import Autopilot

        # lazy: start-up, the TUI paints first and loads this when it is used
        from lab.simulate.persona import load_persona

        try:
            persona = load_persona(choice.path)
        except LabError as exc:
            screen.show_error(exc)
            return
        self.autopilot = Autopilot(persona, screen.contact)
        screen.app.notify(
            f"{persona.name} chats as this contact. F12 stops; typing or a tap takes over.",
            title="Autopilot",
        )
        screen.run_worker(
            self._run(self.autopilot),
            group="autopilot",
            exclusive=True,
            exit_on_error=False,
            description="autopilot",
        )

    def take_over(self) -> None:
        """The person acts: the autopilot makes no other move."""
        if self.autopilot is not None and not self.autopilot.stop_requested:
            self.autopilot.stop()
            self.screen.app.notify("You took over from the autopilot.", title="Autopilot")

    async def _run(self, autopilot: Autopilot) -> None:
        """The persona's conversation; reports by message, never touches widgets."""
        # lazy: start-up, the TUI paints first and loads this when it is used
        from lab.simulate.autopilot import summary

        try:
            conv = await autopilot.run(self.screen.lab)
        except Exception as exc:  # noqa: BLE001 - said in the chat, the session goes on
            self.screen.post_message(
                AutopilotEnded(f"autopilot {autopilot.persona.name} failed: {exc}", False)
            )
            return
        self.screen.post_message(AutopilotEnded(summary(conv), conv.passed))

    def ended(self, message: AutopilotEnded) -> None:
        """The persona is done: a note in the chat and a notification say how it went."""
        self.autopilot = None
        lab: Any = self.screen.lab
        self.screen.query_one(ChatPane).append(
            ChatItem(
                key=f"autopilot-note-{next(_note_ids)}",
                side="system",
                time=lab.clock.time() if getattr(lab, "clock", None) else 0.0,
                kind="note",
                text=message.summary,
            )
        )
        self.screen.app.notify(
            message.summary,
            title="Autopilot",
            severity="information" if message.passed else "warning",
        )
