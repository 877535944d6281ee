"""Transcripts as readable, diff-friendly snapshot files, and the syrupy extension that keeps them.

The text is YAML: per turn what the user sent, each reply as WhatsApp shows it, the tasks that
ran with their states, tokens and cost. Volatile values (wamids, execution ids, task run ids,
timestamps, durations) are replaced by stable placeholders; secrets by `***`. Tokens and cost
compare within the tolerances the scenario sets.
"""

from __future__ import annotations

import re
from typing import Any

from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from lab import yamlio
from lab.conversation.model import Transcript, Turn
from lab.redaction import RedactionPolicy, Redactor
from lab.scenarios import emitter
from lab.scenarios import replies as rp
from lab.whatsapp.reply import visible

HEADER = "# walab transcript (snapshot): edit the scenario, not this file; update with --snapshot-update\n"
# Keys whose numbers may differ within the scenario's tolerance.
_TOKEN_KEYS = {"tokens_in", "tokens_out"}
_COST_KEYS = {"cost_usd"}


class _Ids:
    """Stable placeholders for volatile ids, numbered by first appearance."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __call__(self, kind: str, value: str | None) -> str | None:
        if not value:
            return value
        if value not in self._seen:
            n = sum(1 for v in self._seen.values() if v.startswith(kind + "#")) + 1
            self._seen[value] = f"{kind}#{n}"
        return self._seen[value]


def render(
    transcript: Transcript,
    *,
    title: str = "",
    secrets: list[str] | None = None,
    redaction: RedactionPolicy | None = None,
) -> str:
    """The transcript as snapshot text; personal data redacted under `redaction` (the policy every
    writer applies: the same value, the same pseudonym as in the scenario's own files)."""
    ids = _Ids()
    doc: dict[str, Any] = {
        "scenario": title or None,
        "flow": transcript.flow,
        "llm": transcript.llm_mode,
    }
    turns = []
    for turn in transcript.turns:
        turns.append(_turn(turn, ids))
    doc["turns"] = turns
    doc["totals"] = _totals(transcript.turns)
    text = HEADER + _normalise_text(emitter.dumps({k: v for k, v in doc.items() if v is not None}))
    for secret in secrets or []:
        if secret:
            text = text.replace(secret, "***")
    # A wamid or execution id quoted inside free text (an LLM echoing it) is volatile too.
    for raw, placeholder in ids._seen.items():
        text = text.replace(raw, placeholder)
    if redaction is not None and redaction.enabled:
        text = Redactor(redaction).text(text)
    return text


def _turn(turn: Turn, ids: _Ids) -> dict[str, Any]:
    d: dict[str, Any] = {"turn": turn.index, "from": turn.contact, "user": _inbound(turn)}
    bubbles = []
    for send in turn.replies:
        if not visible(send):
            continue
        view = rp.show(send)
        if send.wamid:
            ids("wamid", send.wamid)
        view["delivery"] = send.state
        bubbles.append(view)
    d["replies"] = bubbles
    receipts = [
        ("read" if (s.payload or {}).get("status") == "read" else s.type)
        + ("" if s.verdict.ok else f" (rejected: {s.verdict.label()})")
        for s in turn.replies
        if not visible(s)
    ]
    if receipts:
        d["receipts"] = receipts
    d["executions"] = [
        {
            "id": ids("execution", ex.id),
            "flow": f"{ex.namespace}/{ex.flow_id}",
            "state": ex.state,
            "tasks": [
                {
                    f"{tr.task_id}{'[' + tr.value + ']' if tr.value else ''}": tr.state
                    if tr.attempts <= 1
                    else f"{tr.state} ({tr.attempts} attempts)"
                }
                for tr in ex.task_runs
            ],
        }
        for ex in turn.executions
    ]
    if turn.llm_calls:
        d["llm"] = [
            {
                "model": c.model,
                "tokens_in": c.input_tokens,
                "tokens_out": c.output_tokens,
                "cost_usd": None if c.cost_usd is None else round(c.cost_usd, 8),
                **({"error": c.error} if c.error else {}),
            }
            for c in turn.llm_calls
        ]
    if turn.verdict != "ok":
        d["verdict"] = f"{turn.verdict}: {turn.error}" if turn.error else turn.verdict
    return d


def _inbound(turn: Turn) -> str:
    ev = turn.inbound
    return ev.summary if ev.kind == "text" else f"({ev.kind}) {ev.summary}"


def _totals(turns: list[Turn]) -> dict[str, Any]:
    costs = [t.cost_usd for t in turns]
    return {
        "turns": len(turns),
        "tokens_in": sum(t.input_tokens for t in turns),
        "tokens_out": sum(t.output_tokens for t in turns),
        "cost_usd": None if any(c is None for c in costs) else round(sum(costs), 8),  # type: ignore[arg-type]
    }


def _normalise_text(text: str) -> str:
    """Drop the ISO timestamps and durations a target may leak into free text."""
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?", "<time>", text)
    return text


# -- tolerant comparison ---------------------------------------------------------------------------


def within_tolerance(expected: str, actual: str, *, tokens: float, cost: float) -> bool:
    """Equal texts, or YAML documents equal except tokens/cost within relative tolerances."""
    if expected == actual:
        return True
    if tokens <= 0 and cost <= 0:
        return False
    try:
        a, b = yamlio.loads(expected), yamlio.loads(actual)
    except Exception:  # a hand-mangled snapshot is simply different
        return False
    return _close(a, b, None, tokens, cost)


def _close(a: Any, b: Any, key: str | None, tokens: float, cost: float) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], k, tokens, cost) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, key, tokens, cost) for x, y in zip(a, b))
    if (
        key in _TOKEN_KEYS | _COST_KEYS
        and isinstance(a, (int, float))
        and isinstance(b, (int, float))
    ):
        tol = tokens if key in _TOKEN_KEYS else cost
        return abs(a - b) <= tol * max(abs(a), abs(b), 1e-12)
    return a == b


class TranscriptSnapshotExtension(SingleFileSnapshotExtension):
    """One `.yaml` transcript per scenario case, compared with the scenario's tolerances."""

    _write_mode = WriteMode.TEXT
    file_extension = "yaml"
    tolerance_tokens = 0.0
    tolerance_cost = 0.0

    def matches(self, *, serialized_data: Any, snapshot_data: Any) -> bool:
        return within_tolerance(
            str(snapshot_data),
            str(serialized_data),
            tokens=self.tolerance_tokens,
            cost=self.tolerance_cost,
        )


_tolerant_classes: dict[tuple[float, float], type[TranscriptSnapshotExtension]] = {}


def extension_for(tokens: float, cost: float) -> type[TranscriptSnapshotExtension]:
    """The extension class for a scenario's tolerances (one class per distinct pair, reused)."""
    if tokens <= 0 and cost <= 0:
        return TranscriptSnapshotExtension
    key = (tokens, cost)
    if key not in _tolerant_classes:
        _tolerant_classes[key] = type(
            "TolerantTranscriptSnapshot",
            (TranscriptSnapshotExtension,),
            {"tolerance_tokens": tokens, "tolerance_cost": cost, "__module__": __name__},
        )
    return _tolerant_classes[key]
