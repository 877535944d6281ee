"""The flow-run expectations of the conformance set (flows/expectations.yaml), checked against an
execution dict. Same meaning as the set's reference runner, written for this project."""

from __future__ import annotations

import re
from typing import Any


def dig(obj: Any, dotted: str) -> Any:
    for part in str(dotted).split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def substitute(value: Any, env: dict[str, Any]) -> Any:
    """Replace ${execution.id}-style placeholders."""
    if isinstance(value, str):
        for k, v in env.items():
            value = value.replace("${" + k + "}", str(v))
        return value
    if isinstance(value, dict):
        return {k: substitute(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, env) for v in value]
    return value


def value_path(ex: dict[str, Any], tr: dict[str, Any]) -> list[str]:
    """Non-null values along the parentTaskRunId chain, outermost first, the run itself included."""
    by_id = {t["id"]: t for t in ex.get("taskRunList", [])}
    chain = [tr]
    while chain[-1].get("parentTaskRunId") in by_id:
        chain.append(by_id[chain[-1]["parentTaskRunId"]])
    return [t["value"] for t in reversed(chain) if t.get("value") is not None]


def task_run_problems(tr: dict[str, Any] | None, spec: dict[str, Any], where: str) -> list[str]:
    if tr is None:
        return [f"{where}: no such task run"]
    out = []
    if "state" in spec and tr.get("state") != spec["state"]:
        out.append(f"{where}: state {tr.get('state')} != {spec['state']}")
    attempts = tr.get("attempts") or []
    if "attempts" in spec and len(attempts) != spec["attempts"]:
        out.append(f"{where}: {len(attempts)} attempts != {spec['attempts']}")
    if "first_attempt_state" in spec and (
        not attempts or attempts[0].get("state") != spec["first_attempt_state"]
    ):
        out.append(f"{where}: first attempt {attempts[:1]} != {spec['first_attempt_state']}")
    if "iteration" in spec and tr.get("iteration") != spec["iteration"]:
        out.append(f"{where}: iteration {tr.get('iteration')} != {spec['iteration']}")
    outputs = tr.get("outputs") or {}
    for k, v in (spec.get("outputs") or {}).items():
        if dig(outputs, k) != v:
            out.append(f"{where}: output {k}={dig(outputs, k)!r} != {v!r}")
    for k, v in (spec.get("outputs_contains") or {}).items():
        got = dig(outputs, k)
        if not isinstance(got, str) or v not in got:
            out.append(f"{where}: output {k}={got!r} lacks {v!r}")
    for k, v in (spec.get("outputs_regex") or {}).items():
        got = dig(outputs, k)
        if not isinstance(got, str) or not re.search(v, got):
            out.append(f"{where}: output {k}={got!r} !~ {v!r}")
    return out


def _first(ex: dict[str, Any], task_id: str) -> dict[str, Any] | None:
    return next((t for t in ex.get("taskRunList", []) if t.get("taskId") == task_id), None)


def _logs_problems(
    trs: list[dict], logs: list[dict], rule: dict[str, Any], where: str
) -> list[str]:
    selected = logs
    if "task_run_index" in rule:
        i = rule["task_run_index"]
        tr_id = trs[i].get("id") if i < len(trs) else None
        selected = [e for e in selected if e.get("taskRunId") == tr_id]
    for key, field in (("task_id", "taskId"), ("level", "level"), ("message_equals", "message")):
        if key in rule:
            selected = [e for e in selected if e.get(field) == rule[key]]
    if "message_contains" in rule:
        selected = [e for e in selected if rule["message_contains"] in (e.get("message") or "")]
    if "count" in rule:
        return (
            []
            if len(selected) == rule["count"]
            else [f"{where}: {len(selected)} logs match {rule}"]
        )
    return [] if selected else [f"{where}: no log matches {rule}"]


