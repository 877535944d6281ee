"""Snapshot changes reviewed turn by turn, like `cargo insta review`, for conversations.

`collect` plays each scenario case and sets the transcript it produced beside its stored snapshot
(`__snapshots__/<file>/<case>.yaml`); every turn that differs is a `Change` of one or more kinds
(text, buttons, rows, template, state, cost, other; a turn only one side has is added or removed).
The reviewer decides each change: accept, reject or skip, one at a time or all of one kind.
`apply` writes what was accepted as `--snapshot-update` would (syrupy's semantics: the file is
replaced by the transcript's text; a case with every change accepted gets this run's text exactly,
one with some rejected gets the stored turns where they were rejected).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab import yamlio
from lab.errors import ConfigError
from lab.scenarios import emitter
from lab.scenarios.loader import expand, load_scenario
from lab.scenarios.model import ScenarioCase
from lab.scenarios.pytest_plugin import is_scenario_file
from lab.scenarios.snapshot import HEADER, render

KINDS = ("text", "buttons", "rows", "template", "state", "cost", "added", "removed", "other")
ACCEPT, REJECT, SKIP = "accept", "reject", "skip"


@dataclass(slots=True)
class Change:
    """One turn that differs between the stored snapshot and this run."""

    case: str  # the case's test name
    turn: int  # 1-based
    kinds: tuple[str, ...]
    expected: dict[str, Any] | None  # the stored turn (None: the turn is new)
    actual: dict[str, Any] | None  # this run's turn (None: the turn is gone)
    decision: str = SKIP

    def lines(self, side: str) -> list[str]:
        """The turn as readable lines: the user's message, each reply, the state, the cost."""
        turn = self.expected if side == "expected" else self.actual
        if turn is None:
            return ["(no such turn)"]
        out = [f"user: {turn.get('user')}"]
        for reply in turn.get("replies") or []:
            out.append(f"bot: {reply.get('text') or reply.get('type')}")
            if reply.get("buttons"):
                out.append(f"  buttons: {', '.join(map(str, reply['buttons']))}")
            if reply.get("rows") or reply.get("sections"):
                out.append(f"  rows: {_rows(reply)}")
            if reply.get("template"):
                out.append(f"  template: {_template(reply)}")
        out.append(f"state: {_state(turn)}")
        out.append(f"cost: {_cost(turn)}")
        return out

    def side_by_side(self, width: int = 48) -> list[str]:
        """Expected and actual lines in two columns, a line that differs marked `≠`."""
        left, right = self.lines("expected"), self.lines("actual")
        rows = [f"  {'expected (stored)':<{width}}   actual (this run)"]
        for i in range(max(len(left), len(right))):
            a = left[i] if i < len(left) else ""
            b = right[i] if i < len(right) else ""
            mark = "≠" if a != b else " "
            rows.append(f"{mark} {_clip(a, width):<{width}} │ {_clip(b, width)}")
        return rows


@dataclass(slots=True)
class Review:
    """One case: its snapshot file, the stored text (None: no snapshot yet) and this run's."""

    case: str
    path: Path
    stored: str | None
    actual: str
    changes: list[Change] = field(default_factory=list)


def snapshot_path(case: ScenarioCase) -> Path:
    """Where the pytest plugin keeps a case's snapshot (syrupy's single-file layout)."""
    path = case.scenario.path
    return path.parent / "__snapshots__" / path.stem / f"{case.test_name}.yaml"


def review_of(case: str, path: Path, stored: str | None, actual: str) -> Review:
    """The turns that differ between the stored snapshot text and this run's."""
    review = Review(case, path, stored, actual)
    if stored == actual:
        return review
    old = _turns(stored) if stored is not None else []
    new = _turns(actual)
    for i in range(max(len(old), len(new))):
        before = old[i] if i < len(old) else None
        after = new[i] if i < len(new) else None
        kinds = kinds_of(before, after)
        if kinds:
            review.changes.append(Change(case, i + 1, kinds, before, after))
    return review


