"""A compare run as a terminal table and as one self-contained HTML file (no scripts, no links out)."""

from __future__ import annotations

from html import escape
from typing import Any

from lab.promptlab.cells import Cell
from lab.promptlab.compare import CompareRun, totals, word_diff


def _money(v: float | None) -> str:
    return "price unknown" if v is None else f"${v:.6f}"


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f}"


def _col(variant: str, model: str, run: CompareRun) -> str:
    return variant if len(run.models) == 1 else f"{variant} @ {model or 'default'}"


def lines_of(row: list[str], widths: list[int]) -> str:
    return "  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip()


def _short(text: str, limit: int = 220) -> str:
    """One line, cut at `limit` characters (the JSON and HTML reports keep the whole text)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _pass_text(c: Cell) -> str:
    """`yes`, `NO 1/3` for repeats, `yes 3/3 pass^k 1.00` for a persona's runs."""
    text = ("yes" if c.passed else "NO") + (f" {c.passed_runs}/{c.runs}" if c.runs > 1 else "")
    if c.kind == "persona" and c.pass_hat_k is not None:
        text += f" pass^k {c.pass_hat_k:.2f}"
    return text + (" (re-recorded)" if c.recorded else "")


def _checks_text(c: Cell) -> str:
    """Checks passed of all, or a persona's rubric score against its threshold."""
    if c.kind == "persona":
        score = c.rubric_score
        threshold = c.rubrics[0]["threshold"] if c.rubrics else None
        return "-" if score is None else f"rubric {score:.2f} (>= {threshold:g})"
    return f"{c.checks_passed}/{c.checks_passed + c.checks_failed}"


def _matrix_summary(c: Cell) -> str:
    """What follows pass/FAIL in a matrix cell: checks, or a persona's runs, pass^k and rubric."""
    if c.kind != "persona":
        return f"{c.checks_passed}/{c.checks_passed + c.checks_failed}"
    pass_k = f" · pass^k {c.pass_hat_k:.2f}" if c.pass_hat_k is not None else ""
    return f"{c.passed_runs}/{c.runs} runs{pass_k} · {_checks_text(c)}"


