"""Check what must hold after a step against the turn it caused.

Each check yields a `Check` naming the step, the turn, what was expected and what was seen, so a
failure reads as a sentence a person can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lab.conversation.model import Turn
from lab.scenarios import replies as rp
from lab.scenarios.model import Budget, Expect, OutputExpect, ReplyExpect
from lab.whatsapp.reply import visible


@dataclass(slots=True)
class Check:
    """The outcome of one expectation."""

    step: int  # 1-based step of the scenario (0 = the whole scenario)
    turn: int | None  # 1-based turn of the transcript
    what: str  # "reply text", "buttons", "budget: tokens", ...
    ok: bool
    expected: Any = None
    actual: Any = None
    line: int | None = None  # line of the step in the scenario file

    def describe(self) -> str:
        where = f"step {self.step}" if self.step else "scenario"
        if self.turn:
            where += f", turn {self.turn}"
        if self.line:
            where += f" (line {self.line})"
        head = f"{where}: {self.what}"
        if self.ok:
            return f"{head}: ok"
        # An error message (a turn that did not finish) carries its fix: never cut it.
        actual = _short(self.actual, whole=self.what in WHOLE)
        return f"{head}\n    expected: {_short(self.expected)}\n    actual:   {actual}"


# Checks whose `actual` is an error message with its fix, shown whole however long.
WHOLE = {"turn finished"}


def _short(value: Any, whole: bool = False) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if whole or len(text) <= 800 else text[:800] + "…"


def llm_cause(turn: Turn) -> str | None:
    """Why a turn's model calls failed, in the calls' own words (a replay miss names the request
    and how to record it); None when every call was answered."""
    failed = [c for c in turn.llm_calls if c.status >= 400]
    if not failed:
        return None
    reasons = list(dict.fromkeys(c.error or f"HTTP {c.status}" for c in failed))
    misses = sum(1 for c in failed if c.mode == "replay" and c.status == 404)
    n = len(turn.llm_calls)
    if misses == len(failed):
        head = f"{misses} of this turn's {n} model call(s) missed the cassette"
    elif all(c.mode == "scripted" and c.status == 404 for c in failed):
        head = f"{len(failed)} of this turn's {n} model call(s) found no scripted reply"
    else:
        head = f"{len(failed)} of this turn's {n} model call(s) failed"
    more = f" (and {len(reasons) - 2} other errors)" if len(reasons) > 2 else ""
    return f"{head}: " + "\n      ".join(reasons[:2]) + more


def describe_failures(failed: list[Check], turns: list[Turn]) -> list[str]:
    """Each failed check as text; the first failure of a turn whose model calls failed also says
    why, with the calls' errors whole (once per turn, unless the check's own text already quotes
    them: a turn's `error` is a one-line summary that may cut them short)."""
    by_index = {t.index: t for t in turns}
    explained: set[int] = set()
    out = []
    for check in failed:
        text = check.describe()
        turn = by_index.get(check.turn) if check.turn else None
        if turn is not None and turn.index not in explained:
            explained.add(turn.index)
            cause = llm_cause(turn)
            first = next((c.error for c in turn.llm_calls if c.status >= 400 and c.error), None)
            if cause and not (first and first in text):
                text += f"\n    because:  {cause}"
        out.append(text)
    return out


def views(turn: Turn) -> list[dict[str, Any]]:
    """The turn's replies (bubbles only, no receipts) as WhatsApp shows them."""
    return [rp.show(s) for s in turn.replies if visible(s)]


def check_expect(expect: Expect, turn: Turn, step: int, line: int | None = None) -> list[Check]:
    """Every expectation of a step, checked against its turn."""
    out: list[Check] = []
    shown = views(turn)
    text = "\n".join(rp.reply_text(v) for v in shown)

    def add(what: str, ok: bool, expected: Any, actual: Any) -> None:
        out.append(Check(step, turn.index, what, ok, expected, actual, line))

    if expect.text is not None:
        add("reply text equals", text.strip() == expect.text.strip(), expect.text, text)
    for fragment in expect.contains:
        add("reply text contains", fragment.casefold() in text.casefold(), fragment, text)
    if expect.matches is not None:
        add(
            "reply text matches",
            re.search(expect.matches, text, re.S) is not None,
            f"/{expect.matches}/",
            text,
        )
    if expect.no_reply:
        add("no reply", not shown, [], [rp.reply_text(v) for v in shown])
    if expect.buttons is not None:
        seen = next((v["buttons"] for v in reversed(shown) if "buttons" in v), None)
        add("buttons", seen == list(expect.buttons), list(expect.buttons), seen)
    if expect.rows is not None:
        seen = next((rp.row_titles(v) for v in reversed(shown) if "sections" in v), None)
        add("list rows", seen == list(expect.rows), list(expect.rows), seen)
    if expect.template is not None:
        seen = next((v["template"] for v in reversed(shown) if "template" in v), None)
        add("template", _template_ok(expect.template, seen), expect.template, seen)
    if expect.replies is not None:
        out += _check_replies(expect.replies, shown, turn, step, line)
    if expect.state is not None:
        add("execution state", turn.state == expect.state, expect.state, turn.state)
    for o in expect.outputs:
        out.append(check_output(o, turn, step, line))
    if expect.violation is not None:
        codes = [s.verdict.code for s in turn.replies if not s.verdict.ok]
        add(
            "WhatsApp rejects a send",
            expect.violation in codes,
            expect.violation,
            codes or "no rejected send",
        )
    out += check_budget(expect.budget, [turn], step, "turn budget", line)
    return out


