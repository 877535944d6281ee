"""The prompt panel: the flow's prompt variants, an editor with a live token count, a diff, apply."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Footer,
    Label,
    OptionList,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.widgets.option_list import Option
from textual.worker import WorkerState

from lab.errors import LabError
from lab.prompts import count_tokens, load_prompts, parse_prompt
from lab.tui.screens.confirm import ConfirmModal
from lab.tui.session import maybe_await
from lab.tui.widgets.error_panel import ErrorPanel
from lab.yamlio import write_atomic

SAVED = ":saved"  # the diff choice that compares the editor with the variant's own saved file


def prompt_diff(a_name: str, a: str, b_name: str, b: str) -> str:
    """Unified diff of two prompt texts (empty when identical)."""
    return "".join(
        difflib.unified_diff(
            a.splitlines(keepends=True), b.splitlines(keepends=True), a_name, b_name
        )
    )


class PromptScreen(Screen[None]):
    """Lists variants of the session's flow; edits, diffs and applies them."""

    DEFAULT_CSS = """
    PromptScreen { layout: vertical; }
    PromptScreen #prompt-title { height: 1; padding: 0 1; background: $primary 30%; width: 1fr; }
    PromptScreen #prompt-body { height: 1fr; }
    PromptScreen #variants { width: 34; height: 1fr; border-right: vkey $primary 30%; }
    PromptScreen #editor-pane { height: 1fr; width: 1fr; }  /* 100% (the default) overflowed past the variants: no soft wrap */
    PromptScreen TextArea { height: 1fr; border: none; }
    PromptScreen #token-count { height: 1; padding: 0 1; background: $boost; width: 1fr; }
    PromptScreen #diff-against { width: 1fr; margin: 0 1; }
    PromptScreen #diff-view { height: 1fr; }
    """

    BINDINGS = [
        Binding(
            "escape", "close", "Back to chat", id="prompts-close", tooltip="Return to the chat"
        ),
        Binding("ctrl+s", "save", "Save", id="prompt-save", tooltip="Write the edited prompt file"),
        Binding(
            "ctrl+o",
            "apply",
            "Apply (deploy)",
            id="prompt-apply",
            tooltip="Save, then deploy this variant as the flow's prompt: the next turn uses it",
        ),
        # Priority: the editor's TextArea binds F6 (select line) and would swallow it.
        Binding(
            "f6",
            "show_diff",
            "Diff",
            id="prompt-diff",
            tooltip="Compare the editor with the saved file or another variant (again: back to the editor)",
            priority=True,
        ),
        Binding("f1", "app.help", "Help", id="prompt-help", tooltip="Keys and commands"),
    ]

    @dataclass
    class PromptApplied(Message):
        """The target now runs this prompt variant."""

        prompt_id: str

    @dataclass
    class TokensCounted(Message):
        """The editor's text was counted."""

        prompt_id: str
        tokens: int

    def __init__(self, prompts_dir: Path, flow: str, active: str | None) -> None:
        super().__init__()
        self.prompts_dir = prompts_dir
        self.flow = flow
        self.active = active
        self.variants: list[Any] = []
        self.current: Any | None = None
        self.saved_text = ""

    def compose(self) -> ComposeResult:
        yield Label("", id="prompt-title")
        with Horizontal(id="prompt-body"):
            yield OptionList(id="variants")
            with TabbedContent(id="editor-pane"):
                with TabPane("Edit", id="edit"):
                    yield TextArea("", language="markdown", id="prompt-editor", soft_wrap=True)
                    yield Static("", id="token-count")
                with TabPane("Diff", id="diff"):
                    yield Select([], prompt="diff against…", id="diff-against", allow_blank=True)
                    with VerticalScroll(id="diff-view"):
                        yield Static(id="diff-body")
        yield ErrorPanel(id="prompt-error")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        # The cursor goes where the title says "editing": typing edits the open variant at once
        # (Tab reaches the variant list, F6 the diff).
        self.editor.focus()

    # -- data -------------------------------------------------------------------------------
    def reload(self, select: str | None = None) -> None:
        """Read the prompt files again (they are the source of truth, edited here or elsewhere)."""

        try:
            every = load_prompts(self.prompts_dir)
        except LabError as exc:
            self.query_one(ErrorPanel).show_error(exc)
            every = []
        self.variants = [p for p in every if p.flow == self.flow] or every
        options = []
        for p in self.variants:
            label = Text(
                ("✓ " if p.id == self.active else "  ") + p.id,
                style="bold" if p.id == self.active else "",
            )
            label.append(f"\n  {p.description[:28]}" if p.description else "", style="dim")
            options.append(Option(label, id=p.id))
        variants = self.query_one("#variants", OptionList)
        variants.set_options(options)
        want = select or (self.current.id if self.current else None) or self.active
        ids = [p.id for p in self.variants]
        if ids:
            index = ids.index(want) if want in ids else 0
            variants.highlighted = index
            self._open(self.variants[index])
        self._title()

    def _title(self) -> None:
        dirty = self.unsaved
        text = Text(f"Prompts · flow {self.flow} · active: ", style="bold")
        text.append(self.active or "(flow default)", style="bold green")
        if self.current is not None:
            text.append(
                f"  · editing {self.current.id}" + (" (unsaved)" if dirty else ""),
                style="yellow" if dirty else "",
            )
        self.query_one("#prompt-title", Label).update(text)

    @property
    def editor(self) -> TextArea:
        return self.query_one("#prompt-editor", TextArea)

    def _open(self, prompt: Any) -> None:
        self.current = prompt
        self.saved_text = prompt.path.read_text(encoding="utf-8")
        self.editor.load_text(self.saved_text)
        self._count(prompt.id, self.saved_text, prompt.model)
        self._diff_choices()

    def _diff_choices(self) -> None:
        """What the editor can be compared with: the variant's saved file, then the flow's other
        variants (the first of them chosen; the saved file when the flow has only this one)."""
        assert self.current is not None
        select = self.query_one("#diff-against", Select)
        others = [p.id for p in self.variants if p.id != self.current.id]
        select.set_options(
            [(f"{self.current.id} (saved file)", SAVED)] + [(other, other) for other in others]
        )
        select.value = others[0] if others else SAVED

    # -- events -----------------------------------------------------------------------------
    @on(OptionList.OptionHighlighted, "#variants")
    def _variant_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        prompt = next((p for p in self.variants if p.id == event.option.id), None)
        if prompt is not None and prompt is not self.current:
            if self.unsaved:
                self.app.notify(
                    f"Unsaved edits to {self.current.id} were discarded (ctrl+s saves).",
                    severity="warning",
                )
            self._open(prompt)
            self._title()

    @on(TextArea.Changed, "#prompt-editor")
    def _edited(self) -> None:
        if self.current is not None:
            self._count(self.current.id, self.editor.text, self.current.model)
            self._title()

    @on(Select.Changed, "#diff-against")
    def _diff_target(self) -> None:
        self._render_diff()

    def on_prompt_screen_tokens_counted(self, message: TokensCounted) -> None:
        unsaved = " · unsaved" if self.unsaved else ""
        self.query_one("#token-count", Static).update(
            Text(
                f"{message.tokens:,} tokens (tiktoken){unsaved} · ctrl+s save · ctrl+o apply · F6 diff",
                style="bold",
            )
        )

    def on_prompt_screen_prompt_applied(self, message: PromptApplied) -> None:
        self.active = message.prompt_id
        applied = getattr(self.app, "applied_prompts", None)
        if isinstance(applied, dict):
            applied[self.flow] = message.prompt_id
        self.app.notify(
            f"{message.prompt_id} deployed: the next turn uses it", title="Prompt applied"
        )
        self.reload(select=message.prompt_id)

    # -- actions ----------------------------------------------------------------------------
    @property
    def unsaved(self) -> bool:
        """The editor holds edits not written to the variant's file."""
        return self.current is not None and self.editor.text != self.saved_text

    def action_close(self) -> None:
        """Back to the chat; unsaved edits are thrown away only when the person says so."""
        if not self.unsaved:
            self.app.pop_screen()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.app.pop_screen()
            else:
                self.editor.focus()

        self.app.push_screen(
            ConfirmModal(
                f"Discard the unsaved edits to {self.current.id}?",
                f"The editor holds changes not written to {self.current.path.name}.\n"
                "Cancel (Esc) goes back to the editor, where ctrl+s saves them.",
                "Discard and close",
            ),
            answered,
        )

    def action_save(self) -> bool:
        """Validate and write the file; a bad header is reported and nothing is written."""
        if self.current is None:
            return False

        text = self.editor.text
        try:
            parse_prompt(text, self.current.path)
        except LabError as exc:
            self.query_one(ErrorPanel).show_error(exc)
            return False
        write_atomic(self.current.path, text)
        self.saved_text = text
        self.query_one(ErrorPanel).dismiss()
        self._title()
        return True

    def action_apply(self) -> None:
        if self.current is None or not self.action_save():
            return
        self.deploy(self.current.id)

    def action_show_diff(self) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active == "diff":  # F6 again: back to editing
            tabs.active = "edit"
            self.editor.focus()
            return
        tabs.active = "diff"
        self._render_diff()
        self.query_one("#diff-against", Select).focus()  # Enter opens the choice

    def _render_diff(self) -> None:
        select = self.query_one("#diff-against", Select)
        body = self.query_one("#diff-body", Static)
        if self.current is None or select.value is Select.NULL:
            body.update(Text("Choose what to compare the editor with.", style="dim"))
            return
        if select.value == SAVED:
            name, text = f"{self.current.id} (saved file)", self.saved_text
        else:
            other = next(p for p in self.variants if p.id == select.value)
            name, text = other.id, other.path.read_text(encoding="utf-8")
        diff = prompt_diff(name, text, self.current.id + " (editor)", self.editor.text)
        if diff:
            body.update(Syntax(diff, "diff", theme="ansi_dark", word_wrap=True))
        elif select.value == SAVED:
            body.update(self._nothing_to_diff())
        else:
            body.update(Text(f"Identical to {name}.", style="dim"))

    def _nothing_to_diff(self) -> Text:
        """The editor matches its saved file: say so, and how to get something to compare."""
        assert self.current is not None
        out = Text(f"No unsaved edits: the editor matches {self.current.path.name}.", style="dim")
        if len(self.variants) == 1:
            out.append(
                f"\n\n{self.current.id} is the only variant of flow {self.flow}. To compare two, "
                f"copy {self.current.path.name} to {self.flow}.NAME.md in "
                f"{self.prompts_dir.name}/ (with id: {self.flow}.NAME in its header) and press F2 "
                "again; or edit here: the diff then shows the unsaved edits.",
                style="dim",
            )
        return out

    # -- workers ----------------------------------------------------------------------------
    @work(exclusive=True, group="prompt-tokens", exit_on_error=False, thread=True)
    def _count(self, prompt_id: str, text: str, model: str | None) -> None:
        """Count tokens off the event loop (tiktoken is CPU work on a long prompt)."""

        try:
            body = parse_prompt(text, Path(prompt_id)).text
        except LabError:
            body = text
        self.post_message(self.TokensCounted(prompt_id, count_tokens(body, model)))

    @work(exclusive=True, group="prompt-apply", exit_on_error=False)
    async def deploy(self, prompt_id: str) -> None:
        lab = getattr(self.app, "lab", None)
        if lab is None:
            raise LabError(
                "the lab session is not open yet",
                fix="wait for the header to show the target, then apply",
            )
        await maybe_await(lab.apply_prompt(prompt_id))
        self.post_message(self.PromptApplied(prompt_id))

    def on_worker_state_changed(self, event: Any) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.query_one(ErrorPanel).show_error(event.worker.error)