def problems(
    ex: dict[str, Any], expect: dict[str, Any], env: dict[str, Any], where: str = "execution"
) -> list[str]:
    """Every way the execution differs from the expectation (empty when it matches)."""
    trs = ex.get("taskRunList") or []
    spec_child = expect.get("subflow_execution")
    if spec_child:
        kids = [
            c
            for c in ex.get("childExecutions") or []
            if c.get("flowId") == spec_child.get("flow_id")
        ]
        if kids:
            env = {**env, "child.id": kids[0].get("id")}
    if "start_error_contains" in expect:
        err = ex.get("startError")
        return (
            []
            if err and expect["start_error_contains"] in err
            else [f"{where}: start error {err!r}"]
        )
    if ex.get("startError"):
        return [f"{where}: could not start: {ex['startError']}"]
    out: list[str] = []
    if "state" in expect and ex.get("state") != expect["state"]:
        out.append(f"{where}: state {ex.get('state')} != {expect['state']}")
    if "task_run_count" in expect and len(trs) != expect["task_run_count"]:
        out.append(
            f"{where}: {len(trs)} task runs != {expect['task_run_count']} ({[t['taskId'] for t in trs]})"
        )
    for tid, spec in (expect.get("task_runs") or {}).items():
        out += task_run_problems(_first(ex, tid), substitute(spec, env), f"{where}/{tid}")
    for idx, spec in (expect.get("task_run_index") or {}).items():
        i = int(idx)
        tr = trs[i] if -len(trs) <= i < len(trs) else None
        out += task_run_problems(tr, substitute(spec, env), f"{where}/#{idx}")
    for tid, specs in (expect.get("task_runs_all") or {}).items():
        found = [t for t in trs if t.get("taskId") == tid]
        if len(found) != len(specs):
            out.append(f"{where}: {len(found)} runs of {tid} != {len(specs)}")
        for i, (tr, spec) in enumerate(zip(found, specs)):
            out += task_run_problems(tr, spec, f"{where}/{tid}[{i}]")
    for spec in expect.get("task_runs_by_value") or []:
        tr = next(
            (
                t
                for t in trs
                if t.get("taskId") == spec["task_id"] and value_path(ex, t) == spec["value_path"]
            ),
            None,
        )
        out += task_run_problems(tr, spec, f"{where}/{spec['task_id']}{spec['value_path']}")
    for tid, n in (expect.get("task_run_counts") or {}).items():
        got = sum(1 for t in trs if t.get("taskId") == tid)
        if got != n:
            out.append(f"{where}: {got} runs of {tid} != {n}")
    for idx, tid in (expect.get("task_run_order") or {}).items():
        got = trs[int(idx)].get("taskId") if int(idx) < len(trs) else None
        if got != tid:
            out.append(f"{where}: task run #{idx} is {got}, expected {tid}")
    for tid in expect.get("absent_tasks") or []:
        if _first(ex, tid) is not None:
            out.append(f"{where}: {tid} should not have run")
    for rule in expect.get("starts_after_end_of") or []:
        a, b = _first(ex, rule["task"]), _first(ex, rule["after"])
        if not (
            a and b and a.get("startDate") and b.get("endDate") and a["startDate"] > b["endDate"]
        ):
            out.append(f"{where}: {rule['task']} must start after {rule['after']} ended")
    if "outputs" in expect and substitute(expect["outputs"], env) != ex.get("outputs"):
        out.append(f"{where}: outputs {ex.get('outputs')!r} != {expect['outputs']!r}")
    for k, items in (expect.get("outputs_contains_items") or {}).items():
        got = (ex.get("outputs") or {}).get(k)
        if not isinstance(got, list) or any(i not in got for i in items):
            out.append(f"{where}: outputs.{k}={got!r} lacks {items!r}")
    for k, v in (expect.get("variables") or {}).items():
        if (ex.get("variables") or {}).get(k) != v:
            out.append(f"{where}: variables.{k}={(ex.get('variables') or {}).get(k)!r} != {v!r}")
    for k, v in (expect.get("inputs") or {}).items():
        inputs = ex.get("inputs") or {}
        if k not in inputs or inputs[k] != v:
            out.append(f"{where}: inputs.{k}={inputs.get(k, '<absent>')!r} != {v!r}")
    logs = ex.get("logs") or []
    for rule in expect.get("logs") or []:
        out += _logs_problems(trs, logs, rule, where)
    for rule in expect.get("no_logs") or []:
        i = rule["task_run_index"]
        tr = trs[i] if i < len(trs) else None
        if tr and any(e.get("taskRunId") == tr.get("id") for e in logs):
            out.append(f"{where}: task run #{i} should not log")
    if "sub_executions" in expect:
        out += _sub_problems(ex, expect["sub_executions"], env, where)
    if spec_child:
        out += _child_problems(ex, spec_child, env, where)
    return out