def _template_ok(expected: dict[str, Any], seen: dict[str, Any] | None) -> bool:
    if seen is None:
        return False
    if "name" in expected and expected["name"] != seen["name"]:
        return False
    if "language" in expected and expected["language"] != seen["language"]:
        return False
    return "params" not in expected or [str(p) for p in expected["params"]] == seen["params"]


def _check_replies(
    expected: list[ReplyExpect],
    shown: list[dict[str, Any]],
    turn: Turn,
    step: int,
    line: int | None,
) -> list[Check]:
    out = []
    if len(expected) != len(shown):
        out.append(
            Check(
                step,
                turn.index,
                "number of replies",
                False,
                len(expected),
                f"{len(shown)}: {[rp.reply_text(v) for v in shown]}",
                line,
            )
        )
    for i, (want, view) in enumerate(zip(expected, shown), start=1):
        text = rp.reply_text(view)
        problems = []
        if want.type is not None and not view["type"].startswith(want.type):
            problems.append(("type", want.type, view["type"]))
        if want.text is not None and text.strip() != want.text.strip():
            problems.append(("text", want.text, text))
        if want.contains is not None and want.contains.casefold() not in text.casefold():
            problems.append(("text contains", want.contains, text))
        if want.matches is not None and not re.search(want.matches, text, re.S):
            problems.append(("text matches", f"/{want.matches}/", text))
        if want.buttons is not None and view.get("buttons") != list(want.buttons):
            problems.append(("buttons", list(want.buttons), view.get("buttons")))
        if want.rows is not None and rp.row_titles(view) != list(want.rows):
            problems.append(("list rows", list(want.rows), rp.row_titles(view)))
        if want.template is not None and not _template_ok(want.template, view.get("template")):
            problems.append(("template", want.template, view.get("template")))
        if want.media is not None and view["type"] != want.media:
            problems.append(("media", want.media, view["type"]))
        for what, exp, act in problems:
            out.append(Check(step, turn.index, f"reply {i} {what}", False, exp, act, line))
        if not problems:
            out.append(Check(step, turn.index, f"reply {i}", True, None, None, line))
    return out


def check_output(o: OutputExpect, turn: Turn, step: int, line: int | None = None) -> Check:
    """A task's (or the execution's) output, reached by JSONPath."""
    # lazy: start-up, jsonpath-ng (with ply) is needed only by JSONPath steps
    from jsonpath_ng.ext import parse as jsonpath

    what = f"output {o.task + ' ' if o.task else ''}{o.path}"
    doc = _outputs_of(turn, o.task)
    if doc is None:
        return Check(
            step,
            turn.index,
            what,
            False,
            f"task {o.task!r} ran",
            "it did not run (or has no outputs)",
            line,
        )
    found = [m.value for m in jsonpath(o.path).find(doc)]
    if not found:
        return Check(
            step, turn.index, what, False, "a value", f"nothing at {o.path} in {doc!r}", line
        )
    value = found[0]
    if o.has_equals:
        return Check(step, turn.index, what, value == o.equals, o.equals, value, line)
    if o.contains is not None:
        return Check(step, turn.index, what, o.contains in str(value), o.contains, value, line)
    if o.matches is not None:
        return Check(
            step,
            turn.index,
            what,
            re.search(o.matches, str(value)) is not None,
            f"/{o.matches}/",
            value,
            line,
        )
    return Check(step, turn.index, what, True, None, value, line)


def _outputs_of(turn: Turn, task: str | None) -> Any:
    for ex in turn.executions:
        if task is None:
            if ex.outputs is not None:
                return ex.outputs
            continue
        for run in reversed(ex.task_runs):
            if run.task_id == task:
                return run.outputs or {}
    return None


def check_budget(
    budget: Budget, turns: list[Turn], step: int, label: str, line: int | None = None
) -> list[Check]:
    """Tokens, cost and latency of some turns against a budget."""
    if budget.is_empty():
        return []
    out = []
    turn_no = turns[0].index if len(turns) == 1 else None
    if budget.tokens is not None:
        used = sum(t.input_tokens + t.output_tokens for t in turns)
        out.append(
            Check(
                step,
                turn_no,
                f"{label}: tokens",
                used <= budget.tokens,
                f"<= {budget.tokens}",
                used,
                line,
            )
        )
    if budget.cost_usd is not None:
        costs = [t.cost_usd for t in turns]
        if any(c is None for c in costs):
            out.append(
                Check(
                    step,
                    turn_no,
                    f"{label}: cost",
                    False,
                    f"<= ${budget.cost_usd}",
                    "price unknown",
                    line,
                )
            )
        else:
            used_c = sum(costs)  # type: ignore[arg-type]
            out.append(
                Check(
                    step,
                    turn_no,
                    f"{label}: cost",
                    used_c <= budget.cost_usd,
                    f"<= ${budget.cost_usd}",
                    f"${used_c:.6f}",
                    line,
                )
            )
    if budget.latency_ms is not None:
        worst = max((t.timings.terminal_ms or 0.0) for t in turns)
        out.append(
            Check(
                step,
                turn_no,
                f"{label}: latency",
                worst <= budget.latency_ms,
                f"<= {budget.latency_ms:.0f} ms",
                f"{worst:.0f} ms",
                line,
            )
        )
    return out


def check_policy(
    turn: Turn, step: int, allowed: int | None, line: int | None = None
) -> list[Check]:
    """No reply of the turn broke WhatsApp's rules (except the code the step expects)."""
    bad = [s for s in turn.replies if not s.verdict.ok and s.verdict.code != allowed]
    if not bad:
        return []
    return [
        Check(
            step,
            turn.index,
            "no WhatsApp policy violation",
            False,
            "every send accepted by Meta",
            "; ".join(f"{s.type} rejected: {s.verdict.label()}" for s in bad),
            line,
        )
    ]
