"""The chat thread: a window of bubbles over the whole thread, anchored to the bottom.

Only the last `window` bubbles are mounted (plus a "load earlier" row), so a thread of
thousands of messages costs the same to open and to append to as a short one: Textual slows
down with many composite widgets in one container (textual#5163).
"""

from __future__ import annotations

from textual import on
from textual.containers import VerticalScroll
from textual.widgets import Button, Static

from lab.tui.chat_items import ChatItem, quoted_text
from lab.tui.widgets.chat_bubble import ChatBubble
from lab.tui.widgets.text_bubble import TextBubble

Bubble = ChatBubble | TextBubble


class ChatPane(VerticalScroll):
    """Shows `ChatItem`s as bubbles; mounts at most `window` (+ slack) of them at a time."""

    DEFAULT_CSS = """
    ChatPane {
        height: 1fr;
        padding: 1 0 0 0;
        background: $background;
        #load-earlier { width: 1fr; margin: 0 6 1 6; }
        .chat--empty { color: $text-muted; width: 1fr; text-align: center; height: auto; margin: 1 2; }
    }
    """

    def __init__(self, *, window: int = 16, slack: int = 8, id: str | None = None) -> None:
        super().__init__(id=id)
        self.window = window
        self.slack = slack
        self.items: list[ChatItem] = []
        self._first = 0  # index in `items` of the first mounted bubble
        self._bubbles: dict[str, Bubble] = {}
        self._index: dict[str, int] = {}
        self.selected_turn: int | None = None
        self.wrap_width = 40  # columns of bubble text; follows the pane's width
        self._reactions: dict[str, str] = {}  # a reaction's key -> the key of the item it sits on

    def on_resize(self) -> None:
        width = max(16, int(self.size.width * 0.85) - 4)
        if width != self.wrap_width:
            self.wrap_width = width
            for bubble in self._bubbles.values():
                bubble.wrap_width = width
                bubble.update_item(bubble.item)

    def on_mount(self) -> None:
        self.anchor()

    # -- whole thread ---------------------------------------------------------------------
    def show_thread(self, items: list[ChatItem]) -> None:
        """Replace the thread (contact switched, session opened): mount only the last window."""
        self.items = list(items)
        self._index = {it.key: i for i, it in enumerate(self.items)}
        self._reactions = {}
        self._bubbles.clear()
        self.remove_children()
        self._first = max(0, len(self.items) - self.window)
        widgets = [self._bubble(it) for it in self.items[self._first :]]
        if self._first:
            widgets.insert(0, self._earlier_row())
        if widgets:
            self.mount_all(widgets)
        else:
            self.mount(
                Static(
                    "No messages yet. Type as this WhatsApp user and press Enter:\n"
                    "the agent flow answers here. F1 lists every key and /command.",
                    classes="chat--empty",
                )
            )
        self.anchor()

    def load_earlier(self) -> None:
        """Mount the previous window of bubbles above the first one."""
        if not self._first:
            return
        start = max(0, self._first - self.window)
        new = [self._bubble(it) for it in self.items[start : self._first]]
        first = self._bubbles[self.items[self._first].key]
        self._first = start
        self.mount_all(new, before=first)
        row = self.query("#load-earlier")
        if not start:
            row.remove()
        else:
            row.first(Button).label = self._earlier_label()

    # -- incremental ----------------------------------------------------------------------
    def append(self, item: ChatItem) -> Bubble:
        """Add a bubble at the bottom; old bubbles leave the DOM once past window + slack."""
        self._index[item.key] = len(self.items)
        self.items.append(item)
        if len(self.items) == 1:
            self.query(".chat--empty").remove()
        bubble = self._bubble(item)
        self.mount(bubble)
        mounted = len(self.items) - self._first
        if mounted > self.window + self.slack:
            self._trim(mounted - self.window)
        return bubble

    def upsert(self, item: ChatItem, *, replace_key: str | None = None) -> None:
        """Update the bubble with `item.key` (or `replace_key`), appending it when new. A reaction
        sits under the message it reacts to; a reply shows the message it quotes."""
        if self._fold_reaction(item):
            return
        if item.quotes and not item.quote:
            quoted = self._with_wamid(item.quotes)
            item.quote = quoted_text(quoted) if quoted is not None else ""
        key = replace_key if replace_key in self._index else item.key
        if key not in self._index:
            self.append(item)
            return
        i = self._index.pop(key)
        self._index[item.key] = i
        self.items[i] = item
        bubble = self._bubbles.pop(key, None)
        if bubble is not None and isinstance(bubble, ChatBubble) != item.interactive:
            replacement = self._bubble(item)  # e.g. a pending text became... an interactive reply
            self.mount(replacement, after=bubble)
            bubble.remove()
        elif bubble is not None:
            self._bubbles[item.key] = bubble
            bubble.update_item(item)

    def _fold_reaction(self, item: ChatItem) -> bool:
        """Put a reaction under the message it reacts to (once: a finished turn brings it again)."""
        if item.kind != "reaction" or not item.reacts_to:
            return False
        target = self._with_wamid(item.reacts_to)
        if target is None:  # reacting to a message not in this thread: shown as its own bubble
            return False
        if item.key not in self._reactions:
            self._reactions[item.key] = target.key
            target.reactions.append(item.text or "∅")
            bubble = self._bubbles.get(target.key)
            if bubble is not None:
                bubble.update_item(target)
        return True

    def _with_wamid(self, wamid: str) -> ChatItem | None:
        return next((it for it in reversed(self.items) if it.wamid == wamid), None)

    def has(self, key: str) -> bool:
        return key in self._index

    def bubble_for(self, key: str) -> Bubble | None:
        return self._bubbles.get(key)

    def select_turn(self, turn_index: int | None) -> None:
        """Outline the bubbles of the turn the side panel shows."""
        self.selected_turn = turn_index
        for bubble in self._bubbles.values():
            selected = turn_index is not None and bubble.item.turn_index == turn_index
            if bubble.has_class("-selected") != selected:
                bubble.set_class(selected, "-selected")
                bubble.refresh()

    def latest_interactive(self) -> Bubble | None:
        """The newest bubble with buttons or a list (what the keyboard's reply choice targets)."""
        for item in reversed(self.items[self._first :]):
            if item.side == "business" and item.interactive:
                return self._bubbles.get(item.key)
        return None

    @property
    def mounted_count(self) -> int:
        return len(self._bubbles)

    # -- internals ------------------------------------------------------------------------
    def _bubble(self, item: ChatItem) -> Bubble:
        # Only bubbles with choices need a container; the rest are one widget each.
        bubble: Bubble = (
            ChatBubble(item, self.wrap_width)
            if item.interactive
            else TextBubble(item, self.wrap_width)
        )
        if self.selected_turn is not None and item.turn_index == self.selected_turn:
            bubble.add_class("-selected")
        self._bubbles[item.key] = bubble
        return bubble

    def _trim(self, count: int) -> None:
        old = [
            self._bubbles.pop(it.key)
            for it in self.items[self._first : self._first + count]
            if it.key in self._bubbles
        ]
        self._first += count
        self.remove_children(old)
        rows = self.query("#load-earlier")
        if rows:
            rows.first(Button).label = self._earlier_label()
        else:
            self.mount(self._earlier_row(), before=0)

    def _earlier_label(self) -> str:
        return f"⋯ {self._first} earlier messages · load more"

    def _earlier_row(self) -> Button:
        return Button(self._earlier_label(), id="load-earlier", compact=True)

    @on(Button.Pressed, "#load-earlier")
    def _earlier_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.load_earlier()
