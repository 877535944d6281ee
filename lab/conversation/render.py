"""How things read on a phone and in a terminal: captured sends as bubbles, turns as text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lab.conversation.model import Turn
    from lab.whatsapp.model import CapturedSend

# Sends that are not bubbles in the user's chat.
INVISIBLE_TYPES = frozenset({"read", "typing", "status"})


def is_bubble(send: "CapturedSend") -> bool:
    """True when the send shows in the user's chat (not a read mark or typing indicator)."""
    return send.type not in INVISIBLE_TYPES and send.payload.get("status") != "read"


def send_text(send: "CapturedSend") -> str:
    """The bubble's text: body, buttons in brackets, list rows, template name and parameters."""
    p: dict[str, Any] = send.payload or {}
    kind = send.type
    if send.via == "notification":
        return str(p.get("text") or p.get("textBody") or p.get("payload") or p)
    if kind == "text":
        return str((p.get("text") or {}).get("body", ""))
    if kind == "template":
        t = p.get("template") or {}
        params = [str(prm.get("text", prm.get("payload", ""))) for comp in t.get("components") or ()
                  for prm in comp.get("parameters") or () if isinstance(prm, dict)]
        return f"[template {t.get('name')}]" + (f" ({', '.join(params)})" if params else "")
    if kind == "interactive":
        i = p.get("interactive") or {}
        lines = []
        header = (i.get("header") or {}).get("text")
        if header:
            lines.append(f"*{header}*")
        lines.append(str((i.get("body") or {}).get("text", "")))
        action = i.get("action") or {}
        if i.get("type") == "button":
            titles = [(b.get("reply") or {}).get("title", "") for b in action.get("buttons") or ()]
            lines.append("  ".join(f"[{t}]" for t in titles))
        elif i.get("type") == "list":
            lines.append(f"[{action.get('button', 'menu')}]")
            for section in action.get("sections") or ():
                for row in section.get("rows") or ():
                    desc = f" — {row['description']}" if row.get("description") else ""
                    lines.append(f"  • {row.get('title', '')}{desc}")
        elif i.get("type") == "cta_url":
            lines.append(f"[{(action.get('parameters') or {}).get('display_text', 'link')}]")
        footer = (i.get("footer") or {}).get("text")
        if footer:
            lines.append(f"_{footer}_")
        return "\n".join(x for x in lines if x)
    if kind in ("image", "video", "document", "audio", "sticker"):
        media = p.get(kind) or {}
        caption = media.get("caption")
        return f"[{kind}]" + (f" {caption}" if caption else "")
    if kind == "reaction":
        return f"[reaction {(p.get('reaction') or {}).get('emoji', '')}]"
    if kind == "location":
        loc = p.get("location") or {}
        return f"[location {loc.get('name') or ''} {loc.get('latitude')},{loc.get('longitude')}]".replace("  ", " ")
    return f"[{kind}]"


def reply_titles(send: "CapturedSend") -> list[tuple[str, str, str]]:
    """(kind, id, title) of every choice the user can tap in this send: reply buttons, list rows,
    template quick replies."""
    p = send.payload or {}
    out: list[tuple[str, str, str]] = []
    if send.type == "interactive":
        i = p.get("interactive") or {}
        action = i.get("action") or {}
        for b in action.get("buttons") or ():
            reply = b.get("reply") or {}
            out.append(("button", str(reply.get("id", "")), str(reply.get("title", ""))))
        for section in action.get("sections") or ():
            for row in section.get("rows") or ():
                out.append(("list", str(row.get("id", "")), str(row.get("title", ""))))
    elif send.type == "template":
        for comp in (p.get("template") or {}).get("components") or ():
            if comp.get("type") == "button" and comp.get("sub_type") == "quick_reply":
                for prm in comp.get("parameters") or ():
                    out.append(("template", str(prm.get("payload", "")), str(prm.get("payload", ""))))
    return out


def turn_text(turn: "Turn", *, secrets: list[str] | None = None, engine_clock: str | None = None) -> str:
    """A turn as `walab send` prints it: the chat, then the executions, then tokens and cost.

    `engine_clock` names the clock the execution durations were measured on ("virtual" for the
    embedded engine, whose retry back-offs move the virtual clock, not the wall clock); the
    `timings` line is always wall-clock time.
    """
    lines = [f"> {turn.inbound.summary}"]
    bubbles = [s for s in turn.replies if is_bubble(s)]
    for send in bubbles:
        flag = "" if send.verdict.ok and send.state != "failed" else f"   ⚠ {_failure(send)}"
        body = send_text(send).replace("\n", "\n  ")
        lines.append(f"< {body}{flag}")
    if not bubbles:
        lines.append("< (no reply)")
    reads = sum(1 for s in turn.replies if not is_bubble(s))
    if reads:
        lines.append(f"  ✓✓ marked as read" + (f" ({reads})" if reads > 1 else ""))
    lines.append("")
    for ex in turn.executions:
        dur = f"{ex.duration_ms:.0f} ms" if ex.duration_ms is not None else "-"
        clock = f" ({engine_clock} clock)" if engine_clock and ex.duration_ms is not None else ""
        lines.append(f"execution {ex.flow_id} {ex.id}  {ex.state}  {dur}{clock}")
        depth: dict[str, int] = {}
        for tr in ex.task_runs:
            depth[tr.id] = depth.get(tr.parent_task_run_id or "", -1) + 1 if tr.parent_task_run_id else 0
            d = f"{tr.duration_ms:.0f} ms" if tr.duration_ms is not None else ""
            attempts = f"  attempts {tr.attempts}" if tr.attempts > 1 else ""
            name = "  " * depth[tr.id] + tr.task_id
            lines.append(f"  {name:<32} {tr.state:<8} {d:>8}{attempts}")
    failed = [c for c in turn.llm_calls if c.error]
    if turn.llm_calls and len(failed) == len(turn.llm_calls):
        # Refused, unreachable or missing from the cassette: no tokens to report, only why.
        errors = list(dict.fromkeys(f"{c.model} [{c.mode}] {c.error}" for c in failed))
        lines.append(f"LLM: {len(failed)} call(s), all failed: {errors[0]}")
        lines += [f"  {e}" for e in errors[1:]]
    elif turn.llm_calls:
        cost = turn.cost_usd
        cost_s = "price unknown" if cost is None else f"${cost:.6f}"
        lines.append(f"LLM: {len(turn.llm_calls)} call(s), {turn.input_tokens} in / {turn.output_tokens} out tokens, {cost_s}")
        errors = list(dict.fromkeys(f"{c.model} [{c.mode}] error: {c.error}" for c in turn.llm_calls if c.error))
        lines += [f"  {e}" for e in errors]
    else:
        lines.append("LLM: no calls")
    t = turn.timings
    lines.append(("timings (wall clock): " if engine_clock else "timings: ") + ", ".join(f"{k} {v:.1f} ms" for k, v in
                                         (("ack", t.webhook_ack_ms), ("first reply", t.first_reply_ms),
                                          ("terminal", t.terminal_ms)) if v is not None))
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
            errs = st.error.get("errors") if isinstance(st.error.get("errors"), list) else [st.error]
            e = errs[0] if errs else {}
            return f"{e.get('code')} {e.get('title', '')}".strip()
    return "failed"
