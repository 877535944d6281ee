"""The walab chat app: opens the lab session in a worker and hosts the chat screen."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from lab.conversation.session import LabSession
from lab.errors import LabError
from lab.tui.commands import ActionCommands, ClockCommands, ContactCommands, ReviewCommands
from lab.tui.messages import LabEventArrived, LabOpened
from lab.tui.screens.chat import ChatScreen
from lab.tui.screens.help import HelpScreen
from lab.tui.session import LabFactory
from lab.tui.widgets.composer import Composer


def screenshot_dir(settings: Any) -> Path:
    """Where the palette's Screenshot saves: `out/screenshots/` in the project (or the current folder)."""
    project = getattr(settings, "project_dir", None) or Path.cwd()
    return Path(project) / "out" / "screenshots"


def _preload_core() -> None:
    for name in ("lab.conversation.lab", "lab.conversation.assembly"):
        try:
            importlib.import_module(name)
        except ImportError:  # a partial build: the factory reports what is missing
            pass


def binding_table(app: App[Any]) -> list[tuple[str, Binding]]:
    """Every binding of the app and its screens, grouped by where it works (help and palette)."""
    # lazy: start-up, the TUI paints first and loads this when it is used
    from lab.tui.screens.compare import CompareScreen

    # lazy: start-up, the TUI paints first and loads this when it is used
    from lab.tui.screens.prompts import PromptScreen

    rows: list[tuple[str, Binding]] = []
    for where, owner in (
        ("app", type(app)),
        ("chat", ChatScreen),
        ("composer", Composer),
        ("prompts", PromptScreen),
        ("compare", CompareScreen),
    ):
        for b in owner.BINDINGS:
            if isinstance(b, Binding) and b.id:
                rows.append((where, b))
    return rows


class WalabApp(App[int]):
    """The chat TUI. `lab_factory` opens the session (the real Lab, or a scripted one in tests)."""

    TITLE = "walab"
    CSS = """
    #body { height: 1fr; }
    #chat-column { width: 1fr; height: 1fr; }
    /* Narrow terminals: the thread keeps its room; contacts via ctrl+n / the palette. The side
       panel keeps the 39 columns its four tab labels need. */
    .-narrow #contacts { display: none; }
    .-narrow #side { width: 40%; min-width: 39; }
    /* Roomy terminals: the side panel grows with the screen (JSON payloads, log lines). */
    .-roomy #side { width: 40%; max-width: 96; }
    """
    # The app gets -narrow / -wide / -roomy classes by terminal width (Textual's breakpoints).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide"), (140, "-roomy")]
    COMMANDS = App.COMMANDS | {ActionCommands, ContactCommands, ClockCommands, ReviewCommands}
    BINDINGS = [
        Binding("f1", "help", "Help", id="help", tooltip="Every key and composer command"),
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            id="quit",
            show=False,  # every Textual app's quit key: footer room
            tooltip="Close walab (a recording keeps every finished turn)",
        ),
        # In the footer only while the session has failed (check_action): F5 restarts a conversation.
        Binding(
            "f10",
            "reconnect",
            "Reconnect",
            id="reconnect-session",
            tooltip="Open the lab session again after it failed (fix the Kestra URL or start Kestra first)",
        ),
    ]

    def __init__(
        self,
        lab_factory: LabFactory,
        settings: Any = None,
        *,
        contact: str | None = None,
        window: int = 16,
        clock_interval: float = 1.0,
        player_factory: Any = None,
    ) -> None:
        super().__init__()
        self.lab_factory = lab_factory
        self.settings = settings
        self.initial_contact = contact
        self.window = window
        self.clock_interval = clock_interval
        self.lab: LabSession | None = None
        self.player_factory = (
            player_factory  # compare runs: None plays scenarios on the real engine
        )
        self.applied_prompts: dict[
            str, str
        ] = {}  # flow -> prompt id applied or promoted in this session
        self._session_done = asyncio.Event()
        self.session_error: LabError | None = None  # why the session failed (None: opening or open)

    def on_mount(self) -> None:
        self.push_screen(ChatScreen())
        # Open the session once the first frame is up: the composer is usable meanwhile.
        self.call_after_refresh(self.open_lab)

    @property
    def chat(self) -> ChatScreen:
        return next(s for s in self.screen_stack if isinstance(s, ChatScreen))

    @work(exclusive=True, group="lab", exit_on_error=False, description="opening the lab session")
    async def open_lab(self) -> None:
        """Hold the session open for the app's lifetime; its events come back as messages."""
        # The core's imports are heavy: do them in a thread so the UI keeps drawing meanwhile.
        await asyncio.to_thread(_preload_core)
        async with self.lab_factory() as lab:
            lab.subscribe(self._lab_event)
            self.lab = lab
            self.chat.post_message(LabOpened(lab))
            await self._session_done.wait()

    def _lab_event(self, event: Any) -> None:
        # Called by the session (possibly from another thread): post, never touch widgets.
        self.chat.post_message(LabEventArrived(event))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "lab" and event.state == WorkerState.ERROR:
            error = event.worker.error
            if not isinstance(error, LabError):
                error = LabError(
                    f"could not open the lab session: {type(error).__name__}: {error}",
                    fix="check the target URL and settings",
                )
            self.session_error = error
            self.lab = None
            self.chat.session_failed(error)
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reconnect":
            return self.session_error is not None
        return True

    def action_reconnect(self) -> None:
        """Open the session again (after the person fixed what made it fail)."""
        if self.session_error is None:
            self.notify(
                "The lab session is open."
                if self.lab is not None
                else "The lab session is still opening."
            )
            return
        self.session_error = None
        self.refresh_bindings()
        self.chat.session_reopening()
        self.open_lab()

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """Save screenshots into the project's `out/screenshots/` (Textual's default, ~/Downloads,
        may not exist: the save then failed without saying where); a browser still downloads it."""
        if path is None and not self.is_web:
            folder = screenshot_dir(self.settings)
            folder.mkdir(parents=True, exist_ok=True)
            path = str(folder)
        return super().deliver_screenshot(filename, path, time_format)

    async def action_quit(self) -> None:
        self._session_done.set()
        self.exit(0)

    def action_review(self) -> None:
        """Play the project's scenarios, then review their snapshot changes turn by turn."""
        self.notify("playing the scenarios to set them beside their snapshots…")
        self.collect_reviews()

    @work(thread=True, exclusive=True, group="review", exit_on_error=False, description="review")
    def collect_reviews(self) -> None:
        # lazy: start-up, the TUI paints first; a review loads the player, pytest and snapshots
        from lab.scenarios.player import Player
        from lab.scenarios.review import cases_under, collect
        from lab.tui.screens.review import ReviewScreen

        try:
            cases = cases_under([self.settings.scenarios_dir])
            reviews = collect(cases, Player(project_dir=self.settings.project_dir).play_sync)
        except LabError as exc:
            self.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.call_from_thread(self.push_screen, ReviewScreen(reviews))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(
                HelpScreen(binding_table(self), access=getattr(self.lab, "access", None) or [])
            )