def table(run: CompareRun) -> str:
    """The matrix and the totals as plain text columns."""
    head = ["row", "variant", "pass", "checks", "tokens in/out", "cost", "p50 ms", "p95 ms"]
    rows = [head]
    for c in run.cells:
        rows.append(
            [
                c.scenario,
                _col(c.variant, c.model, run),
                _pass_text(c),
                _checks_text(c),
                f"{c.tokens_in}/{c.tokens_out}",
                _money(c.cost_usd),
                _ms(c.latency_p50_ms),
                _ms(c.latency_p95_ms),
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [lines_of(rows[0], widths)]
    lines.append("  ".join("-" * w for w in widths))
    for c, r in zip(run.cells, rows[1:]):
        lines.append(lines_of(r, widths))
        if not c.passed and c.reason:
            lines.append("  ↳ " + _short(c.reason))
    hints = list(dict.fromkeys(c.hint for c in run.cells if c.hint and not c.passed))
    if hints:
        lines += ["", "hints"] + [f"  {h}" for h in hints]

    lines += ["", "totals"]
    for name, t in totals(run).items():
        lines.append(
            f"  {name}: {t['passed']}/{t['cells']} scenarios passed, checks {t['checks_passed']}/"
            f"{t['checks_passed'] + t['checks_failed']}, tokens {t['tokens_in']}/{t['tokens_out']}, "
            f"{_money(t['cost_usd'])}, p50 {_ms(t['latency_p50_ms'])} ms, p95 {_ms(t['latency_p95_ms'])} ms"
        )
    if run.cancelled:
        lines.append(f"cancelled: {len(run.cells)} of {run.total} cells finished (kept)")
    return "\n".join(lines)


CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#111b21;background:#fff}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #d1d7db;padding:4px 8px;vertical-align:top;text-align:left}
th{background:#f0f2f5}.pass{background:#c8f7c5}.fail{background:#ffc9c9}
.bubble{background:#f0f2f5;border-radius:8px;padding:4px 8px;margin:2px 0;white-space:pre-wrap}
.bubble.failed{background:#ffe3e3;border-left:4px solid #d93025}.failed-note{color:#d93025;font-weight:bold}
.user{background:#d9fdd3;border-radius:8px;padding:4px 8px;white-space:pre-wrap}
del{background:#ffd6d6;text-decoration:line-through}ins{background:#b7f0ad;text-decoration:none}
pre{background:#f7f7f7;padding:8px;overflow:auto}.muted{color:#667781}
"""


def html(run: CompareRun, *, title: str = "walab compare") -> str:
    """The whole report as one HTML document (inline CSS, no scripts, no external resources)."""

    out = [
        f"<!doctype html><html lang='pt-BR'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1><p class='muted'>mode {escape(run.mode)} · baseline {escape(run.baseline)} · "
        f"{len(run.cells)}/{run.total} cells · {run.seconds:.1f} s"
        + (" · <b>cancelled</b>" if run.cancelled else "")
        + "</p>",
    ]
    cols = [(v, m) for v in run.variants for m in run.models]
    out.append(
        "<h2>Matrix</h2><table id='matrix'><tr><th>scenario</th>"
        + "".join(f"<th>{escape(_col(v, m, run))}</th>" for v, m in cols)
        + "</tr>"
    )
    for scenario in run.rows:
        out.append(f"<tr><th>{escape(scenario)}</th>")
        for v, m in cols:
            c = run.cell(scenario, v, m)
            if c is None:
                out.append("<td class='muted'>not run</td>")
                continue
            out.append(
                f"<td class='{'pass' if c.passed else 'fail'}'>{'pass' if c.passed else 'FAIL'} "
                f"{escape(_matrix_summary(c))}<br>{c.tokens_in}/{c.tokens_out} tok · "
                f"{escape(_money(c.cost_usd))}<br>p50 {_ms(c.latency_p50_ms)} · p95 {_ms(c.latency_p95_ms)} ms</td>"
            )
        out.append("</tr>")
    out.append("</table>")
    out.append(
        "<h2>Totals</h2><table id='totals'><tr><th>variant</th><th>passed</th><th>checks</th><th>tokens in/out</th>"
        "<th>cost</th><th>p50 ms</th><th>p95 ms</th></tr>"
    )
    for name, t in totals(run).items():
        out.append(
            f"<tr><td>{escape(name)}</td><td>{t['passed']}/{t['cells']}</td><td>{t['checks_passed']}/"
            f"{t['checks_passed'] + t['checks_failed']}</td><td>{t['tokens_in']}/{t['tokens_out']}</td>"
            f"<td>{escape(_money(t['cost_usd']))}</td><td>{_ms(t['latency_p50_ms'])}</td>"
            f"<td>{_ms(t['latency_p95_ms'])}</td></tr>"
        )
    out.append("</table>")
    for scenario in run.rows:
        out.append(_side_by_side(run, scenario, cols))
    for persona in run.personas:
        out.append(_rubric_view(run, persona, cols))
    if run.prompt_diffs:
        out.append("<h2>Prompt changes against the baseline</h2>")
        for variant, diff in run.prompt_diffs.items():
            out.append(
                f"<h3>{escape(variant)} <span class='muted'>{escape(run.prompt_hashes.get(variant, ''))}</span>"
                f"</h3><pre>{escape(diff) or '(same text)'}</pre>"
            )
    if run.coverage:
        out.append(_coverage_html(run.coverage))
    failures = [c for c in run.cells if c.failures]
    if failures:
        out.append("<h2>Failures</h2>")
        for c in failures:
            out.append(
                f"<h3>{escape(c.scenario)} · {escape(_col(c.variant, c.model, run))}</h3><pre>"
                + escape("\n".join(c.failures))
                + "</pre>"
                + (f"<p class='muted'>{escape(c.hint)}</p>" if c.hint else "")
            )
    out.append("</body></html>")
    return "\n".join(out)


def _coverage_html(flows: list[dict[str, Any]]) -> str:
    """Which tasks and branches of each flow the run's executions reached (embedded engine)."""
    rows = [
        "<h2>Flow coverage</h2><table id='coverage'><tr><th>flow</th><th>tasks</th>"
        "<th>branches</th><th>cover</th><th>missed tasks</th><th>missed branches</th></tr>"
    ]
    for flow in flows:
        tasks, branches = flow["tasks"], flow["branches"]
        rows.append(
            f"<tr><td>{escape(flow['flow'])}</td><td>{len(tasks['ran'])}/{tasks['total']}</td>"
            f"<td>{len(branches['ran'])}/{branches['total']}</td><td>{flow['percent']:.1f}%</td>"
            f"<td>{escape(', '.join(tasks['missed']))}</td>"
            f"<td>{escape(', '.join(branches['missed']))}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _rubric_view(run: CompareRun, persona: str, cols: list[tuple[str, str]]) -> str:
    """Per column, the persona's rubric: each criterion's weight, and per run its score and the
    judge's reason, with the weighted total against the threshold."""
    out = [f"<h2 id='rubric-{escape(persona.split()[-1])}'>{escape(persona)}: rubric</h2>"]
    for v, m in cols:
        c = run.cell(persona, v, m)
        if c is None or not c.rubrics:
            continue
        outcomes = ", ".join(f"run {i + 1}: {o}" for i, o in enumerate(c.outcomes))
        pass_k = (
            f" · pass^k {c.pass_hat_k:.2f} · pass@k {c.pass_at_k:.2f}"
            if c.pass_hat_k is not None and c.pass_at_k is not None
            else ""
        )
        out.append(
            f"<h3>{escape(_col(v, m, run))} <span class='muted'>judge {escape(c.rubrics[0]['judge'])}"
            f"{pass_k} · {escape(outcomes)}</span></h3><table class='rubric'><tr><th>criterion</th>"
            "<th>weight</th>"
            + "".join(f"<th>run {i + 1}</th><th>reason</th>" for i in range(len(c.rubrics)))
            + "</tr>"
        )
        for j, score in enumerate(c.rubrics[0]["scores"]):
            out.append(
                f"<tr><td>{escape(score['criterion'])}</td><td>{score['weight']:g}</td>"
                + "".join(
                    f"<td>{r['scores'][j]['score']:.2f}</td><td>{escape(r['scores'][j]['reason'])}</td>"
                    for r in c.rubrics
                )
                + "</tr>"
            )
        out.append(
            "<tr><th>total</th><th></th>"
            + "".join(
                f"<th class='{'pass' if r['passed'] else 'fail'}'>{r['total']:.2f}</th>"
                f"<th>{'pass' if r['passed'] else 'FAIL'} (threshold {r['threshold']:g})</th>"
                for r in c.rubrics
            )
            + "</tr></table>"
        )
    return "\n".join(out)


def _side_by_side(run: CompareRun, scenario: str, cols: list[tuple[str, str]]) -> str:
    cells = [run.cell(scenario, v, m) for v, m in cols]
    base = cells[0]
    n = max((len(c.turns) for c in cells if c), default=0)
    out = [
        f"<h2>{escape(scenario)}: turn by turn</h2><table class='turns'><tr><th>#</th><th>user</th>"
        + "".join(f"<th>{escape(_col(v, m, run))}</th>" for v, m in cols)
        + "</tr>"
    ]
    for i in range(n):
        user = next((c.turns[i].user for c in cells if c and i < len(c.turns)), "")
        out.append(f"<tr><td>{i + 1}</td><td><div class='user'>{escape(user)}</div></td>")
        base_text = "\n".join(base.turns[i].replies) if base and i < len(base.turns) else ""
        for j, c in enumerate(cells):
            if c is None or i >= len(c.turns):
                out.append("<td class='muted'>-</td>")
                continue
            text = "\n".join(c.turns[i].replies) or "(no reply)"
            body = escape(text) if j == 0 else _diff_html(base_text, text)
            t = c.turns[i]
            failed = (
                f"<div class='failed-note'>execution {escape(t.state)}: a fallback reply</div>"
                if t.failed
                else ""
            )
            out.append(
                f"<td>{failed}<div class='bubble{' failed' if t.failed else ''}'>{body}</div>"
                f"<span class='muted'>{t.tokens_in}/{t.tokens_out} tok · "
                f"{escape(_money(t.cost_usd))} · {_ms(t.latency_ms)} ms</span></td>"
            )
        out.append("</tr>")
    out.append("</table>")
    return "\n".join(out)


def _diff_html(base: str, other: str) -> str:
    parts: list[str] = []
    for op, text in word_diff(base, other):
        if op == "=":
            parts.append(escape(text))
        elif op == "-":
            parts.append(f"<del>{escape(text)}</del>")
        else:
            parts.append(f"<ins>{escape(text)}</ins>")
    return "".join(parts)


def side_by_side_text(run: CompareRun, scenario: str) -> str:
    """Turn-by-turn replies of every column, with `[-removed-]{+added+}` against the baseline."""
    cols = [(v, m) for v in run.variants for m in run.models]
    cells = [run.cell(scenario, v, m) for v, m in cols]
    base = cells[0]
    lines = [f"== {scenario}"]
    n = max((len(c.turns) for c in cells if c), default=0)
    for i in range(n):
        user = next((c.turns[i].user for c in cells if c and i < len(c.turns)), "")
        lines.append(f"-- turn {i + 1}: > {user}")
        base_text = "\n".join(base.turns[i].replies) if base and i < len(base.turns) else ""
        for j, ((v, m), c) in enumerate(zip(cols, cells)):
            if c is None or i >= len(c.turns):
                continue
            text = "\n".join(c.turns[i].replies) or "(no reply)"
            if j:
                text = "".join(
                    t if op == "=" else f"[-{t}-]" if op == "-" else f"{{+{t}+}}"
                    for op, t in word_diff(base_text, text)
                )
            failed = f" (execution {c.turns[i].state})" if c.turns[i].failed else ""
            lines.append(f"   {_col(v, m, run)}{failed}: {text}")
    return "\n".join(lines)


def report_data(run: CompareRun) -> dict[str, Any]:
    return run.to_dict()
