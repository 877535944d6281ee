"""Expectations against hand-built turns: replies as WhatsApp shows them, outputs, budgets, policy, judge answers."""

from __future__ import annotations

from lab.conversation.model import ExecutionView, InboundEvent, TaskRunView, Turn
from lab.llm.model import LLMCall
from lab.scenarios.assertions import check_budget, check_expect, check_policy
from lab.scenarios.judge import verdict_of
from lab.scenarios.model import Budget, Expect, OutputExpect, ReplyExpect
from lab.whatsapp.model import CapturedSend, Verdict

LIST = {
    "type": "interactive",
    "interactive": {
        "type": "list",
        "body": {"text": "Escolha um plano"},
        "action": {
            "button": "Ver planos",
            "sections": [
                {
                    "title": "Planos",
                    "rows": [{"id": "b", "title": "Básico"}, {"id": "p", "title": "Premium"}],
                }
            ],
        },
    },
}
TEMPLATE = {
    "type": "template",
    "template": {
        "name": "prosseguir_com_solicitacao",
        "language": {"code": "pt_BR"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Carlos"}]}],
    },
}


def _send(
    seq: int, kind: str, payload: dict, ok: bool = True, code: int | None = None
) -> CapturedSend:
    return CapturedSend(
        seq,
        f"wamid.{seq}",
        "5511",
        "1",
        kind,
        payload,
        Verdict(ok=ok, code=code, title="Rate limit hit" if code else None),
        {},
        0.0,
    )


def _turn() -> Turn:
    inbound = InboundEvent("5511", "text", "Oi", {}, b"{}", "wamid.in", 0.0)
    ex = ExecutionView(
        "e1",
        "ns",
        "f",
        "SUCCESS",
        task_runs=[
            TaskRunView("t1", "score", None, "SUCCESS", 0, 1, outputs={"value": {"score": 80}})
        ],
    )
    turn = Turn(
        1,
        "5511",
        inbound,
        executions=[ex],
        replies=[
            _send(1, "read", {"status": "read"}),
            _send(2, "interactive", LIST),
            _send(3, "template", TEMPLATE),
        ],
        llm_calls=[LLMCall("e1", "gpt-4o-mini", "replay", 300, 40, cost_usd=0.0002)],
    )
    turn.timings.terminal_ms = 120.0
    return turn


def test_rows_template_and_replies() -> None:
    checks = check_expect(
        Expect(
            rows=["Básico", "Premium"],
            template={"name": "prosseguir_com_solicitacao", "params": ["Carlos"]},
            replies=[ReplyExpect(rows=["Básico", "Premium"]), ReplyExpect(type="template")],
        ),
        _turn(),
        step=1,
    )
    assert all(c.ok for c in checks), [c.describe() for c in checks]
    wrong = check_expect(Expect(replies=[ReplyExpect(text="Escolha um plano")]), _turn(), step=1)
    assert [c.what for c in wrong if not c.ok] == [
        "number of replies"
    ]  # the read receipt is not a reply


def test_outputs_by_jsonpath() -> None:
    ok = check_expect(
        Expect(
            outputs=[OutputExpect(task="score", path="$.value.score", equals=80, has_equals=True)]
        ),
        _turn(),
        step=2,
    )
    assert ok[0].ok
    missing = check_expect(Expect(outputs=[OutputExpect(task="nope", path="$.x")]), _turn(), step=2)
    assert not missing[0].ok and "did not run" in missing[0].describe()


def test_budgets_and_policy() -> None:
    turn = _turn()
    assert all(
        c.ok
        for c in check_budget(Budget(tokens=400, cost_usd=0.001, latency_ms=200), [turn], 1, "turn")
    )
    over = check_budget(Budget(tokens=300), [turn], 1, "turn")
    assert not over[0].ok and over[0].actual == 340
    turn.replies.append(_send(4, "text", {"text": {"body": "x"}}, ok=False, code=130429))
    assert check_policy(turn, 1, allowed=None)[0].what == "no WhatsApp policy violation"
    assert check_policy(turn, 1, allowed=130429) == []


def test_judge_answers() -> None:
    assert verdict_of('{"pass": true, "reason": "ok"}') == (True, "ok")
    assert verdict_of('Sure! {"pass": false, "reason": "English"}') == (False, "English")
    assert verdict_of("yes")[0] is None
