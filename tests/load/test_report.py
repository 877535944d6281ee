"""The load report counts lost turns, duplicated and reordered replies from the records and the lab."""

from __future__ import annotations

from types import SimpleNamespace

from lab.load.html import render_html
from lab.load.report import build_report, percentile, table


def _record(step: int, started: float, execs: list[str], **kw) -> dict:
    base = {
        "user": "0/55",
        "wa_id": "55",
        "scenario": "s",
        "step": step,
        "started": started,
        "ack_ms": 5.0,
        "first_reply_ms": 50.0,
        "turn_ms": 80.0,
        "executions": execs,
        "deliveries": 1,
        "outcome": "ok",
    }
    return {**base, **kw}


def _outcome(ended: list[str], running: list[str] = ()) -> SimpleNamespace:
    lab = {
        "ended_ids": ended,
        "executions_running": list(running),
        "watched_pending": [],
        "executions_ended": {"SUCCESS": len(ended)},
        "meta_errors": {"130429": 2},
        "stop_reason": None,
    }
    return SimpleNamespace(
        lab=lab,
        seconds=4.0,
        locust_exit=0,
        llm_calls=0,
        llm_cost_usd=0.0,
        fault_counts={"graph": {"rate_limit": 2}, "model": {}},
    )


def test_lost_duplicated_and_reordered_are_counted():
    records = [
        _record(1, 100.0, ["a"], duplicated=1, replies=["Olá", "Olá"]),
        _record(
            2,
            101.0,
            ["b"],
            outcome="timeout",
            turn_ms=None,
            failures=["1 execution(s) still running"],
        ),
        _record(
            3, 101.5, [], outcome="ack_failed", ack_status=503, turn_ms=None, first_reply_ms=None
        ),
        _record(4, 102.0, ["d"], reordered=1, out_of_order=True, meta_errors=[130429]),
    ]
    report = build_report(
        records, _outcome(["a", "d"], running=["b"]), {"target": "embedded", "mode": "closed loop"}
    )
    t = report["totals"]
    assert t["turns"] == 4 and t["lost_turns"] == 2  # b never ended, c was refused
    assert (
        t["duplicated_replies"] == 1
        and t["out_of_order_replies"] == 1
        and t["delivered_out_of_order"] == 1
    )
    assert t["executions_running_at_end"] == 1 and t["kestra_errors"] == {"503": 1}
    assert t["meta_errors_seen_by_flow"] == {"130429": 1} and t["meta_errors_at_graph_api"] == {
        "130429": 2
    }
    assert report["latency_ms"]["turn"]["n"] == 2 and report["latency_ms"]["ack"]["n"] == 4
    assert report["verdict"] == "2 lost turn(s); 1 duplicated repl(ies)"
    assert {lost["step"] for lost in report["lost"]} == {2, 3}
    text = table(report)
    assert (
        "lost 2  duplicated replies 1" in text
        and "HTTP 503×1" in text
        and "graph.rate_limit×2" in text
    )
    html = render_html(report)
    assert "2 lost turn(s)" in html and html.count("<polyline") >= 2


def test_a_late_timeout_is_not_lost_and_percentiles_are_nearest_rank():
    records = [_record(1, 100.0, ["a"], outcome="timeout")]
    assert (
        build_report(records, _outcome(["a"]), {})["totals"]["lost_turns"] == 0
    )  # it ended during the grace
    assert (
        percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5) == 5
        and percentile([1.0] * 99 + [100.0], 0.99) == 1.0
    )
    assert percentile([], 0.5) is None
