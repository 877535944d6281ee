"""The report of a load run: totals, latency percentiles, a timeline, and what went wrong.

`build_report` reads the turn records and what the lab saw into one JSON-able dict; `table` is
what the terminal shows; `write_report` writes `report.json`, `turns.csv`, `timeline.csv` and a
self-contained `report.html` (inline SVG charts, no scripts, nothing fetched).

A turn is *lost* when no execution of its message ended by the end of the run (the webhook was
refused, or every execution it started was still running or gone); a reply is *duplicated* when
the same text reached the same contact twice for one message; replies are *out of order* when the
answer to a user's later message arrived before the answer to the earlier one.
"""

from __future__ import annotations

import csv
import math
import os
import platform
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from lab.load.html import render_html
from lab.redaction import RedactionPolicy, Redactor

OUTCOMES = ("ok", "check_failed", "timeout", "ack_failed", "stopped", "not_started")
TIMELINE_BUCKETS = 120


def percentile(values: list[float], p: float) -> float | None:
    """The nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p * len(ordered)))
    return round(ordered[rank - 1], 1)


def summarize(values: list[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "p50": percentile(values, 0.5),
        "p95": percentile(values, 0.95),
        "p99": percentile(values, 0.99),
        "max": round(max(values), 1) if values else None,
    }


def build_report(
    records: list[dict[str, Any]], outcome: Any, run: dict[str, Any]
) -> dict[str, Any]:
    """Everything the table, the JSON, the CSVs and the HTML show."""
    lab = outcome.lab
    ended = set(lab.get("ended_ids") or ())
    turns = [r for r in records if r.get("outcome") != "not_started"]
    outcomes = Counter(r.get("outcome", "ok") for r in records)
    lost = [
        r
        for r in turns
        if r.get("outcome") != "stopped" and not ended.intersection(r.get("executions") or ())
    ]
    kestra = Counter(
        _status(r.get("ack_status")) for r in turns if r.get("outcome") == "ack_failed"
    )
    meta_seen = Counter(code for r in turns for code in r.get("meta_errors") or ())
    failures = Counter(f for r in records for f in (r.get("failures") or ())[:1])
    totals = {
        "turns": len(turns),
        "outcomes": {k: outcomes.get(k, 0) for k in OUTCOMES},
        "lost_turns": len(lost),
        "duplicated_replies": sum(r.get("duplicated", 0) for r in turns),
        "late_replies": sum(r.get("late", 0) for r in turns),
        "out_of_order_replies": sum(r.get("reordered", 0) for r in turns),
        "delivered_out_of_order": sum(bool(r.get("out_of_order")) for r in turns),
        "webhook_deliveries": sum(r.get("deliveries", 1) for r in turns),
        "executions_running_at_end": len(lab.get("executions_running") or ())
        + len(lab.get("watched_pending") or ()),
        "executions_ended": lab.get("executions_ended") or {},
        "meta_errors_seen_by_flow": {str(k): v for k, v in sorted(meta_seen.items())},
        "meta_errors_at_graph_api": lab.get("meta_errors") or {},
        "kestra_errors": dict(kestra),
        "llm_calls": outcome.llm_calls,
        "llm_cost_usd": round(outcome.llm_cost_usd, 6),
        "faults_injected": outcome.fault_counts,
        "stop_reason": lab.get("stop_reason"),
    }
    latency = {
        name: summarize([r[key] for r in turns if r.get(key) is not None])
        for name, key in (("ack", "ack_ms"), ("first_reply", "first_reply_ms"), ("turn", "turn_ms"))
    }
    # Throughput over the time turns were played (the lab's start and Locust's are not load).
    seconds = max(_span(turns), 1e-9)
    report = {
        "version": 1,
        "run": {
            **run,
            "seconds": round(outcome.seconds, 1),
            "locust_exit": outcome.locust_exit,
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "system": f"{platform.system()} {platform.machine()}",
            },
        },
        "totals": totals,
        "latency_ms": latency,
        "throughput": {
            "seconds": round(seconds, 2),
            "turns_per_s": round(len(turns) / seconds, 2),
            "users_messages_per_s": round(sum(r.get("deliveries", 1) for r in turns) / seconds, 2),
        },
        "timeline": timeline(turns),
        "failures": [{"failure": f, "count": n} for f, n in failures.most_common(10)],
        "lost": [
            {
                "user": r.get("user"),
                "step": r.get("step"),
                "scenario": r.get("scenario"),
                "executions": r.get("executions"),
                "outcome": r.get("outcome"),
            }
            for r in lost[:50]
        ],
    }
    report["verdict"] = verdict(report)
    return report


def _status(code: Any) -> str:
    """An HTTP status, or `no answer` when the connection failed (Kestra down, restarting)."""
    return str(code) if code else "no answer"


def _span(turns: list[dict[str, Any]]) -> float:
    if not turns:
        return 0.0
    return max(r["started"] + (r.get("turn_ms") or 0) / 1000 for r in turns) - min(
        r["started"] for r in turns
    )


def verdict(report: dict[str, Any]) -> str:
    t = report["totals"]
    problems = []
    if t["lost_turns"]:
        problems.append(f"{t['lost_turns']} lost turn(s)")
    if t["duplicated_replies"]:
        problems.append(f"{t['duplicated_replies']} duplicated repl(ies)")
    if t["outcomes"]["check_failed"]:
        problems.append(f"{t['outcomes']['check_failed']} turn(s) failed their checks")
    if not t["turns"]:
        problems.append("no turn was played")
    return "ok" if not problems else "; ".join(problems)


def timeline(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turns by the second they were due, in at most TIMELINE_BUCKETS buckets."""
    if not turns:
        return []
    start = min(r["started"] for r in turns)
    end = max(r["started"] + (r.get("turn_ms") or 0) / 1000 for r in turns)
    width = max(1, math.ceil((end - start + 1e-9) / TIMELINE_BUCKETS))
    buckets: dict[int, list[dict[str, Any]]] = {}
    for r in turns:
        done = r["started"] + (r.get("turn_ms") or 0) / 1000
        buckets.setdefault(int((done - start) // width), []).append(r)
    out = []
    for i in range(max(buckets) + 1):
        rs = buckets.get(i, [])
        turn = [r["turn_ms"] for r in rs if r.get("turn_ms") is not None]
        first = [r["first_reply_ms"] for r in rs if r.get("first_reply_ms") is not None]
        out.append(
            {
                "t": i * width,
                "turns": len(rs),
                "turns_per_s": round(len(rs) / width, 2),
                "turn_p50": percentile(turn, 0.5),
                "turn_p99": percentile(turn, 0.99),
                "first_reply_p50": percentile(first, 0.5),
                "failed": sum(r.get("outcome") != "ok" for r in rs),
            }
        )
    return out


def table(report: dict[str, Any]) -> str:
    """The terminal summary."""
    t, lat, run = report["totals"], report["latency_ms"], report["run"]
    o = t["outcomes"]

    def ms(v: Any) -> str:
        return "-" if v is None else f"{v:.0f}"

    lines = [
        f"walab load · {run.get('target')} · {run.get('mode')} · {run['seconds']} s · "
        f"{', '.join(run.get('scenarios') or [])}",
        f"  turns {t['turns']}  ok {o['ok']}  checks failed {o['check_failed']}  timeout {o['timeout']}  "
        f"webhook refused {o['ack_failed']}  stopped {o['stopped']}"
        + (f"  not started {o['not_started']}" if o["not_started"] else ""),
        f"  lost {t['lost_turns']}  duplicated replies {t['duplicated_replies']}  late replies "
        f"{t['late_replies']}  out-of-order replies {t['out_of_order_replies']}  executions running at end "
        f"{t['executions_running_at_end']}",
        f"  throughput {report['throughput']['turns_per_s']} turns/s",
        "  latency ms        n      p50    p95    p99    max",
    ]
    for name in ("ack", "first_reply", "turn"):
        s = lat[name]
        lines.append(
            f"    {name:<12} {s['n']:>6}  {ms(s['p50']):>6} {ms(s['p95']):>6} {ms(s['p99']):>6} "
            f"{ms(s['max']):>6}"
        )
    if t["meta_errors_at_graph_api"]:
        lines.append(
            "  Meta errors at the Graph API: "
            + ", ".join(f"{k}×{v}" for k, v in t["meta_errors_at_graph_api"].items())
        )
    if t["kestra_errors"]:
        lines.append(
            "  Kestra webhook errors: "
            + ", ".join(
                f"{'' if k == 'no answer' else 'HTTP '}{k}×{v}"
                for k, v in t["kestra_errors"].items()
            )
        )
    injected = {
        f"{where}.{k}": v
        for where, counts in t["faults_injected"].items()
        for k, v in counts.items()
    }
    if injected:
        lines.append("  faults injected: " + ", ".join(f"{k}×{v}" for k, v in injected.items()))
    if t["llm_calls"]:
        lines.append(f"  LLM calls {t['llm_calls']}  cost ${t['llm_cost_usd']:.4f}")
    if t["stop_reason"]:
        lines.append(f"  stopped early: {t['stop_reason']}")
    for f in report["failures"][:5]:
        lines.append(f"  ↳ {f['count']}× {f['failure']}")
    lines.append(f"  verdict: {report['verdict']}")
    return "\n".join(lines)


def write_report(
    report: dict[str, Any],
    records: list[dict[str, Any]],
    out: Path,
    redaction: RedactionPolicy | None = None,
) -> list[Path]:
    """report.json, turns.csv, timeline.csv and report.html in `out`, personal data redacted under
    `redaction` (the policy the scenarios were written with)."""
    out.mkdir(parents=True, exist_ok=True)
    if redaction is not None and redaction.enabled:
        redactor = Redactor(redaction)
        report, records = redactor.data(report), redactor.data(records)
    paths = [out / "report.json", out / "turns.csv", out / "timeline.csv", out / "report.html"]
    paths[0].write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    columns = [
        "user",
        "wa_id",
        "scenario",
        "step",
        "started",
        "outcome",
        "ack_status",
        "ack_ms",
        "first_reply_ms",
        "turn_ms",
        "deliveries",
        "out_of_order",
        "duplicated",
        "late",
        "reordered",
        "executions",
        "states",
        "meta_errors",
        "replies",
        "failures",
    ]
    with paths[1].open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for r in records:
            writer.writerow(
                [
                    " | ".join(map(str, v)) if isinstance(v, list) else ("" if v is None else v)
                    for v in (r.get(c) for c in columns)
                ]
            )
    with paths[2].open("w", newline="", encoding="utf-8") as f:
        fields = ["t", "turns", "turns_per_s", "turn_p50", "turn_p99", "first_reply_p50", "failed"]
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(report["timeline"])
    paths[3].write_text(render_html(report), encoding="utf-8")
    return paths
