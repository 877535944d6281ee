"""How things read on a phone and in a terminal: captured sends as bubbles, turns as text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lab.whatsapp.reply import Reply, visible

if TYPE_CHECKING:
    from lab.conversation.model import Turn
    from lab.whatsapp.model import CapturedSend


def send_text(send: "CapturedSend") -> str:
    """The bubble's text: body, buttons in brackets, list rows, template name and parameters."""
    reply = Reply.of(send)
    kind = reply.type
    if reply.kind == "notification":
        return reply.body
    if kind == "text":
        return reply.body
    if reply.template is not None:
        params = reply.template.params
        return f"[template {reply.template.name}]" + (f" ({', '.join(params)})" if params else "")
    if kind == "interactive":
        lines = [f"*{reply.header}*" if reply.header else "", reply.body]
        if reply.buttons:
            lines.append("  ".join(f"[{t}]" for t in reply.buttons))
        if reply.list_button:
            lines.append(f"[{reply.list_button}]")
            for choice in reply.choices:
                desc = f" — {choice.description}" if choice.description else ""
                lines.append(f"  • {choice.title}{desc}")
        if reply.link is not None:
            lines.append(f"[{reply.link[0] or 'link'}]")
        if reply.footer:
            lines.append(f"_{reply.footer}_")
        return "\n".join(x for x in lines if x)
    if reply.media is not None:
        return f"[{kind}]" + (f" {reply.media.caption}" if reply.media.caption else "")
    if kind == "reaction":
        return f"[reaction {reply.emoji or ''}]"
    if reply.location is not None:
        loc = reply.location
        return f"[location {loc.get('name') or ''} {loc.get('latitude')},{loc.get('longitude')}]".replace(
            "  ", " "
        )
    return f"[{kind}]"


def turn_text(
    turn: "Turn",
    *,
    secrets: list[str] | None = None,
    engine_clock: str | None = None,
    compact: bool = False,
) -> str:
    """A turn as `walab send` prints it: the chat, then the executions, then tokens and cost.

    `compact` (`walab replay`'s default) gives each execution one line (state, task count,
    duration) instead of its task tree, and leaves the timings out.

    `engine_clock` names the clock the execution durations were measured on ("virtual" for the
    embedded engine, whose retry back-offs move the virtual clock, not the wall clock); the
    `timings` line is always wall-clock time.
    """
    lines = [f"> {turn.inbound.summary}"]
    bubbles = [s for s in turn.replies if visible(s)]
    for send in bubbles:
        flag = "" if send.verdict.ok and send.state != "failed" else f"   ⚠ {_failure(send)}"
        body = send_text(send).replace("\n", "\n  ")
        lines.append(f"< {body}{flag}")
    if not bubbles:
        lines.append("< (no reply)")
    reads = sum(1 for s in turn.replies if not visible(s))
    if reads:
        lines.append("  ✓✓ marked as read" + (f" ({reads})" if reads > 1 else ""))
    lines.append("")
    for ex in turn.executions:
        dur = f"{ex.duration_ms:.0f} ms" if ex.duration_ms is not None else "-"
        clock = f" ({engine_clock} clock)" if engine_clock and ex.duration_ms is not None else ""
        if compact:
            n = len(ex.task_runs)
            lines.append(
                f"execution {ex.flow_id}  {ex.state}  {n} task run{'s' * (n != 1)}  {dur}{clock}"
            )
            continue
        lines.append(f"execution {ex.flow_id} {ex.id}  {ex.state}  {dur}{clock}")
        depth: dict[str, int] = {}
        for tr in ex.task_runs:
            depth[tr.id] = (
                depth.get(tr.parent_task_run_id or "", -1) + 1 if tr.parent_task_run_id else 0
            )
            d = f"{tr.duration_ms:.0f} ms" if tr.duration_ms is not None else ""
            attempts = f"  attempts {tr.attempts}" if tr.attempts > 1 else ""
            name = "  " * depth[tr.id] + tr.task_id
            fixture = "  (stood in by a fixture)" if tr.stood_in else ""
            lines.append(f"  {name:<32} {tr.state:<8} {d:>8}{attempts}{fixture}")
    failed = [c for c in turn.llm_calls if c.error]
    if turn.llm_calls and len(failed) == len(turn.llm_calls):
        # Refused, unreachable or missing from the cassette: no tokens to report, only why.
        errors = list(dict.fromkeys(f"{c.model} [{c.mode}] {c.error}" for c in failed))
        lines.append(f"LLM: {len(failed)} call(s), all failed: {errors[0]}")
        lines += [f"  {e}" for e in errors[1:]]
    elif turn.llm_calls:
        cost = turn.cost_usd
        cost_s = "price unknown" if cost is None else f"${cost:.6f}"
        lines.append(
            f"LLM: {len(turn.llm_calls)} call(s), {turn.input_tokens} in / {turn.output_tokens} out tokens, {cost_s}"
        )
        errors = list(
            dict.fromkeys(
                f"{c.model} [{c.mode}] error: {c.error}" for c in turn.llm_calls if c.error
            )
        )
        lines += [f"  {e}" for e in errors]
    else:
        lines.append("LLM: no calls")
    t = turn.timings
    if not compact:
        lines.append(
            ("timings (wall clock): " if engine_clock else "timings: ")
            + ", ".join(
                f"{k} {v:.1f} ms"
                for k, v in (
                    ("ack", t.webhook_ack_ms),
                    ("first reply", t.first_reply_ms),
                    ("terminal", t.terminal_ms),
                )
                if v is not None
            )
        )
    if turn.verdict != "ok" or turn.error:
        lines.append(f"verdict: {turn.verdict}" + (f" — {turn.error}" if turn.error else ""))
    text = "\n".join(lines)
    for s in secrets or ():
        text = text.replace(s, "***")
    return text


def _failure(send: "CapturedSend") -> str:
    if not send.verdict.ok:
        return send.verdict.label()
    for st in reversed(send.statuses):
        if st.status == "failed" and st.error:
            errs = (
                st.error.get("errors") if isinstance(st.error.get("errors"), list) else [st.error]
            )
            e = errs[0] if errs else {}
            return f"{e.get('code')} {e.get('title', '')}".strip()
    return "failed"
