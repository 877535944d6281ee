"""The main screen: contacts, the WhatsApp-like thread, the composer and the side panel of a turn."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from lab.conversation import events as ev
from lab.conversation.actions import Action, Advance, ArmFault, React, SwitchContact, Tap
from lab.conversation.composer import ShowHelp, parse_command
from lab.conversation.model import Turn
from lab.conversation.phone import find_contact
from lab.conversation.session import LabSession
from lab.errors import LabError
from lab.redaction import Redactor, policy_for
from lab.tui.autopilot import AutopilotSwitch
from lab.tui.chat_items import (
    ChatItem,
    item_from_inbound,
    item_from_send,
    items_for_turn,
    items_from_thread,
    pending_summary,
    thread_items,
)
from lab.tui.live_turns import LiveTurns
from lab.tui.messages import (
    ActionFailed,
    AutopilotEnded,
    LabEventArrived,
    LabOpened,
    RecordingChanged,
    TurnCompleted,
)
from lab.tui.recording import RecorderSwitch, Recording
from lab.tui.restarts import ConversationRestarts
from lab.tui.screens.add_contact import AddContactModal, NewContact
from lab.tui.session import active_prompt, contact_id, contact_name, facts_of, session_now
from lab.tui.turn_problems import model_call_failure
from lab.tui.widgets.chat_bubble import ChatBubble
from lab.tui.widgets.chat_pane import ChatPane
from lab.tui.widgets.composer import Composer
from lab.tui.widgets.contact_list import ContactList
from lab.tui.widgets.error_panel import ErrorPanel
from lab.tui.widgets.lab_header import LabHeader
from lab.tui.widgets.payload_view import PayloadView
from lab.tui.widgets.side_panel import SidePanel

if TYPE_CHECKING:
    from lab.simulate.autopilot import Autopilot

_pending_ids = itertools.count(1)


class ChatScreen(Screen[None]):
    """Renders the session; every action runs in a worker and comes back as a message.

    The recorder (F3, `RecorderSwitch`), conversation restarts (F5, `ConversationRestarts`) and
    the autopilot (F12, `AutopilotSwitch`) are objects of their own that the screen holds."""

    # The footer shows the keys used most (it fits 120 columns); the rest are in F1 help and the palette.
    BINDINGS = [
        Binding(
            "f2",
            "open_prompts",
            "Prompts",
            id="open-prompts",
            tooltip="Prompt variants of the flow: edit with a live token count, diff, apply",
        ),
        Binding(
            "f6",
            "open_compare",
            "Compare",
            id="open-compare",
            tooltip="Compare prompt variants over scenarios: matrix, replies side by side, promote the winner",
        ),
        Binding(
            "f3",
            "toggle_recording",
            "Record",
            id="toggle-recording",
            tooltip="Start or stop recording this conversation as a scenario",
        ),
        Binding(
            "ctrl+r",
            "choose_reply",
            "Reply choices",
            id="choose-reply",
            tooltip="Move the focus to the newest reply buttons or list (then Enter picks)",
        ),
        Binding(
            "f4",
            "add_contact",
            "Add contact",
            id="add-contact",
            show=False,
            tooltip="Add a simulated WhatsApp user",
        ),
        Binding(
            "f5",
            "restart",
            "Restart",
            id="restart-conversation",
            tooltip="Restart the conversation: same user with memory cleared, or a new user",
        ),
        Binding(
            "f7",
            "select_turn(-1)",
            "◀ Turn",
            id="previous-turn",
            show=False,
            tooltip="Show the previous turn in the side panel (pinned: new turns do not replace it)",
        ),
        Binding(
            "f8",
            "select_turn(1)",
            "Turn ▶",
            id="next-turn",
            show=False,
            tooltip="Show the next turn in the side panel (at the newest it follows new turns again)",
        ),
        Binding(
            "f9",
            "next_tab",
            "Panel tab",
            id="next-panel-tab",
            tooltip="Cycle the side panel: Timeline, Logs, Tokens & cost, Payloads",
        ),
        Binding(
            "ctrl+n",
            "next_contact",
            "Next contact",
            id="next-contact",
            show=False,
            tooltip="Switch to the next contact's thread",
        ),
        Binding(
            "ctrl+l",
            "focus_composer",
            "Composer",
            id="focus-composer",
            show=False,
            tooltip="Put the cursor back in the composer",
        ),
        Binding(
            "f12",
            "toggle_autopilot",
            "Autopilot",
            id="toggle-autopilot",
            show=False,
            tooltip="A persona chats as this contact (bubbles as it goes); again to stop it",
        ),
        Binding(
            "escape",
            "dismiss_error",
            "Dismiss",
            id="dismiss-error",
            show=False,
            tooltip="Hide the error panel and follow the latest turn again",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.lab: LabSession | None = None
        self.contact: str | None = None
        self.selected_turn: int | None = None  # None: follow the latest turn of the contact
        self.live = LiveTurns()
        self.recorder = RecorderSwitch(self)
        self.restarts = ConversationRestarts(self)
        self.autopilots = AutopilotSwitch(self)
        self.advanced_h = 0.0  # hours the person moved the virtual clock
        self.templates: Any = None
        self._told: set[int] = set()  # turns whose failed model call the error panel has shown

    def compose(self) -> ComposeResult:
        yield LabHeader(id="header")
        with Horizontal(id="body"):
            yield ContactList(id="contacts")
            with Vertical(id="chat-column"):
                yield ChatPane(id="chat", window=getattr(self.app, "window", 16))
                yield Composer(id="composer")
            yield SidePanel(id="side")
        yield ErrorPanel(id="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Composer).focus()
        self.query_one(SidePanel).show_turn(None, [], [])
        if getattr(self.app, "clock_interval", 1.0):
            self.set_interval(self.app.clock_interval, self.refresh_header)

    def refresh_header(self) -> None:
        """Clock and recorder state (facts about the target are set once, on open)."""
        header = self.query_one(LabHeader)
        header.now = session_now(self.lab) if self.lab is not None else None
        header.offset_h = self.advanced_h
        header.recording = self.recording.status() if self.recording else ""

    # -- session ----------------------------------------------------------------------------
    def on_lab_opened(self, message: LabOpened) -> None:
        self.lab = message.lab
        # The sandbox's template registry: template bubbles read as WhatsApp renders them.
        self.templates = getattr(getattr(self.lab, "sandbox", None), "templates", None)
        # Payloads show what flows sent and received: every known secret value is masked there.
        self.query_one(PayloadView).mask = getattr(self.lab, "secret_mask", None)
        policy = policy_for(getattr(self.lab, "settings", None))
        self.query_one(PayloadView).redactor = Redactor(policy) if policy.payloads else None
        facts = facts_of(self.lab, getattr(self.app, "settings", None))
        header = self.query_one(LabHeader)
        header.failed = False
        header.target, header.flow, header.llm_mode = facts.target, facts.flow, facts.llm_mode
        self.refresh_header()
        if facts.records_to:  # `--llm record` without `--cassette` writes where no option said
            self.notify(
                f"The LLM calls are recorded into {facts.records_to}",
                title="LLM record",
                timeout=10,
            )
        contacts = list(self.lab.contacts)
        wanted = getattr(self.app, "initial_contact", None)
        ids = [contact_id(c) for c in contacts]
        self.contact = wanted if wanted in ids else (ids[0] if ids else None)
        self.show_contact(self.contact)
        # The session and its thread live as long as the app: freezing them keeps the collector from
        # rescanning a long transcript on every full pass (measured: most of a 2,000-message start-up).
        import gc

        gc.freeze()

    def session_failed(self, error: LabError) -> None:
        """The session could not open (or died): the header and the error panel say so, and how to retry."""
        self.lab = None
        header = self.query_one(LabHeader)
        header.failed = True
        self.show_error(self.not_open_error())

    def session_reopening(self) -> None:
        self.query_one(LabHeader).failed = False
        self.query_one(LabHeader).target = "opening…"
        self.query_one(ErrorPanel).dismiss()

    def not_open_error(self) -> LabError:
        """Why nothing can be sent now, and what to do (an action before the session is open)."""
        failure = getattr(self.app, "session_error", None)
        if failure is None:
            return LabError(
                "the lab session is not open yet",
                fix="wait a moment: the header shows the target once it is",
            )
        fix = (
            f"{failure.fix.rstrip('.')}; then press F10 (palette: app: Reconnect) to open the session again"
            if failure.fix
            else "press F10 (palette: app: Reconnect) to open the session again"
        )
        return LabError(f"the lab session failed: {failure.what}", where=failure.where, fix=fix)

    def turns(self, wa_id: str | None = None) -> list[Turn]:
        """Finished turns of a contact since its last restart (all turns of the session when None)."""
        if self.lab is None:
            return []
        turns = list(self.lab.transcript.turns)
        return (
            turns
            if wa_id is None
            else [t for t in turns if t.contact == wa_id and self.restarts.current(t)]
        )

    @property
    def recording(self) -> Recording | None:
        """The recording in progress (None when the recorder is off)."""
        return self.recorder.recording

    @property
    def autopilot(self) -> Autopilot | None:
        """The persona chatting as the contact on show (None when the autopilot is off)."""
        return self.autopilots.autopilot

    def show_contact(self, wa_id: str | None) -> None:
        """Switch the thread, the contact list and the side panel to one contact."""
        self.contact = wa_id
        self.selected_turn = None
        self.refresh_contacts()
        pane = self.query_one(ChatPane)
        if wa_id is None:
            pane.show_thread([])
            return
        thread = getattr(self.lab, "thread", None)
        if callable(thread):  # a restart clears the chat: older business messages stay hidden
            items = items_from_thread(self.restarts.shown(wa_id, thread(wa_id)), self.templates)
        else:
            items = thread_items(self.turns(wa_id), self.templates)
        pane.show_thread(items)
        self.refresh_side()

    def refresh_contacts(self) -> None:
        counts: dict[str, int] = {}
        for t in self.turns():
            if self.restarts.current(t):
                counts[t.contact] = counts.get(t.contact, 0) + 1
        contacts = list(self.lab.contacts) if self.lab is not None else []
        self.query_one(ContactList).show_contacts(contacts, self.contact, counts)
        self.query_one(ChatPane).border_title = next(
            (contact_name(c) for c in contacts if contact_id(c) == self.contact), ""
        )

    def shown_turn(self) -> Turn | None:
        """The selected turn, or the contact's latest (in flight first)."""
        if self.contact is None:
            return None
        if self.selected_turn is not None:
            return self.live.get(self.selected_turn) or next(
                (t for t in self.turns(self.contact) if t.index == self.selected_turn), None
            )
        live = self.live.latest_for(self.contact)
        finished = self.turns(self.contact)
        if live is not None and (not finished or live.index > finished[-1].index):
            return live
        return finished[-1] if finished else None

    def refresh_side(self) -> None:
        turn = self.shown_turn()
        self.query_one(SidePanel).show_turn(
            turn, self.turns(self.contact), self.turns(), pinned=self.selected_turn is not None
        )
        self.query_one(ChatPane).select_turn(
            turn.index if turn and self.selected_turn is not None else None
        )

    # -- lab events -------------------------------------------------------------------------
    def on_lab_event_arrived(self, message: LabEventArrived) -> None:
        event = message.event
        pane = self.query_one(ChatPane)
        if isinstance(event, ev.TurnStarted):
            self.live.started(event)
            pending = self.live.claim_pending(
                event.contact
            )  # claimed even when another chat is shown
            item = item_from_inbound(event.inbound, event.index, "sent")
            if pending is not None:
                self.live.claimed[pending] = item.key
            if event.contact == self.contact:
                if pending is None:  # an act the person did not type (the autopilot's)
                    self._mark_answered(pane)
                pane.upsert(item, replace_key=pending)
                self.refresh_side()
        elif isinstance(event, ev.ReplyCaptured):
            self.live.reply(event)
            if event.contact == self.contact:
                item = item_from_send(event.send, event.turn_index, self.templates)
                if item is not None:
                    pane.upsert(item)
                self._refresh_if_shown(event.turn_index)
        elif isinstance(event, ev.StatusChanged):
            send = self.live.send_for(event.wamid)
            if event.contact == self.contact and send is not None:
                item = item_from_send(send, None, self.templates)
                if item is not None and pane.has(item.key):
                    item.turn_index = pane.items[pane._index[item.key]].turn_index
                    pane.upsert(item)
        elif isinstance(event, ev.LogReceived):
            self.live.log(event)
            self.query_one(SidePanel).log_arrived(event.turn_index, event.line)
        elif isinstance(event, (ev.ExecutionUpdated, ev.LLMCallMetered)):
            self.live.update(event)
            self._refresh_if_shown(getattr(event, "turn_index", None))
        elif isinstance(event, ev.TurnFinished):
            self.turn_finished(event.turn)
        elif isinstance(event, ev.LabErrorRaised):
            self.show_error(LabError(event.what, where=event.where, fix=event.fix))

    def _refresh_if_shown(self, turn_index: int | None) -> None:
        shown = self.shown_turn()
        if shown is not None and turn_index == shown.index:
            self.refresh_side()

    def turn_finished(self, turn: Turn, pending_key: str | None = None) -> None:
        """Reconcile the thread with the finished turn (statuses, verdicts, answers)."""
        self.live.finished(turn)
        if pending_key is not None:
            self.live.claimed.pop(pending_key, None)
        if self.recording is not None:  # the recorder wrote the turn: its count changed
            self.refresh_header()
        if turn.contact == self.contact:
            pane = self.query_one(ChatPane)
            for i, item in enumerate(items_for_turn(turn, self.templates)):
                pane.upsert(item, replace_key=pending_key if i == 0 else None)
            failure = model_call_failure(turn) if turn.index not in self._told else None
            if failure is not None:  # the flow hid it behind a reply: say why (once per turn)
                self._told.add(turn.index)
                self.show_error(failure)
        self.refresh_contacts()
        self.refresh_side()

    def on_turn_completed(self, message: TurnCompleted) -> None:
        if message.turn is not None:
            self.turn_finished(message.turn, message.pending_key)

    def on_action_failed(self, message: ActionFailed) -> None:
        pane = self.query_one(ChatPane)
        # The failed bubble keeps its place: no later turn may claim it (that showed the next message twice).
        key = self.live.drop_pending(message.pending_key) if message.pending_key else None
        if key is not None and pane.has(key):
            item = pane.items[pane._index[key]]
            item.state = "failed"
            pane.upsert(item)
        self.show_error(message.error)

    def show_error(self, error: BaseException | str) -> None:
        self.query_one(ErrorPanel).show_error(error)

    # -- the person's actions ---------------------------------------------------------------
    @on(Composer.Sent)
    def _composer_sent(self, event: Composer.Sent) -> None:
        settings = getattr(self.app, "settings", None)
        try:
            action = parse_command(
                event.text, project_dir=settings.project_dir if settings else None
            )
        except LabError as exc:
            self.show_error(exc)  # the text stays in the composer, nothing is lost
            return
        if isinstance(action, ShowHelp):
            event.composer.accept()
            self.app.action_help()
            return
        if self.lab is None or self.contact is None:
            self.show_error(self.not_open_error())  # the text stays in the composer
            return
        event.composer.accept()
        self.query_one(ErrorPanel).dismiss()
        self.autopilots.take_over()
        self.start_action(action)

    @on(ChatBubble.ReplyChosen)
    def _reply_chosen(self, event: ChatBubble.ReplyChosen) -> None:
        if self.lab is not None and self.contact is not None:
            self.autopilots.take_over()
            self.start_action(Tap(event.choice.title))
        # Typing goes on in the composer: the tapped button (or the list picker's, which a closing
        # modal gives the focus back to) would swallow the next keystrokes. After the refresh, so the
        # focus the list picker restores on dismiss does not win.
        self.call_after_refresh(self.action_focus_composer)

    @on(ChatBubble.Selected)
    def _bubble_selected(self, event: ChatBubble.Selected) -> None:
        if event.turn_index is not None:
            self.selected_turn = event.turn_index
            self.refresh_side()

    @on(ContactList.ContactChosen)
    def _contact_chosen(self, event: ContactList.ContactChosen) -> None:
        if event.wa_id != self.contact:
            self.show_contact(event.wa_id)
        self.query_one(Composer).focus()

    def start_action(self, action: Action) -> None:
        """Show the user's bubble at once (pending), then run the action in a worker."""
        assert self.contact is not None
        pending_key = None
        # A clock move, a read, a switch or a fault adds no bubble; a reaction sits under its
        # message once its turn starts.
        if action.turn and not isinstance(action, React):
            pane = self.query_one(ChatPane)
            kind, label, text = pending_summary(action)
            pending_key = f"pending-{next(_pending_ids)}"
            clock = getattr(self.lab, "clock", None)
            now = clock.time() if clock is not None else 0.0
            self._mark_answered(pane)
            pane.append(
                ChatItem(
                    key=pending_key,
                    side="user",
                    time=now,
                    kind=kind,
                    label=label,
                    text=text,
                    state="pending",
                )
            )
            self.live.add_pending(self.contact, pending_key)
        self.run_action(self.contact, action, pending_key)

    def _mark_answered(self, pane: ChatPane) -> None:
        bubble = pane.latest_interactive()
        if bubble is not None and not bubble.item.answered:
            bubble.item.answered = True
            bubble.update_item(bubble.item)

    @work(group="turns", exit_on_error=False, description="running a turn")
    async def run_action(self, wa_id: str, action: Action, pending_key: str | None) -> None:
        """One act on the session (`Lab.perform`, which tells the recorder); reports by message,
        never touches widgets."""
        try:
            turn = await self.lab.perform(wa_id, action)
        except Exception as exc:  # noqa: BLE001 - reported in the error panel, the app keeps running
            self.post_message(ActionFailed(exc, pending_key))
            return
        if isinstance(action, SwitchContact):
            self.app.call_later(
                self.show_contact,
                find_contact(self.lab.contacts, action.number or action.who).wa_id,
            )
        if isinstance(action, Advance):
            self.advanced_h += action.delta.total_seconds() / 3600
            self.app.call_later(self.refresh_header)  # the header's clock moved
            self.app.notify(f"Clock advanced by {action.text}.")
        if isinstance(action, ArmFault):
            self.app.notify(f"Fault armed: {action.name} × {action.count}.")
        self.post_message(TurnCompleted(turn, pending_key))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.show_error(event.worker.error)

    def action_next_tab(self) -> None:
        self.query_one(SidePanel).next_tab()

    def action_focus_composer(self) -> None:
        self.query_one(Composer).focus()

    def action_dismiss_error(self) -> None:
        self.query_one(ErrorPanel).dismiss()
        if self.selected_turn is not None:
            self.selected_turn = None
            self.refresh_side()

    # -- contacts, turns, other screens ----------------------------------------------------
    def action_add_contact(self) -> None:
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
        self.restarts.ask()

    def action_next_contact(self) -> None:
        if self.lab is None:
            return
        ids = [contact_id(c) for c in self.lab.contacts]
        if ids:
            i = ids.index(self.contact) if self.contact in ids else -1
            self.show_contact(ids[(i + 1) % len(ids)])

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
        # The newest turn is not pinned: the panel follows the turns still to come.
        self.selected_turn = indexes[pos] if pos < len(indexes) - 1 else None
        self.refresh_side()

    def action_open_prompts(self) -> None:
        # lazy: start-up, the prompt screen's editor (TextArea) takes ~100 ms to import
        from lab.tui.screens.prompts import PromptScreen

        settings = getattr(self.app, "settings", None)
        if settings is None:
            return
        active = active_prompt(self.lab, settings, self.app.applied_prompts.get(settings.flow))
        self.app.push_screen(PromptScreen(settings.prompts_dir, settings.flow, active))

    def action_open_compare(self) -> None:
        # lazy: start-up, the compare screen and the prompt lab take ~100 ms to import
        from lab.tui.screens.compare import CompareScreen

        settings = getattr(self.app, "settings", None)
        if settings is None or isinstance(self.app.screen, CompareScreen):
            return
        self.app.push_screen(CompareScreen(settings, player_factory=self.app.player_factory))

    # -- the recorder -------------------------------------------------------------------------
    def action_toggle_recording(self) -> None:
        self.recorder.toggle()

    def on_recording_changed(self, message: RecordingChanged) -> None:
        self.recorder.changed(message)
        self.refresh_header()

    # -- the autopilot ------------------------------------------------------------------------
    def action_toggle_autopilot(self) -> None:
        self.autopilots.toggle()

    def on_autopilot_ended(self, message: AutopilotEnded) -> None:
        self.autopilots.ended(message)
