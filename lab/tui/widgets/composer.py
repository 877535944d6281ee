"""The composer: one line of text or a `/command`, with history recall on up/down."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class Composer(Input):
    """Posts `Composer.Submitted` with the raw text; the screen parses and acts on it."""

    DEFAULT_CSS = """
    Composer {
        dock: bottom;
        margin: 0 0;
        border: tall $success 60%;
        &:focus { border: tall $success; }
    }
    """

    BINDINGS = [
        Binding(
            "up",
            "history(-1)",
            "Previous message",
            show=False,
            id="composer-history-back",
            tooltip="Recall the previous message or command you sent",
        ),
        Binding(
            "down",
            "history(1)",
            "Next message",
            show=False,
            id="composer-history-forward",
            tooltip="Recall the next message or command you sent",
        ),
    ]

    @dataclass
    class Sent(Message):
        """The person pressed Enter on some text (not yet parsed)."""

        composer: "Composer"
        text: str

        @property
        def control(self) -> "Composer":
            return self.composer

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            placeholder="Message as the user · /image PATH · /advance 25h · /help", id=id
        )
        self.history: list[str] = []
        self._cursor = 0  # position in history while recalling; len(history) = the draft
        self._draft = ""

    def action_history(self, step: int) -> None:
        """Walk the history like a shell; the unsent draft comes back at the end."""
        if not self.history:
            return
        if self._cursor == len(self.history):
            self._draft = self.value
        self._cursor = max(0, min(len(self.history), self._cursor + step))
        self.value = self.history[self._cursor] if self._cursor < len(self.history) else self._draft
        self.cursor_position = len(self.value)

    async def action_submit(self) -> None:
        text = self.value.strip()
        if not text:
            return
        if not self.history or self.history[-1] != text:
            self.history.append(text)
        self._cursor = len(self.history)
        self._draft = ""
        self.post_message(self.Sent(self, text))

    def accept(self) -> None:
        """The text was acted on: clear it (kept when it was wrong, so nothing typed is lost)."""
        self.value = ""
