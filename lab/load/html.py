"""The load report as one self-contained HTML page: inline SVG charts, no scripts, nothing fetched."""

from __future__ import annotations

from html import escape
from typing import Any

WIDTH, HEIGHT, PAD = 720, 220, 44
COLORS = {
    "turn p50": "#2b6cb0",
    "turn p99": "#c53030",
    "first reply p50": "#2f855a",
    "turns/s": "#6b46c1",
    "not ok": "#c05621",
}

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:780px;color:#1a202c}
h1{font-size:1.3rem}h2{font-size:1.05rem;margin-top:1.8rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.2rem .7rem;border-bottom:1px solid #e2e8f0;text-align:right}
th:first-child,td:first-child{text-align:left}.bad{color:#c53030;font-weight:600}.ok{color:#2f855a;font-weight:600}
svg text{font:11px system-ui,sans-serif;fill:#4a5568}.legend span{margin-right:1rem}
"""


def render_html(report: dict[str, Any]) -> str:
    t, run, lat = report["totals"], report["run"], report["latency_ms"]
    verdict_class = "ok" if report["verdict"] == "ok" else "bad"
    rows = [
        ("turns", t["turns"]),
        ("lost turns", t["lost_turns"]),
        ("duplicated replies", t["duplicated_replies"]),
        ("out-of-order replies", t["out_of_order_replies"]),
        ("late replies", t["late_replies"]),
        ("executions running at end", t["executions_running_at_end"]),
        ("webhook deliveries", t["webhook_deliveries"]),
        ("throughput (turns/s)", report["throughput"]["turns_per_s"]),
    ]
    rows += [(f"outcome: {k}", v) for k, v in t["outcomes"].items() if v]
    rows += [
        (f"Meta error {k} at the Graph API", v) for k, v in t["meta_errors_at_graph_api"].items()
    ]
    rows += [(f"Kestra webhook HTTP {k}", v) for k, v in t["kestra_errors"].items()]
    rows += [
        (f"fault injected: {where}.{k}", v)
        for where, c in t["faults_injected"].items()
        for k, v in c.items()
    ]
    if t["llm_calls"]:
        rows += [("LLM calls", t["llm_calls"]), ("LLM cost (USD)", f"{t['llm_cost_usd']:.4f}")]
    timeline = report["timeline"]
    latency_chart = chart(
        timeline,
        ["turn p50", "turn p99", "first reply p50"],
        {"turn p50": "turn_p50", "turn p99": "turn_p99", "first reply p50": "first_reply_p50"},
        "ms",
    )
    throughput_chart = chart(
        timeline, ["turns/s", "not ok"], {"turns/s": "turns_per_s", "not ok": "failed"}, ""
    )
    lat_rows = "".join(
        f"<tr><td>{escape(name.replace('_', ' '))}</td><td>{s['n']}</td>{_ms(s['p50'])}"
        f"{_ms(s['p95'])}{_ms(s['p99'])}{_ms(s['max'])}</tr>"
        for name, s in lat.items()
    )
    failures = "".join(
        f"<tr><td>{escape(f['failure'])}</td><td>{f['count']}</td></tr>" for f in report["failures"]
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>walab load report</title><style>{CSS}</style></head>
<body>
<h1>walab load · {escape(str(run.get('target')))} · {escape(str(run.get('mode')))}</h1>
<p>{escape(', '.join(run.get('scenarios') or []))} · {run['seconds']} s · {escape(_users(run))} ·
machine: {run['machine']['cpus']} CPUs, Python {escape(run['machine']['python'])}</p>
<p>verdict: <span class="{verdict_class}">{escape(report['verdict'])}</span></p>
<h2>Latency over time</h2>{latency_chart}
<h2>Throughput over time</h2>{throughput_chart}
<h2>Latency (ms)</h2>
<table><tr><th></th><th>n</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr>{lat_rows}</table>
<h2>Totals</h2>
<table>{''.join(f'<tr><td>{escape(str(k))}</td><td>{escape(str(v))}</td></tr>' for k, v in rows)}</table>
{'<h2>Failures</h2><table>' + failures + '</table>' if failures else ''}
</body></html>
"""


def _users(run: dict[str, Any]) -> str:
    if run.get("arrival_rate"):
        return f"open loop, {run['arrival_rate']} conversations/s"
    return f"{run.get('users')} users, spawn rate {run.get('spawn_rate')}/s"


def _ms(value: Any) -> str:
    return f"<td>{'-' if value is None else f'{value:.0f}'}</td>"


def chart(points: list[dict[str, Any]], series: list[str], keys: dict[str, str], unit: str) -> str:
    """A line chart of series over the timeline's seconds, as inline SVG."""
    if not points:
        return "<p>no turns</p>"
    xs = [p["t"] for p in points]
    values = [p[keys[s]] for p in points for s in series if p.get(keys[s]) is not None]
    top = _nice(max(values) if values else 1.0)
    x_max = max(xs[-1], 1)
    plot_w, plot_h = WIDTH - PAD - 12, HEIGHT - 2 * 24

    def x(v: float) -> float:
        return PAD + v / x_max * plot_w

    def y(v: float) -> float:
        return 24 + plot_h - v / top * plot_h

    parts = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img">']
    for i in range(5):
        v = top * i / 4
        parts.append(
            f'<line x1="{PAD}" x2="{WIDTH - 12}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e2e8f0"/>'
            f'<text x="{PAD - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{_fmt(v)}{unit}</text>'
        )
    for i in range(6):
        v = x_max * i / 5
        parts.append(f'<text x="{x(v):.1f}" y="{HEIGHT - 6}" text-anchor="middle">{v:.0f}s</text>')
    for s in series:
        pts = [(x(p["t"]), y(p[keys[s]])) for p in points if p.get(keys[s]) is not None]
        if pts:
            path = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
            parts.append(
                f'<polyline fill="none" stroke="{COLORS[s]}" stroke-width="2" points="{path}"/>'
            )
    parts.append("</svg>")
    legend = "".join(f'<span style="color:{COLORS[s]}">━ {escape(s)}</span>' for s in series)
    return "".join(parts) + f'<div class="legend">{legend}</div>'


def _nice(v: float) -> float:
    """A round axis top at or above v."""
    if v <= 0:
        return 1.0
    magnitude = 10 ** len(str(int(v))) / 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= v:
            return step * magnitude
    return 10 * magnitude


def _fmt(v: float) -> str:
    return f"{v:.0f}" if v >= 10 or v == int(v) else f"{v:.1f}"
