"""The TUI's handle on the scenario recorder: start with a name, count turns, stop with a path;
`RecorderSwitch` is the chat screen's F3 that does it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab.conversation.session import LabSession
from lab.errors import LabError
from lab.tui.messages import RecordingChanged
from lab.tui.screens.record import RecordModal, slug
from lab.tui.session import contact_id, contact_name, maybe_await

if TYPE_CHECKING:
    from lab.tui.screens.chat import ChatScreen


@dataclass(slots=True)
class Recording:
    """A recording in progress (the recorder writes each finished turn itself)."""

    name: str
    path: Path
    recorder: Any

    @property
    def turns(self) -> int:
        """The turns in the file: the recorder's count, which includes the conversation's turns from
        before the recording (they are written in front of the first recorded one)."""
        return self.recorder.turns

    @property
    def earlier(self) -> int:
        """How many of `turns` were from before the recording started."""
        return self.recorder.earlier_count

    def status(self) -> str:
        """`name · 11 turns (9 before recording) → name.yaml`, for the header."""
        n, before = self.turns, self.earlier
        return (
            f"{self.name} · {n} turn{'s' if n != 1 else ''}"
            + (f" ({before} before recording)" if before else "")
            + f" → {self.path.name}"
        )


def scenario_folder(lab: LabSession, scenarios_dir: Path) -> Path:
    """The folder a scenario recorded on this session is written to (the recorder's own placing:
    `scenarios/<flow_id>/` for the project's scenarios folder)."""
    try:
        # optional: absent from some installs (the except says what then)
        from lab.scenarios.recorder import placed_path
    except ImportError:  # a build without the recorder: start_recording says so
        return scenarios_dir
    return placed_path(lab, scenarios_dir / "NAME.yaml").parent


async def start_recording(
    lab: LabSession, scenarios_dir: Path, name: str, contact: str | None = None
) -> Recording:
    """Start the scenario recorder on the session; the file appears at the first finished turn.
    The conversation so far put in front is `contact`'s (the chat on show), not every contact's."""
    try:
        # optional: absent from some installs (the except says what then)
        from lab.scenarios.recorder import Recorder
    except ImportError as exc:
        raise LabError(
            "the scenario recorder is not available in this build",
            where=str(exc),
            fix="use `walab record` from a terminal instead",
        ) from None
    # The file name is also the scenario's name (and its cassette's); the words typed describe it.
    # The recorder places the file (scenarios/<flow_id>/NAME.yaml) and refuses one that exists there.
    recorder = Recorder(
        lab,
        scenarios_dir / f"{slug(name)}.yaml",
        slug(name),
        description=name if name != slug(name) else None,
        thread_of=contact,
    )
    path = Path(recorder.path)
    if path.exists():  # a path the recorder kept as given: it only checks the ones it moved
        raise LabError(
            f"a scenario named {path.name} already exists",
            where=str(path),
            fix="choose another name, or delete or rename the existing file",
        )
    await maybe_await(recorder.start())
    return Recording(name, path, recorder)


async def stop_recording(recording: Recording) -> Path:
    """Stop; returns the scenario file written."""
    result = await maybe_await(recording.recorder.stop())
    return Path(result) if result else recording.path


class RecorderSwitch:
    """F3 on the chat screen: ask for a scenario name and start recording the session, or stop and
    say where the scenario went. It holds the recording in progress (None when off); its workers
    run on the screen and report by `RecordingChanged`, which the screen hands back to `changed`."""

    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen
        self.recording: Recording | None = None

    def toggle(self) -> None:
        screen = self.screen
        if screen.lab is None:
            screen.show_error(screen.not_open_error())
            return
        if self.recording is not None:
            screen.run_worker(self._stop(), group="recorder", exclusive=True, exit_on_error=False)
            return
        settings = screen.app.settings
        folder = scenario_folder(screen.lab, settings.scenarios_dir)
        shown = (
            folder.relative_to(settings.project_dir)
            if folder.is_relative_to(settings.project_dir)
            else folder
        )
        screen.app.push_screen(RecordModal(str(shown), self._earlier_said()), self._named)

    def _earlier_said(self) -> str:
        """What of the conversation so far the scenario starts with: the chat on show only."""
        screen = self.screen
        n = len(screen.turns(screen.contact)) if screen.contact is not None else 0
        if not n:
            return ""
        name = next(
            (contact_name(c) for c in screen.lab.contacts if contact_id(c) == screen.contact),
            screen.contact,
        )
        return (
            f"It starts with {name}'s {n} turn{'s' if n != 1 else ''} so far "
            "(other contacts' chats are left out)."
        )

    def _named(self, name: str | None) -> None:
        if name is not None:
            self.screen.run_worker(
                self._start(name), group="recorder", exclusive=True, exit_on_error=False
            )

    async def _start(self, name: str) -> None:
        assert self.screen.lab is not None
        recording = await start_recording(
            self.screen.lab, self.screen.app.settings.scenarios_dir, name, self.screen.contact
        )
        self.screen.post_message(RecordingChanged(name, recording, True))

    async def _stop(self) -> None:
        assert self.recording is not None
        path = await stop_recording(self.recording)
        self.screen.post_message(RecordingChanged(None, path, False))

    def changed(self, message: RecordingChanged) -> None:
        """The recording started or stopped: hold it (or drop it) and tell the person."""
        app = self.screen.app
        if message.active:
            self.recording = message.path
            app.notify(
                f"Recording to {self.recording.path}: each finished turn is saved at once.",
                title="Recording",
            )
        else:
            turns = self.recording.turns if self.recording else 0
            self.recording = None
            app.notify(f"Scenario saved: {message.path} ({turns} turns)", title="Recording stopped")
