"""What a Webhook trigger hands the flow: the matching trigger and trigger.body / headers / parameters."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

from lab.kestra.engine import render as R
from lab.kestra.engine.errors import WebhookNotFound
from lab.kestra.engine.flow import FlowDef, TriggerDef


def _lists(values: Mapping[str, Any] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in (values or {}).items():
        out[str(k)] = [str(i) for i in v] if isinstance(v, (list, tuple)) else [str(v)]
    return out


def trigger_variables(body: bytes, headers: Mapping[str, Any] | None,
                      query: Mapping[str, Any] | None) -> dict[str, Any]:
    """Kestra's Webhook.Output: the body parsed when it is a JSON object or array (else the raw text,
    None when empty), headers and query parameters as lists of values."""
    text = body.decode("utf-8", "replace") if body else None
    parsed: Any = text
    if text:
        try:
            try:
                candidate = orjson.loads(text)
            except orjson.JSONDecodeError:  # what orjson refuses and Python's json reads (NaN, huge integers)
                candidate = json.loads(text)
            if isinstance(candidate, (dict, list)):
                parsed = candidate
        except ValueError:
            pass
    return {"body": parsed, "headers": _lists(headers), "parameters": _lists(query)}


def find_webhook(flow: FlowDef, key: str) -> TriggerDef:
    """The flow's enabled Webhook trigger whose key (rendered, trimmed) equals `key`."""
    for trigger in flow.triggers:
        if not trigger.is_webhook or trigger.disabled:
            continue
        expected = str(trigger.props.get("key", ""))
        if R.has_expression(expected):
            expected = R.render_str(expected, {"flow": {"id": flow.id, "namespace": flow.namespace,
                                                        "revision": flow.revision}})
        if expected.strip() == key:
            return trigger
    raise WebhookNotFound("Not Found: Webhook not found", where=f"{flow.namespace}.{flow.id} key {key!r}",
                          fix="use the `key` of one of the flow's Webhook triggers")
