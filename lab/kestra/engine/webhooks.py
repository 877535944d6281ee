"""What a Webhook trigger hands the flow: the matching trigger, trigger.body / headers / parameters,
and whether the trigger's conditions (`conditions` on 1.3, `when` on 2.0) let it start an execution."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

from lab.kestra.engine import render as R
from lab.kestra.engine.conditions import compile_trigger
from lab.kestra.engine.context import nested_labels
from lab.kestra.engine.errors import WebhookBodyRefused, WebhookNotFound
from lab.kestra.engine.flow import FlowDef, TriggerDef, merge_labels


def _lists(values: Mapping[str, Any] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in (values or {}).items():
        out[str(k)] = [str(i) for i in v] if isinstance(v, (list, tuple)) else [str(v)]
    return out


MAX_BODY_DEPTH = 128
"""Nesting a webhook body may have: the execution that carries it nests it a few levels deeper, and
its JSON must still be written (orjson stops at 255); Meta's webhooks nest 8 deep."""


def trigger_variables(
    body: bytes, headers: Mapping[str, Any] | None, query: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Kestra's Webhook.Output: the body parsed when it is a JSON object or array (else the raw text,
    None when empty), headers and query parameters as lists of values.

    A JSON body the execution could not carry (nested past MAX_BODY_DEPTH, a lone UTF-16 surrogate,
    an integer past 64 bits) raises WebhookBodyRefused, before any execution starts.
    """
    text = body.decode("utf-8", "replace") if body else None
    parsed: Any = text
    if text:
        candidate: Any = None
        try:
            candidate = orjson.loads(text)
        except (
            orjson.JSONDecodeError
        ):  # what orjson refuses and Python's json reads (NaN, huge integers)
            try:
                candidate = json.loads(text)
            except (ValueError, RecursionError):
                candidate = None
            if isinstance(candidate, (dict, list)):
                _check_writable(candidate)
        if isinstance(candidate, (dict, list)):
            if (
                body.count(b"[") + body.count(b"{") > MAX_BODY_DEPTH
            ):  # else it cannot nest that deep
                _check_depth(candidate)
            parsed = candidate
    return {"body": parsed, "headers": _lists(headers), "parameters": _lists(query)}


def _check_writable(candidate: Any) -> None:
    try:
        orjson.dumps(candidate)
    except orjson.JSONEncodeError as exc:
        if "Recursion" in str(exc):
            _check_depth(candidate)
        raise WebhookBodyRefused(
            f"the webhook body cannot be carried by an execution: {exc}",
            fix="send JSON of Unicode text (no lone \\uD800-\\uDFFF escapes) and integers "
            "within 64 bits",
        ) from None


def _check_depth(value: Any) -> None:
    """Refuse a body nested deeper than MAX_BODY_DEPTH (iterative: a deep body is no recursion risk)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_BODY_DEPTH:
            raise WebhookBodyRefused(
                f"the webhook body nests deeper than {MAX_BODY_DEPTH} levels",
                fix=f"send JSON nested at most {MAX_BODY_DEPTH} levels deep",
            )
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def find_webhook(flow: FlowDef, key: str) -> TriggerDef:
    """The flow's enabled Webhook trigger whose key (rendered, trimmed) equals `key`."""
    for trigger in flow.triggers:
        if not trigger.is_webhook or trigger.disabled:
            continue
        expected = str(trigger.props.get("key", ""))
        if R.has_expression(expected):
            expected = R.render_str(
                expected,
                {"flow": {"id": flow.id, "namespace": flow.namespace, "revision": flow.revision}},
            )
        if expected.strip() == key:
            return trigger
    raise WebhookNotFound(
        "Not Found: Webhook not found",
        where=f"{flow.namespace}.{flow.id} key {key!r}",
        fix="use the `key` of one of the flow's Webhook triggers",
    )


def conditions_met(
    engine: Any, flow: FlowDef, trigger: TriggerDef, trigger_vars: dict[str, Any], eid: str
) -> bool:
    """Kestra's check before a webhook execution is created: True when the trigger has no condition
    or they hold for this request (see conditions.py). Building the test costs about a microsecond
    (its templates are compiled once, by the expression package), so it is built per request."""
    check = compile_trigger(trigger.props, engine.version)
    if check is None:
        return True
    # What Kestra's run context of the not-yet-created execution (id `eid`) holds (WebhookService.newExecution).
    labels = merge_labels(
        [("system.from", "trigger")], [("system.correlationId", eid)], flow.labels
    )
    ctx = {
        "envs": engine.envs,
        "globals": engine.globals,
        "vars": dict(flow.variables),
        "trigger": trigger_vars,
        "flow": {
            "id": flow.id,
            "namespace": flow.namespace,
            "revision": flow.revision,
            "tenantId": "main",
        },
        "execution": {"id": eid, "state": "CREATED"},
        "labels": nested_labels(labels),
        "kestra": {"environment": None, "url": engine.base_url},
    }
    try:
        return bool(check(ctx, engine._functions(flow, eid)))
    except Exception:  # noqa: BLE001 - a `when` that fails to render is "not met" (Kestra logs it)
        return False
