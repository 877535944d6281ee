"""F5 on the chat screen: restart a conversation, and what each restart hides from view.

"Same user" clears the agent's memory of the contact (`Lab.restart`); the phone's chat starts
empty and the contact's turn count and side panel start again after the restart, while the
transcript keeps every turn (the session's cost counts them). "New user" adds a brand-new contact.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from lab.conversation.model import ThreadItem, Turn
from lab.tui.chat_items import ChatItem
from lab.tui.screens.restart import RestartModal
from lab.tui.session import contact_id, contact_name, maybe_await
from lab.tui.widgets.chat_pane import ChatPane

if TYPE_CHECKING:
    from lab.tui.screens.chat import ChatScreen

_note_ids = itertools.count(1)


class ConversationRestarts:
    """The restarts of one chat screen: per contact, the last business message and the last turn
    from before its latest "same user" restart."""

    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen
        self.cleared: dict[str, int] = {}  # wa_id -> last captured seq when the chat was restarted
        self.restarted: dict[str, int] = {}  # wa_id -> index of its last turn before the restart

    def current(self, turn: Turn) -> bool:
        """The turn belongs to the contact's conversation on show (not to one before a restart)."""
        return turn.index > self.restarted.get(turn.contact, -1)

    def shown(self, wa_id: str, entries: Iterable[ThreadItem]) -> list[ThreadItem]:
        """The thread entries still on the phone: business messages from before a restart go."""
        mark = self.cleared.get(wa_id, 0)
        return [e for e in entries if getattr(e, "send", None) is None or e.send.seq > mark]

    def ask(self) -> None:
        """Ask how to restart the conversation on show (same user, or a new one)."""
        screen = self.screen
        if screen.lab is None or screen.contact is None:
            return
        name = next(
            (contact_name(c) for c in screen.lab.contacts if contact_id(c) == screen.contact),
            screen.contact,
        )
        screen.app.push_screen(RestartModal(name), self._chosen)

    def _chosen(self, choice: str | None) -> None:
        self.screen.run_worker(
            self._restart(choice), group="restart", exclusive=True, exit_on_error=False
        )

    async def _restart(self, choice: str | None) -> None:
        screen, lab, wa_id = self.screen, self.screen.lab, self.screen.contact
        if choice is None or wa_id is None or lab is None:
            return
        if choice == "new":  # a brand-new WhatsApp user: a new contact, a new wa_id
            name = next(
                (contact_name(c) for c in lab.contacts if contact_id(c) == wa_id),
                "User",
            )
            result = lab.add_contact(f"{name.split(' (')[0]} (new)")
        else:  # same user: the phone's chat and the agent's memory of them are cleared
            thread = getattr(lab, "thread", None)
            if callable(thread):
                seqs = [e.send.seq for e in thread(wa_id) if getattr(e, "send", None) is not None]
                self.cleared[wa_id] = max(seqs, default=0)
            await maybe_await(lab.restart(wa_id, new_user=True))
            done = [t.index for t in lab.transcript.turns if t.contact == wa_id]
            self.restarted[wa_id] = max(done, default=-1)
            result = None
        screen.app.call_later(self._after, result)

    def _after(self, result: Any) -> None:
        screen = self.screen
        screen.show_contact(contact_id(result) if result is not None else screen.contact)
        if result is None:
            clock = getattr(screen.lab, "clock", None)
            screen.query_one(ChatPane).append(
                ChatItem(
                    key=f"note-{next(_note_ids)}",
                    side="system",
                    time=clock.time() if clock else 0.0,
                    kind="note",
                    text="conversation restarted · the agent's memory was cleared",
                )
            )
        screen.app.notify(
            "Conversation restarted." if result is None else f"New user {contact_name(result)}."
        )
