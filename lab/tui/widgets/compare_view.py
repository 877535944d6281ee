"""How a compare run reads on screen: the matrix rows, the progress line and the replies side by side."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.widgets import DataTable


def money(v: float | None) -> str:
    return "price unknown" if v is None else f"${v:.6f}"


def ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f}"


def column_name(run: Any, variant: str, model: str) -> str:
    return variant if len(run.models) == 1 else f"{variant} @ {model or 'default'}"


KEYS_HINT = Text("F5 runs · F7 mode · ctrl+o promotes · Esc back", style="dim")
MATRIX_COLUMNS = (
    "scenario",
    "variant",
    "result",
    "checks",
    "tokens in/out",
    "cost",
    "p50 ms",
    "p95 ms",
)


def matrix_rows(run: Any, *, running: bool = False) -> list[tuple[str, list[Text | str]]]:
    """(row key, cells) for every cell of the matrix: its figures, `waiting` while a run is on,
    `not run` for a cell a cancel left out."""
    rows: list[tuple[str, list[Text | str]]] = []
    done = {
        (c.scenario, c.variant, c.model): c for c in run.cells
    }  # run.cell() scans: n² on a long run
    for scenario in run.rows:
        for variant in run.variants:
            for model in run.models:
                key = f"{scenario}\x1f{variant}\x1f{model}"
                c = done.get((scenario, variant, model))
                name = column_name(run, variant, model)
                if c is None:
                    rows.append(
                        (
                            key,
                            [
                                scenario,
                                name,
                                Text("waiting" if running else "not run", style="dim"),
                                "",
                                "",
                                "",
                                "",
                                "",
                            ],
                        )
                    )
                    continue
                verdict = Text(
                    "✔ pass" if c.passed else "✖ FAIL",
                    style="bold green" if c.passed else "bold red",
                )
                if c.runs > 1:
                    verdict.append(f" {c.passed_runs}/{c.runs}")
                if c.recorded:
                    verdict.append(" re-rec", style="yellow")
                rows.append(
                    (
                        key,
                        [
                            scenario,
                            name,
                            verdict,
                            f"{c.checks_passed}/{c.checks_passed + c.checks_failed}",
                            f"{c.tokens_in}/{c.tokens_out}",
                            money(c.cost_usd),
                            ms(c.latency_p50_ms),
                            ms(c.latency_p95_ms),
                        ],
                    )
                )
    return rows


def progress_text(
    done: int, total: int, seconds: float, cost: float, *, running: bool, cancelled: bool
) -> Text:
    """`running 3/8 · 2.1 s · $0.000517 so far` (or how the run ended)."""
    state = "running" if running else "cancelled, finished cells kept:" if cancelled else "done"
    text = Text(
        f"{state} {done}/{total} cells\n{seconds:.1f} s · {money(cost)} so far",
        style="bold yellow" if running else "bold red" if cancelled else "bold green",
    )
    if running:
        text.append(" · F6 cancels", style="dim")
    return text


def totals_text(run: Any) -> Text:
    """One line per variant: scenarios passed, tokens, cost, latency."""
    # lazy: start-up, the TUI paints first and loads this when it is used
    from lab.promptlab.compare import totals

    out = Text()
    for name, t in totals(run).items():
        ok = t["passed"] == t["cells"] and t["cells"] > 0
        out.append(f"{name}: ", style="bold")
        out.append(f"{t['passed']}/{t['cells']} passed", style="green" if ok else "red")
        out.append(
            f" · tokens {t['tokens_in']}/{t['tokens_out']} · {money(t['cost_usd'])}"
            f" · p50 {ms(t['latency_p50_ms'])} ms · p95 {ms(t['latency_p95_ms'])} ms\n"
        )
    out.rstrip()
    return out


def diff_text(baseline: str, other: str) -> Text:
    """`other` with the words it changed against `baseline`: removed struck red, added green."""
    # lazy: start-up, the TUI paints first and loads this when it is used
    from lab.promptlab.compare import word_diff

    out = Text()
    for op, chunk in word_diff(baseline, other):
        if op == "=":
            out.append(chunk)
        elif op == "-":
            out.append(chunk, style="strike red")
        else:
            out.append(chunk, style="bold black on green")
    return out


def side_by_side(run: Any, scenario: str) -> Table | Text:
    """Per turn, the user's message and each variant's replies in columns, diffed against the baseline."""
    cols = [(v, m) for v in run.variants for m in run.models]
    cells = [run.cell(scenario, v, m) for v, m in cols]
    if all(c is None for c in cells):
        return Text(f"{scenario}: no finished cell yet.", style="dim")
    table = Table(
        expand=True,
        show_lines=True,
        title=f"{scenario}: turn by turn "
        "(words changed against the baseline: removed struck, added highlighted)",
        title_style="bold",
    )
    table.add_column("#", width=2, no_wrap=True)
    table.add_column("user", ratio=1)
    for v, m in cols:
        table.add_column(
            column_name(run, v, m) + (" (baseline)" if (v, m) == cols[0] else ""), ratio=2
        )
    base = cells[0]
    for i in range(max((len(c.turns) for c in cells if c), default=0)):
        user = next((c.turns[i].user for c in cells if c and i < len(c.turns)), "")
        base_text = "\n".join(base.turns[i].replies) if base and i < len(base.turns) else ""
        row: list[Text | str] = [str(i + 1), Text(user, style="italic")]
        for j, c in enumerate(cells):
            if c is None or i >= len(c.turns):
                row.append(Text("-", style="dim"))
                continue
            t = c.turns[i]
            text = "\n".join(t.replies) or "(no reply)"
            body = Text(text) if j == 0 or base is None else diff_text(base_text, text)
            if t.failed:
                body = Text.assemble((f"execution {t.state}: a fallback reply\n", "bold red"), body)
            body.append(
                f"\n{t.tokens_in}/{t.tokens_out} tok · {money(t.cost_usd)} · {ms(t.latency_ms)} ms",
                style="dim",
            )
            row.append(body)
        table.add_row(*row)
    return table


def failures_text(cell: Any) -> Text:
    """Why a cell failed (first lines), or nothing for a passing cell."""
    if cell is None or not cell.failures:
        return Text()
    out = Text(f"{cell.scenario} · {cell.variant} failed:\n", style="bold red")
    for line in cell.failures[:4]:
        out.append(f"  {line}\n")
    if len(cell.failures) > 4:
        out.append(f"  … {len(cell.failures) - 4} more\n", style="dim")
    out.rstrip()
    return out


class CompareMatrix(DataTable):
    """The matrix, one row per cell; a finished cell repaints its own row, not the whole table."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.keys: list[str] = []
        self.shown: dict[str, list[Any]] = {}

    def on_idle(self) -> None:
        # DataTable measures changed cells when idle (after this handler), and its header may
        # already be cached at the old widths: drawn narrower than the rows under load. Redraw
        # from scratch once the new widths are in.
        if self._updated_cells:
            self.call_after_refresh(self._redraw)

    def _redraw(self) -> None:
        self._clear_caches()
        self.refresh()

    def reset(self) -> None:
        self.clear()
        self.keys, self.shown = [], {}

    def show(self, rows: list[tuple[str, list[Any]]]) -> None:
        """Show `matrix_rows`: rebuilt when the rows differ, else only the changed rows updated."""
        if [k for k, _ in rows] != self.keys:
            keep = self.cursor_row
            self.clear()
            for key, cells in rows:
                self.add_row(*cells, key=key)
            self.keys, self.shown = [k for k, _ in rows], dict(rows)
            if self.row_count:
                self.move_cursor(row=min(keep, self.row_count - 1))
            return
        for key, cells in rows:
            if self.shown.get(key) != cells:
                for column, value in zip(self.ordered_columns, cells):
                    self.update_cell(key, column.key, value, update_width=True)
                self.shown[key] = cells
