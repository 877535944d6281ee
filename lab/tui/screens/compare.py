"""The compare view: scenarios × prompt variants of a flow, the matrix, replies side by side, promote."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Select, SelectionList, Static
from textual.worker import Worker, WorkerState

from lab.errors import LabError
from lab.prompts import load_prompts
from lab.tui.compare_run import (
    MODE_HELP,
    MODES,
    CompareRequest,
    bundled_scenarios,
    flow_variants,
    live_estimate,
    playable,
    run_compare,
    skipped_note,
)
from lab.tui.screens.confirm import ConfirmModal
from lab.tui.session import active_prompt, maybe_await
from lab.tui.widgets import compare_view as view
from lab.tui.widgets.error_panel import ErrorPanel

LIVE_CONFIRM_ABOVE_USD = (
    0.50  # a live compare estimated above this asks first (as `walab compare` does)
)


class CompareScreen(Screen[None]):
    """Choose scenarios and variants, run the matrix in a worker, read it, promote the winner."""

    DEFAULT_CSS = """
    CompareScreen { layout: vertical; }
    CompareScreen #compare-title { height: 1; padding: 0 1; background: $primary 30%; width: 1fr; }
    CompareScreen #compare-setup { height: 9; }
    CompareScreen SelectionList { width: 1fr; height: 1fr; border: round $primary 40%; }
    CompareScreen SelectionList:focus { border: round $accent; }
    CompareScreen #compare-options { width: 40; height: 1fr; padding: 0 1; }
    CompareScreen #compare-flow, CompareScreen #compare-mode { width: 1fr; }
    CompareScreen #compare-progress { height: auto; }
    CompareScreen #compare-matrix { height: auto; max-height: 9; }
    CompareScreen #compare-totals { height: auto; padding: 0 1; }
    CompareScreen #compare-turns { height: 1fr; }
    CompareScreen #compare-failures { height: auto; padding: 0 1; }
    """

    BINDINGS = [
        Binding(
            "f5",
            "run_compare",
            "Run",
            id="compare-run",
            tooltip="Run the ticked scenarios under each ticked variant (the first ticked is the baseline)",
        ),
        Binding(
            "f6",
            "cancel_compare",
            "Cancel run",
            id="compare-cancel",
            tooltip="Stop the running compare; the cells already finished are kept",
        ),
        Binding(
            "f7",
            "next_mode",
            "Mode",
            id="compare-mode",
            tooltip="Cycle the LLM mode: auto (each scenario's own source, default), replay (cassettes), "
            "scripted, live (costs money)",
        ),
        Binding(
            "ctrl+o",
            "promote",
            "Promote",
            id="compare-promote",
            tooltip="Make the selected row's variant the flow's default prompt file and deploy it",
        ),
        Binding(
            "escape",
            "close",
            "Back to chat",
            id="compare-close",
            tooltip="Dismiss the error panel, else return to the chat (cancels a run)",
        ),
        Binding("f1", "app.help", "Help", id="compare-help", tooltip="Keys and commands"),
    ]

    @dataclass
    class Progressed(Message):
        """A cell finished (or the run ended): the run so far, a copy owned by the UI."""

        run: Any
        finished: bool = False

    @dataclass
    class Promoted(Message):
        """A variant became its flow's default prompt file and is deployed."""

        variant: str
        default_id: str
        path: Any

    def __init__(
        self, settings: Any, flow: str | None = None, *, player_factory: Any = None
    ) -> None:
        super().__init__()
        self.settings = settings
        self.flow = flow or settings.flow
        self.player_factory = player_factory  # tests and benchmarks pass a scripted player
        self.result: Any = None
        self.running = False
        self.started = 0.0
        self.cancel_event = threading.Event()
        self.scenarios = bundled_scenarios(settings.scenarios_dir)
        self.load_error: LabError | None = None
        self.elapsed_timer: Any = None
        self.turns_shown: tuple[
            Any, ...
        ] = ()  # what the turns table shows (re-rendered only when it changes)
        self.auto_ticked: set[str] = (
            set()
        )  # what the mode pre-ticked (re-ticked when the mode changes)
        self.flows = self._flows()
        if self.flows.get(self.flow, 0) < 2:
            # The chat's flow may have a single prompt: open on a flow that has something to compare.
            self.flow = next((f for f, n in self.flows.items() if n >= 2), self.flow)

    def compose(self) -> ComposeResult:
        yield Label("", id="compare-title")
        with Horizontal(id="compare-setup"):
            yield SelectionList[str](id="compare-scenarios")
            yield SelectionList[str](id="compare-variants")
            with Vertical(id="compare-options"):
                yield Select(
                    [(f"{f} · {n} variant{'s' * (n != 1)}", f) for f, n in self.flows.items()],
                    prompt="flow",
                    id="compare-flow",
                    allow_blank=not self.flows,
                    value=self.flow if self.flow in self.flows else Select.NULL,
                )
                yield Select(
                    [(f"{m} ({MODE_HELP[m]})", m) for m in MODES],
                    value="auto",
                    id="compare-mode",
                    allow_blank=False,
                )
                yield Static("", id="compare-progress")
        yield view.CompareMatrix(id="compare-matrix", cursor_type="row", zebra_stripes=True)
        yield Static("", id="compare-totals")
        with VerticalScroll(id="compare-turns"):
            yield Static("", id="compare-side")
            yield Static("", id="compare-failures")
        yield ErrorPanel(id="compare-error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#compare-scenarios", SelectionList).border_title = "Scenarios (space ticks)"
        self.query_one(
            "#compare-variants", SelectionList
        ).border_title = "Variants (first ticked = baseline)"
        self.query_one(DataTable).add_columns(*view.MATRIX_COLUMNS)
        self._load_flow()
        if self.load_error is not None:
            self.query_one(ErrorPanel).show_error(self.load_error)
        self._tick()
        self.query_one("#compare-scenarios", SelectionList).focus()

    def _flows(self) -> dict[str, int]:
        """Flows with prompt files and their number of variants (the chat's flow first)."""

        counts: dict[str, int] = {}
        try:
            for p in load_prompts(self.settings.prompts_dir):
                counts[p.flow] = counts.get(p.flow, 0) + 1
        except LabError as exc:  # shown once mounted; the view still opens
            self.load_error = exc
        first = (
            {self.settings.flow: counts[self.settings.flow]} if self.settings.flow in counts else {}
        )
        return first | {f: n for f, n in sorted(counts.items()) if f != self.settings.flow}

    def _load_flow(self) -> None:
        """Fill the scenario and variant lists for the chosen flow (replayable scenarios pre-ticked)."""
        mine = [s for s in self.scenarios if s.flow == self.flow]
        scenarios = self.query_one("#compare-scenarios", SelectionList)
        scenarios.clear_options()
        scenarios.add_options(
            [(f"{s.name} ({s.source})", str(s.path), self._playable(s)) for s in mine]
        )
        self.auto_ticked = {str(s.path) for s in mine if self._playable(s)}
        try:
            variants = flow_variants(self.settings.prompts_dir, self.flow)
        except LabError as exc:
            self.query_one(ErrorPanel).show_error(exc)
            variants = []
        variant_list = self.query_one("#compare-variants", SelectionList)
        variant_list.clear_options()
        variant_list.add_options(
            [(p.id, p.id, True) for p in variants if p.variant != "previous"]
            + [(p.id, p.id, False) for p in variants if p.variant == "previous"]
        )
        self._hint(mine, len(variants))
        self._title()

    def _playable(self, scenario: Any) -> bool:
        """Pre-tick what the mode can play: auto each scenario but live ones, replay those with a cassette,
        scripted those with scripted replies."""
        return playable(self.mode, scenario.source)

    def _hint(self, mine: list[Any], variants: int) -> None:
        """What to do next, shown where the replies will be."""
        if self.result is not None:
            return
        if not mine:
            text = f"No scenario of flow {self.flow} under {self.settings.scenarios_dir}: record one from the chat (F3)."
        elif variants < 2:
            text = (
                f"Flow {self.flow} has one prompt variant: add prompts/{self.flow}.<name>.md "
                "(a copy of the default with your change), or pick another flow above."
            )
        elif not self.query_one("#compare-scenarios", SelectionList).selected:
            text = (
                f"No scenario of {self.flow} can be played in {self.mode} mode as it is: F7 changes the mode "
                "(scripted plays each scenario's scripted replies), or tick scenarios with space."
            )
        else:
            text = (
                "Tick scenarios and two or more variants (space), then F5. Auto and replay play the recorded "
                "cassettes (offline, free); a variant never recorded fails with a replay miss: record it with "
                "`walab compare --llm update`, or use live mode."
            )
        skipped = skipped_note(self.mode, mine)
        self.query_one("#compare-side", Static).update(
            Text(text + (f"\n{skipped}" if skipped else ""), style="yellow")
        )

    def _title(self) -> None:
        active = active_prompt(
            getattr(self.app, "lab", None),
            replace(self.settings, flow=self.flow),
            getattr(self.app, "applied_prompts", {}).get(self.flow),
        )
        text = Text(f"Compare · flow {self.flow} · active: ", style="bold")
        text.append(active or "(none)", style="bold green")
        text.append(f" · mode {self.mode}", style="bold")
        self.query_one("#compare-title", Label).update(text)

    @property
    def mode(self) -> str:
        value = self.query_one("#compare-mode", Select).value
        return value if isinstance(value, str) else "auto"

    def request(self) -> CompareRequest:
        """What is ticked: scenario files and variants, in list order (the first variant is the baseline)."""
        scenarios = self.query_one("#compare-scenarios", SelectionList)
        variants = self.query_one("#compare-variants", SelectionList)
        chosen_s, chosen_v = set(scenarios.selected), set(variants.selected)
        return CompareRequest(
            scenarios=[Path(o.value) for o in scenarios.options if o.value in chosen_s],
            variants=[o.value for o in variants.options if o.value in chosen_v],
            mode=self.mode,
        )

    # -- events -----------------------------------------------------------------------------
    @on(Select.Changed, "#compare-flow")
    def _flow_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.flow:
            self.flow = event.value
            self._load_flow()

    @on(Select.Changed, "#compare-mode")
    def _mode_chosen(self) -> None:
        scenarios = self.query_one("#compare-scenarios", SelectionList)
        if (
            set(scenarios.selected) == self.auto_ticked
        ):  # not chosen by hand: tick what this mode can play
            scenarios.deselect_all()
            self.auto_ticked = {
                str(s.path) for s in self.scenarios if s.flow == self.flow and self._playable(s)
            }
            for path in self.auto_ticked:
                scenarios.select(path)
        self._hint(
            [s for s in self.scenarios if s.flow == self.flow],
            self.query_one("#compare-variants", SelectionList).option_count,
        )
        self._title()

    @on(DataTable.RowHighlighted, "#compare-matrix")
    def _row_highlighted(self) -> None:
        self._show_turns()

    def on_compare_screen_progressed(self, message: Progressed) -> None:
        self.show_result(message.run, running=not message.finished)
        if message.finished:
            self.running = False
            done, total = len(message.run.cells), message.run.total
            if message.run.cancelled:
                self.app.notify(
                    f"Compare cancelled: {done} of {total} cells kept.", severity="warning"
                )
            else:
                self.app.notify(f"Compare done: {done} cells.", title="Compare")

    def on_compare_screen_promoted(self, message: Promoted) -> None:
        applied = getattr(self.app, "applied_prompts", None)
        if isinstance(applied, dict):
            applied[self.flow] = message.default_id
        self.app.notify(
            f"{message.variant} is now {message.default_id} ({message.path.name}) and deployed: "
            "the next turn uses it.",
            title="Variant promoted",
        )
        self._load_flow()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            if event.worker.group == "compare":
                self.running = False
                self._tick()
            self.query_one(ErrorPanel).show_error(event.worker.error)

    # -- rendering --------------------------------------------------------------------------
    def show_result(self, run: Any, *, running: bool = False) -> None:
        """Render a (partial) run: progress, matrix, totals, the selected scenario's turns."""
        self.result = run
        self.query_one(view.CompareMatrix).show(view.matrix_rows(run, running=running))
        self.query_one("#compare-totals", Static).update(view.totals_text(run))
        self._tick(running=running)
        self._show_turns()

    def _tick(self, running: bool | None = None) -> None:
        running = self.running if running is None else running
        run = self.result
        if run is None and not running:
            self.query_one("#compare-progress", Static).update(view.KEYS_HINT)
            return
        done, total = (len(run.cells), run.total) if run is not None else (0, 0)
        seconds = (
            time.monotonic() - self.started
            if running
            else (run.seconds if run is not None else 0.0)
        )
        cost = run.cost_so_far() if run is not None else 0.0
        self.query_one("#compare-progress", Static).update(
            view.progress_text(
                done,
                total,
                seconds,
                cost,
                running=running,
                cancelled=bool(run is not None and run.cancelled),
            )
        )

    def selected_cell(self) -> Any:
        """The cell of the matrix row under the cursor (None before a run)."""
        table = self.query_one(DataTable)
        if self.result is None or not table.row_count:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value or ""
        scenario, variant, model = key.split("\x1f")
        return self.result.cell(scenario, variant, model) or (scenario, variant, model)

    def _show_turns(self) -> None:
        cell = self.selected_cell()
        if cell is None:
            return
        scenario = cell[0] if isinstance(cell, tuple) else cell.scenario
        # A finished cell of another scenario changes nothing here: skip re-rendering the turns table.
        row = cell if isinstance(cell, tuple) else (cell.scenario, cell.variant, cell.model)
        shown = (row, tuple(id(c) for c in self.result.cells if c.scenario == scenario))
        if shown == self.turns_shown:
            return
        self.turns_shown = shown
        self.query_one("#compare-side", Static).update(view.side_by_side(self.result, scenario))
        self.query_one("#compare-failures", Static).update(
            Text() if isinstance(cell, tuple) else view.failures_text(cell)
        )

    # -- actions ----------------------------------------------------------------------------
    def action_close(self) -> None:
        errors = self.query_one(ErrorPanel)
        if errors.shown:  # the panel says "Esc to dismiss": the first Esc does just that
            errors.dismiss()
            return
        self.cancel_event.set()
        self.app.pop_screen()

    def action_next_mode(self) -> None:
        select = self.query_one("#compare-mode", Select)
        select.value = MODES[(MODES.index(self.mode) + 1) % len(MODES)]

    def action_run_compare(self) -> None:
        if self.running:
            self.app.notify("A compare is running: F6 cancels it.", severity="warning")
            return
        request = self.request()
        try:
            if request.mode == "live":
                text, total = live_estimate(request, self.settings.prompts_dir)
                if total is None or total > LIVE_CONFIRM_ABOVE_USD:
                    self.app.push_screen(
                        ConfirmModal(
                            f"Run live? Estimated above ${LIVE_CONFIRM_ABOVE_USD:.2f} (or price unknown)",
                            text,
                            "Run live",
                        ),
                        lambda yes: self._start(request) if yes else None,
                    )
                    return
                self.app.notify(text, title="Live compare: estimated cost")
            # lazy: start-up, the TUI paints first and loads this when it is used
            from lab.tui.compare_run import load_cases

            load_cases(request)  # check the choice before a worker starts: a clear error, at once
        except LabError as exc:
            self.query_one(ErrorPanel).show_error(exc)
            return
        self._start(request)

    def _start(self, request: CompareRequest) -> None:
        self.query_one(ErrorPanel).dismiss()
        self.cancel_event = threading.Event()
        self.running = True
        self.started = time.monotonic()
        self.result = None
        self.turns_shown = ()
        table = self.query_one(view.CompareMatrix)
        table.reset()
        table.focus()  # the rows are what one reads (and promotes from) next
        self._tick()
        if (
            self.elapsed_timer is None
        ):  # one timer for the screen's life: it ticks only while a run is on
            self.elapsed_timer = self.set_interval(
                0.5, self._tick_while_running, name="compare-elapsed"
            )
        self.compare(request, self.cancel_event)

    def _tick_while_running(self) -> None:
        if self.running:
            self._tick()

    @work(
        thread=True,
        exclusive=True,
        group="compare",
        exit_on_error=False,
        description="running a compare",
    )
    def compare(self, request: CompareRequest, cancel: threading.Event) -> None:
        """Play the matrix off the event loop; each finished cell comes back as a message."""

        def on_cell(run: Any) -> None:
            # Called in this thread: hand the UI a copy, never the list the run keeps appending to.
            self.post_message(self.Progressed(replace(run, cells=list(run.cells))))

        run = run_compare(
            request,
            project_dir=self.settings.project_dir,
            cancel=cancel,
            on_cell=on_cell,
            player_factory=self.player_factory,
        )
        self.post_message(self.Progressed(run, finished=True))

    def action_cancel_compare(self) -> None:
        if not self.running:
            self.app.notify("No compare is running.")
            return
        self.cancel_event.set()
        self.query_one("#compare-progress", Static).update(
            Text("cancelling… finished cells are kept", style="bold red")
        )

    def action_promote(self) -> None:
        cell = self.selected_cell()
        if cell is None:
            highlighted = self.query_one("#compare-variants", SelectionList).highlighted_option
            variant = highlighted.value if highlighted is not None else None
        else:
            variant = cell[1] if isinstance(cell, tuple) else cell.variant
        if variant is None:
            self.app.notify("Run a compare (F5) and select a row first.", severity="warning")
            return
        if variant.endswith(".default"):
            self.query_one(ErrorPanel).show_error(
                LabError(
                    f"{variant} is already the flow's default prompt",
                    fix="select a row of another variant, then ctrl+o",
                )
            )
            return

        flow = variant.split(".", 1)[0]
        target = getattr(getattr(self.app, "lab", None), "describe_target", lambda: "the target")()
        body = (
            f"prompts/{flow}.default.md takes {variant}'s text, model and temperature "
            f"(its current text is kept as prompts/{flow}.previous.md), then it is deployed to {target}: "
            "the next turn of the flow uses it."
        )
        self.app.push_screen(
            ConfirmModal(f"Promote {variant}?", body, "Promote and deploy"),
            lambda yes: self.promote(variant) if yes else None,
        )

    @work(
        exclusive=True,
        group="compare-promote",
        exit_on_error=False,
        description="promoting a variant",
    )
    async def promote(self, variant: str) -> None:
        # lazy: start-up, the TUI paints first and loads this when it is used
        from lab.promptlab.promote import promote_and_deploy

        lab = getattr(self.app, "lab", None)
        if lab is None:
            raise LabError(
                "the lab session is not open yet",
                fix="wait for the header to show the target, then promote",
            )
        path = await maybe_await(promote_and_deploy(lab, variant))
        self.post_message(self.Promoted(variant, f"{variant.split('.', 1)[0]}.default", path))
