"""One message bubble: the user's or the business's, with its choices, ticks, reactions and flag."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalGroup
from textual.message import Message
from textual.widgets import Button, Static

from lab.tui.chat_items import ChatItem, Choice
from lab.tui.screens.list_picker import ListPickerModal

TICKS = {
    "pending": ("◷", "dim"),
    "accepted": ("✓", "dim"),
    "sent": ("✓", "dim"),
    "delivered": ("✓✓", "dim"),
    "read": ("✓✓", "bold #53bdeb"),
    "played": ("✓✓", "bold #53bdeb"),
    "failed": ("✗ failed", "bold red"),
    "rejected": ("⛔ rejected", "bold red"),
}


def clock_text(ts: float) -> str:
    """HH:MM of a virtual-clock timestamp, in UTC (the lab's clock is UTC)."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%H:%M")


_measure: Console | None = None


def _wrap(text: str, width: int) -> str:
    """`text` wrapped to `width` terminal cells (an emoji takes two: counted in characters, a line with
    one was a cell too wide and the bubble's max-width cut its last letter)."""
    # Pre-wrapped: an auto-width box measures its content before it is clamped to max-width.
    global _measure
    lines: list[str] = []
    for line in text.split("\n"):
        if cell_len(line) <= width:
            lines.append(line)
            continue
        _measure = _measure or Console(width=width, color_system=None)
        lines.extend(
            part.plain.rstrip() for part in Text(line).wrap(_measure, width, overflow="fold")
        )
    return "\n".join(lines)


_FORMAT = re.compile(
    r"```(.+?)```|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])|(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])"
    r"|(?<![\w~])~(?!\s)(.+?)(?<!\s)~(?![\w~])"
)
_STYLES = ("", "bold", "italic", "strike")


def whatsapp_text(text: str) -> Text:
    """WhatsApp's formatting as WhatsApp shows it: *bold*, _italic_, ~strike~, ```monospace```."""
    out = Text()
    pos = 0
    for m in _FORMAT.finditer(text):
        out.append(text[pos : m.start()])
        group = next(i for i in range(1, 5) if m.group(i) is not None)
        out.append(m.group(group), style=_STYLES[group - 1] or "reverse")
        pos = m.end()
    out.append(text[pos:])
    return out


def bubble_text(item: ChatItem, width: int = 40) -> Text:
    """The bubble's whole text as one renderable, wrapped to `width` columns."""
    out = Text()
    if item.quote:  # WhatsApp's quote: the replied-to message in a bar above the reply
        quote = item.quote if cell_len(item.quote) <= width - 2 else _wrap(item.quote, width - 3)
        out.append("▎ " + quote.split("\n")[0], style="dim italic")
        out.append("…\n" if "\n" in quote else "\n", style="dim italic")
    if item.label:
        out.append(_wrap(item.label, width) + "\n", style="bold")
    if item.header:
        out.append(_wrap(item.header, width) + "\n", style="bold")
    if item.text:
        out.append_text(whatsapp_text(_wrap(item.text, width) + "\n"))
    if item.footer:
        out.append(_wrap(item.footer, width) + "\n", style="dim italic")
    if item.link:
        out.append(_wrap(item.link, width) + "\n", style="underline")
    if item.flag:
        out.append(_wrap("⚠ " + item.flag, width) + "\n", style="bold red")
    meta = Text(justify="right")
    if item.reactions:
        meta.append(" ".join(item.reactions) + "  ")
    if item.via == "notification":
        meta.append("notification · ", style="dim")
    meta.append(clock_text(item.time), style="dim")
    if item.state:
        tick, style = TICKS.get(item.state, (item.state, "dim"))
        meta.append(" " + tick, style=style)
    out.append_text(meta)
    return out


class ChatBubble(Vertical):
    """Renders one `ChatItem`; reply buttons and list rows post `ReplyChosen`."""

    DEFAULT_CSS = """
    ChatBubble {
        height: auto;
        width: 1fr;
        margin: 0 1 1 1;
        &.-user { align-horizontal: right; }
        &.-system { align-horizontal: center; }
        .bubble--box {
            height: auto;
            width: auto;
            max-width: 90%;
            min-width: 26;
            padding: 0 1;
            background: $panel;
            border-left: tall $primary 40%;
        }
        &.-user .bubble--box { background: $success 25%; border-left: none; border-right: tall $success; }
        &.-system .bubble--box { background: $boost; border-left: none; color: $text-muted; }
        &.-flagged .bubble--box { border-left: tall $error; background: $error 15%; }
        &.-selected .bubble--box { outline-left: thick $accent; }
        &.-pending .bubble--box { opacity: 80%; }
        .bubble--body { width: auto; height: auto; }
        .bubble--choices { height: auto; width: 100%; }
        .bubble--choices Button { width: 100%; margin: 0; }
        &.-answered .bubble--choices Button { text-style: dim; }
    }
    """

    @dataclass
    class ReplyChosen(Message):
        """The user picked a reply button or list row on this bubble."""

        chat_bubble: "ChatBubble"
        choice: Choice

        @property
        def control(self) -> "ChatBubble":
            return self.chat_bubble

    @dataclass
    class Selected(Message):
        """The person clicked a bubble: the side panel follows its turn."""

        chat_bubble: "ChatBubble"
        turn_index: int | None

    def __init__(self, item: ChatItem, width: int = 40) -> None:
        super().__init__(classes=f"bubble -{item.side}")
        self.item = item
        self.wrap_width = width
        self._sync_classes()

    def compose(self) -> ComposeResult:
        with Vertical(classes="bubble--box"):
            yield Static(bubble_text(self.item, self.wrap_width), classes="bubble--body")
            if self.item.buttons or self.item.rows:
                # Stacked full-width, as WhatsApp shows reply buttons under the message.
                with VerticalGroup(classes="bubble--choices"):
                    for i, choice in enumerate(self.item.buttons):
                        yield Button(
                            f"↩ {choice.title}", compact=True, classes="reply", name=str(i)
                        )
                    if self.item.rows:
                        # "≡", not "☰": Unicode 16 made ☰ wide and Textual draws it 2 cells, while most
                        # terminals still draw 1, so the row overran the pane's border.
                        yield Button(
                            f"≡ {self.item.list_button}", compact=True, classes="list-picker"
                        )

    def on_mount(self) -> None:
        # The item may have changed between compose and mount (a turn started meanwhile).
        self.update_item(self.item)

    def _sync_classes(self) -> None:
        self.set_class(bool(self.item.flag), "-flagged")
        self.set_class(self.item.answered, "-answered")
        self.set_class(self.item.state == "pending", "-pending")

    def update_item(self, item: ChatItem) -> None:
        """Re-render after a status, reaction or answer changed (same bubble, new facts)."""
        self.item = item
        self._sync_classes()
        # Also before mount: compose may already have built the Static from the old item.
        for body in self.query(".bubble--body").results(Static):
            body.update(bubble_text(item, self.wrap_width))

    @on(Button.Pressed, ".reply")
    def _reply_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.ReplyChosen(self, self.item.buttons[int(event.button.name or 0)]))

    @on(Button.Pressed, ".list-picker")
    def _list_pressed(self, event: Button.Pressed) -> None:
        event.stop()

        def chosen(choice: Choice | None) -> None:
            if choice is not None:
                self.post_message(self.ReplyChosen(self, choice))

        self.app.push_screen(ListPickerModal(self.item), chosen)

    def on_click(self) -> None:
        self.post_message(self.Selected(self, self.item.turn_index))