RUN_KEYS = {
    "state",
    "task_run_count",
    "task_runs",
    "task_run_index",
    "task_runs_all",
    "task_runs_by_value",
    "task_run_counts",
    "task_run_order",
    "absent_tasks",
    "starts_after_end_of",
    "outputs",
    "outputs_contains_items",
    "variables",
    "inputs",
    "logs",
    "no_logs",
    "sub_executions",
    "subflow_execution",
    "start_error_contains",
}


def _child_problems(
    ex: dict[str, Any], spec: dict[str, Any], env: dict[str, Any], where: str
) -> list[str]:
    children = [
        c for c in ex.get("childExecutions") or [] if c.get("flowId") == spec.get("flow_id")
    ]
    if not children:
        return [f"{where}: no child execution of {spec.get('flow_id')}"]
    child = children[0]
    out = problems(
        child,
        {k: v for k, v in spec.items() if k in RUN_KEYS},
        {**env, "child.id": child.get("id")},
        where + "/child",
    )
    trigger = child.get("trigger") or {}
    want = substitute(spec.get("trigger") or {}, env)
    if want.get("type") and trigger.get("type") != want["type"]:
        out.append(f"{where}/child: trigger type {trigger.get('type')} != {want['type']}")
    for k, v in (want.get("variables") or {}).items():
        if (trigger.get("variables") or {}).get(k) != v:
            out.append(f"{where}/child: trigger.variables.{k} != {v!r}")
    labels = child.get("labels") or []
    if "labels_count" in spec and len(labels) != spec["labels_count"]:
        out.append(f"{where}/child: {len(labels)} labels != {spec['labels_count']} ({labels})")
    for label in substitute(spec.get("labels_contain") or [], env):
        if label not in labels:
            out.append(f"{where}/child: missing label {label}")
    return out


def _sub_problems(
    ex: dict[str, Any], spec: dict[str, Any], env: dict[str, Any], where: str
) -> list[str]:
    subs = ex.get("subExecutions") or []
    out = []
    if "count" in spec and len(subs) != spec["count"]:
        out.append(f"{where}: {len(subs)} sub-executions != {spec['count']}")
    for i, sub in enumerate(subs):
        loop = sub.get("loop") or {}
        senv = {**env, "loop.index": loop.get("index"), "loop.value": loop.get("value")}
        w = f"{where}/sub[{i}]"
        if "all_state" in spec and sub.get("state") != spec["all_state"]:
            out.append(f"{w}: state {sub.get('state')} != {spec['all_state']}")
        strs = sub.get("taskRunList") or []
        if "each_task_run_count" in spec and len(strs) != spec["each_task_run_count"]:
            out.append(f"{w}: {len(strs)} task runs != {spec['each_task_run_count']}")
        if "each_first_task_output" in spec:
            out += task_run_problems(
                strs[0] if strs else None,
                {"outputs": substitute(spec["each_first_task_output"], senv)},
                w + "/#0",
            )
        if "each_last_task_output" in spec:
            out += task_run_problems(
                strs[-1] if strs else None,
                {"outputs": substitute(spec["each_last_task_output"], senv)},
                w + "/#-1",
            )
    if "total_task_run_count" in spec:
        total = sum(len(s.get("taskRunList") or []) for s in subs)
        if total != spec["total_task_run_count"]:
            out.append(
                f"{where}: {total} task runs in sub-executions != {spec['total_task_run_count']}"
            )
    if "first" in spec:
        out += (
            problems(subs[0], spec["first"], env, where + "/sub[0]")
            if subs
            else [f"{where}: no sub-execution"]
        )
    for i, sspec in (spec.get("index") or {}).items():
        i = int(i)
        out += (
            problems(subs[i], sspec, env, f"{where}/sub[{i}]")
            if i < len(subs)
            else [f"{where}: no sub[{i}]"]
        )
    return out
