"""A bubble with nothing to click: one widget that paints its own box (most of a thread).

Interactive bubbles need buttons and so a container (`ChatBubble`); every other bubble is a
single Static that renders its box with Rich, aligned left (business) or right (user). Fewer
widgets per bubble is what keeps layout cheap when a thread is long.
"""

from __future__ import annotations

from rich.align import Align
from rich.console import RenderableType
from rich.padding import Padding
from textual.widgets import Static

from lab.tui.chat_items import ChatItem
from lab.tui.widgets.chat_bubble import ChatBubble, bubble_text


class TextBubble(Static):
    """Renders one non-interactive `ChatItem`; clicking it selects its turn."""

    DEFAULT_CSS = """
    TextBubble {
        height: auto;
        width: 1fr;
        margin: 0 1 1 1;
        & > .bubble--business { background: $panel; }
        & > .bubble--user { background: $success 25%; }
        & > .bubble--system { background: $boost; color: $text-muted; }
        & > .bubble--flagged { background: $error 20%; }
        & > .bubble--selected { background: $accent 30%; }
    }
    """

    COMPONENT_CLASSES = {
        "bubble--business",
        "bubble--user",
        "bubble--system",
        "bubble--flagged",
        "bubble--selected",
    }

    Selected = ChatBubble.Selected

    def __init__(self, item: ChatItem, width: int = 40) -> None:
        super().__init__(classes=f"bubble -{item.side}")
        self.item = item
        self.wrap_width = width

    def render(self) -> RenderableType:
        part = (
            "selected"
            if self.has_class("-selected")
            else "flagged"
            if self.item.flag
            else self.item.side
        )
        style = self.get_component_rich_style(f"bubble--{part}")
        box = Padding(bubble_text(self.item, self.wrap_width), (0, 1), style=style, expand=False)
        align = {"user": "right", "system": "center"}.get(self.item.side, "left")
        return Align(box, align)  # type: ignore[arg-type]

    def update_item(self, item: ChatItem) -> None:
        """Re-render after a status, reaction or flag changed."""
        self.item = item
        self.set_class(bool(item.flag), "-flagged")
        self.refresh(layout=True)

    def watch_has_focus(self) -> None:  # pragma: no cover - not focusable
        pass

    def on_click(self) -> None:
        self.post_message(self.Selected(self, self.item.turn_index))  # type: ignore[arg-type]
