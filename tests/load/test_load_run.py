"""Short `walab load` runs end to end: the lab server on loopback, Locust in its own process, real HTTP.

A few users for a few seconds on the embedded engine; the run must lose and duplicate nothing and
write the report in its documented shape. The second run plays the bundled agent flow under a
fault plan (Meta redeliveries and reordering, Graph API rate limits and 5xx, model errors, open
loop): the flow must dedupe, retry, send its fallback, never reply twice and lose no inbound.
"""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pytest

from lab.cli import main

PROJECT = Path(__file__).resolve().parents[2]
# Not importorskip: importing locust here would monkey-patch this test process with gevent.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("locust") is None,
        reason="walab load needs the load extra (./walab test installs it)",
    ),
]


def _load(tmp_path: Path, port: int, *args: str) -> tuple[int, dict]:
    out = tmp_path / "report"
    code = main(
        ["load", "--port", str(port), "--out", str(out), "--progress", "0", "--grace", "5s", *args]
    )
    return code, json.loads((out / "report.json").read_text(encoding="utf-8"))


def test_a_short_closed_loop_run_loses_and_duplicates_nothing(
    tmp_path, free_port, monkeypatch, capsys
):
    monkeypatch.chdir(PROJECT)
    code, report = _load(
        tmp_path,
        free_port,
        "--users",
        "3",
        "--spawn-rate",
        "3",
        "--duration",
        "3s",
        "--scenario",
        "scenarios/lead_qualification/qualify.yaml",
    )
    t = report["totals"]
    assert code == 0, capsys.readouterr().out
    assert report["verdict"] == "ok"
    assert t["turns"] >= 3 and t["outcomes"]["ok"] == t["turns"]
    assert (
        t["lost_turns"] == 0
        and t["duplicated_replies"] == 0
        and t["executions_running_at_end"] == 0
    )
    assert set(report) == {
        "version",
        "run",
        "totals",
        "latency_ms",
        "throughput",
        "timeline",
        "failures",
        "lost",
        "verdict",
    }
    for name in ("ack", "first_reply", "turn"):
        assert report["latency_ms"][name]["n"] == t["turns"]
        assert 0 < report["latency_ms"][name]["p50"] <= report["latency_ms"][name]["p99"]
    assert report["run"]["mode"] == "closed loop" and report["run"]["target"] == "embedded"
    assert sum(b["turns"] for b in report["timeline"]) == t["turns"]
    out = tmp_path / "report"
    rows = list(csv.DictReader((out / "turns.csv").open(encoding="utf-8")))
    assert len(rows) == t["turns"] and {r["outcome"] for r in rows} == {"ok"}
    assert all(r["wa_id"].startswith("55") and len(r["wa_id"]) == 13 for r in rows)
    assert len({r["wa_id"] for r in rows if r["step"] == "1"}) == sum(
        r["step"] == "1" for r in rows
    )
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 2 and "<script" not in html and "http://" not in html
    printed = capsys.readouterr().out
    assert "lost 0  duplicated replies 0" in printed and "verdict: ok" in printed


def test_fault_plan_on_the_agent_flow_open_loop(tmp_path, free_port, monkeypatch, capsys):
    monkeypatch.chdir(PROJECT)
    plan = tmp_path / "faults.yaml"
    plan.write_text(
        "version: 1\nseed: 5\n"
        "meta: {duplicate: 0.5, out_of_order: 0.3, status_delay: 0.2}\n"
        "graph: {rate_limit: 0.2, server_error: 0.1}\n"
        "model: {rate_limit: 0.1, slow: {share: 0.2, seconds: 0.1}}\n",
        encoding="utf-8",
    )
    code, report = _load(
        tmp_path,
        free_port,
        "--arrival-rate",
        "4",
        "--duration",
        "3s",
        "--faults",
        str(plan),
        "--scenario",
        "scenarios/whatsapp_agent/llm_error.yaml",
        "scenarios/whatsapp_agent/duplicate_delivery.yaml",
    )
    t = report["totals"]
    assert report["run"]["mode"] == "open loop"
    assert t["turns"] >= 6, t  # 4 conversations a second for 3 s, one or two turns each
    assert t["lost_turns"] == 0, (report["lost"], report["failures"])
    # Redelivered webhooks are claimed once (flows/claim_message.yml), even while the first runs.
    assert t["duplicated_replies"] == 0
    assert t["webhook_deliveries"] > t["turns"]
    assert t["faults_injected"]["graph"].get("rate_limit", 0) > 0
    assert t["meta_errors_at_graph_api"].get("130429", 0) > 0  # refused sends, retried by the flow
    assert (
        t["executions_ended"].get("FAILED", 0) > 0
    )  # llm_error's second turn ends FAILED after its fallback
    rows = list(csv.DictReader((tmp_path / "report" / "turns.csv").open(encoding="utf-8")))
    fallbacks = [
        r
        for r in rows
        if r["scenario"] == "llm_error"
        and r["step"] == "2"
        and "tive um problema para responder" in r["replies"]
    ]
    assert fallbacks  # the model failed on every attempt: the user got the flow's fallback
    # A send the Graph API refuses on every retry never reaches the user: such a turn fails its check,
    # and says so; most turns get their replies.
    assert t["outcomes"]["ok"] >= 0.7 * t["turns"], report["failures"]
    assert code == (0 if t["outcomes"]["check_failed"] == 0 else 1)