def kinds_of(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[str, ...]:
    """What differs in a turn: text, buttons, rows, template, state, cost (else other)."""
    if before == after:
        return ()
    if before is None:
        return ("added",)
    if after is None:
        return ("removed",)
    found = []
    old, new = before.get("replies") or [], after.get("replies") or []
    if [r.get("text") for r in old] != [r.get("text") for r in new] or len(old) != len(new):
        found.append("text")
    if [r.get("buttons") for r in old] != [r.get("buttons") for r in new]:
        found.append("buttons")
    if [_rows(r) for r in old] != [_rows(r) for r in new]:
        found.append("rows")
    if [_template(r) for r in old] != [_template(r) for r in new]:
        found.append("template")
    if _state(before) != _state(after) or before.get("verdict") != after.get("verdict"):
        found.append("state")
    if _cost(before) != _cost(after):
        found.append("cost")
    return tuple(found) or ("other",)


def decide(changes: list[Change], decision: str, kind: str | None = None) -> int:
    """Set the decision of every undecided change (of `kind`, when given); how many were set."""
    n = 0
    for change in changes:
        if change.decision == SKIP and (kind is None or kind in change.kinds):
            change.decision = decision
            n += 1
    return n


def apply(review: Review) -> bool:
    """Write the accepted changes of one case (syrupy's update: the file replaced); True if written."""
    accepted = [c for c in review.changes if c.decision == ACCEPT]
    if not accepted:
        return False
    if all(c.decision == ACCEPT for c in review.changes) or review.stored is None:
        text = review.actual
    else:
        text = merged(review)
    yamlio.write_atomic(review.path, text)
    return True


def merged(review: Review) -> str:
    """The stored snapshot with the accepted turns taken from this run (totals recounted)."""
    doc = _document(review.stored)
    turns = list(doc.get("turns") or [])
    for change in review.changes:
        if change.decision != ACCEPT:
            continue
        i = change.turn - 1
        if change.actual is None:
            turns[i] = None
        elif i < len(turns):
            turns[i] = change.actual
        else:
            turns.append(change.actual)
    doc["turns"] = [t for t in turns if t is not None]
    doc["totals"] = _totals(doc["turns"])
    return HEADER + emitter.dumps(doc)


def collect(cases: list[ScenarioCase], play: Any) -> list[Review]:
    """Play each case (`play(case) -> Playback`) and set its transcript beside its snapshot."""
    reviews = []
    for case in cases:
        playback = play(case)
        actual = render(
            playback.transcript,
            title=case.test_name,
            secrets=playback.secrets,
            redaction=playback.redaction,
        )
        path = snapshot_path(case)
        stored = path.read_text(encoding="utf-8") if path.exists() else None
        review = review_of(case.test_name, path, stored, actual)
        if review.changes:
            reviews.append(review)
    return reviews


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def cases_under(paths: list[str] | list[Path]) -> list[ScenarioCase]:
    """Every case of the scenario files under `paths` (files or folders; default `scenarios/`)."""
    files: list[Path] = []
    for raw in paths or ["scenarios"]:
        path = Path(raw)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.y*ml") if is_scenario_file(p.resolve()))
        elif path.exists():
            files.append(path)
        else:
            raise ConfigError(f"no scenario file or folder at {raw}", fix="give a path that exists")
    return [case for f in files for case in expand(load_scenario(f))]


def _document(text: str | None) -> dict[str, Any]:
    data = yamlio.loads(text or "", source="snapshot") if text else None
    return data if isinstance(data, dict) else {}


def _turns(text: str | None) -> list[dict[str, Any]]:
    return [t for t in _document(text).get("turns") or [] if isinstance(t, dict)]


def _rows(reply: dict[str, Any]) -> list[str]:
    rows = reply.get("rows")
    if rows is not None:
        return [str(r) for r in rows]
    return [
        str(row.get("title") if isinstance(row, dict) else row)
        for section in reply.get("sections") or []
        for row in (section.get("rows") if isinstance(section, dict) else None) or []
    ]


def _template(reply: dict[str, Any]) -> str | None:
    template = reply.get("template")
    if not template:
        return None
    if isinstance(template, dict):
        return f"{template.get('name')} {template.get('params') or ''}".strip()
    return str(template)


def _state(turn: dict[str, Any]) -> str:
    states = [str(e.get("state")) for e in turn.get("executions") or []]
    return ", ".join(states) or str(turn.get("verdict") or "no execution")


def _cost(turn: dict[str, Any]) -> str:
    calls = turn.get("llm") or []
    if not calls:
        return "no model call"
    tokens = sum(int(c.get("tokens_in") or 0) + int(c.get("tokens_out") or 0) for c in calls)
    costs = [c.get("cost_usd") for c in calls]
    money = "price unknown" if any(c is None for c in costs) else f"${sum(costs):.6f}"
    return f"{tokens} tokens, {money}"


def _totals(turns: list[dict[str, Any]]) -> dict[str, Any]:
    calls = [c for t in turns for c in t.get("llm") or []]
    costs = [c.get("cost_usd") for c in calls]
    return {
        "turns": len(turns),
        "tokens_in": sum(int(c.get("tokens_in") or 0) for c in calls),
        "tokens_out": sum(int(c.get("tokens_out") or 0) for c in calls),
        "cost_usd": None if any(c is None for c in costs) else round(sum(costs), 8),
    }
