"""Kestra's expression conformance cases (tests/kestra/conformance/expressions.yaml) on our Pebble.

The matchers are the normative ones of the conformance set (`check_expression`, `typed_context`).
Every case runs for Kestra 1.3 (what the engine emulates); cases that exist only in 2.0 run in a
second parametrisation with `Functions(version="2.0")`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml

from lab.kestra.expr import Functions, render, render_property, render_typed

CASES_FILE = Path(__file__).resolve().parents[1] / "conformance" / "expressions.yaml"
CASES = yaml.safe_load(CASES_FILE.read_text())["cases"]

# case id -> why it does not pass (run as xfail strict: fixing it makes the suite say so)
KNOWN_GAPS: dict[str, str] = {}

_DUR = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def convert(value: str, kind: str):
    if kind in ("zoned_datetime", "local_datetime"):
        return dt.datetime.fromisoformat(value)
    if kind == "instant":
        return dt.datetime.fromisoformat(value).astimezone(dt.timezone.utc)
    if kind == "duration":
        d, h, m, s = _DUR.match(value).groups()
        return dt.timedelta(
            days=int(d or 0), hours=int(h or 0), minutes=int(m or 0), seconds=float(s or 0)
        )
    raise ValueError(f"unknown context type {kind}")


def typed_context(case: dict) -> dict:
    ctx = json.loads(json.dumps(case.get("context") or {}))
    for name, kind in (case.get("context_types") or {}).items():
        ctx[name] = convert(ctx[name], kind)
    return ctx


def check_expression(expect, result, error) -> list[str]:
    if not isinstance(expect, dict):
        if error is not None:
            return [f"raised {error!r}, expected {expect!r}"]
        return [] if result == expect else [f"got {result!r}, expected {expect!r}"]
    if expect.get("error"):
        if error is None:
            return [f"expected an error, got {result!r}"]
        msg = expect.get("message_contains")
        return [] if not msg or msg in str(error) else [f"error {error!r} lacks {msg!r}"]
    if error is not None:
        return [f"raised {error!r}"]
    problems = []
    if "value" in expect and result != expect["value"]:
        problems.append(f"value {result!r} != {expect['value']!r}")
    text = result if isinstance(result, str) else None
    for sub in expect.get("contains", []):
        if text is None or sub not in text:
            problems.append(f"{result!r} lacks {sub!r}")
    if "regex" in expect and (text is None or not re.fullmatch(expect["regex"], text, re.S)):
        problems.append(f"{result!r} !~ {expect['regex']!r}")
    if "trimmed" in expect and (text is None or text.strip() != expect["trimmed"]):
        problems.append(f"trimmed {result!r} != {expect['trimmed']!r}")
    if "not_equal" in expect and result == expect["not_equal"]:
        problems.append(f"{result!r} equals {expect['not_equal']!r}")
    if "starts_with" in expect and (text is None or not text.startswith(expect["starts_with"])):
        problems.append(f"{result!r} does not start with {expect['starts_with']!r}")
    if "ends_with" in expect and (text is None or not text.endswith(expect["ends_with"])):
        problems.append(f"{result!r} does not end with {expect['ends_with']!r}")
    if "length" in expect and (text is None or len(text) != expect["length"]):
        problems.append(f"len({result!r}) != {expect['length']}")
    if {"json", "json_subset", "json_contains_items"} & expect.keys():
        try:
            parsed = json.loads(text)
        except Exception as exc:  # noqa: BLE001
            return problems + [f"not JSON: {result!r} ({exc})"]
        if "json" in expect and parsed != expect["json"]:
            problems.append(f"JSON {parsed!r} != {expect['json']!r}")
        for k, v in (expect.get("json_subset") or {}).items():
            if not isinstance(parsed, dict) or parsed.get(k) != v:
                problems.append(f"JSON lacks {k}={v!r}")
        for item in expect.get("json_contains_items") or []:
            if not isinstance(parsed, list) or item not in parsed:
                problems.append(f"JSON list lacks {item!r}")
    return problems


def _functions(context: dict, fixtures: dict, version: str) -> Functions:
    store = (fixtures or {}).get("kv") or {}

    def kv_get(namespace: str, key: str):
        entry = store.get(namespace, {})[key]  # KeyError when absent
        if isinstance(entry, dict) and "$value" in entry:
            if entry.get("$expired"):
                raise KeyError(key)
            return entry["$value"]
        return entry

    flow = context.get("flow") if isinstance(context.get("flow"), dict) else {}
    return Functions(namespace=flow.get("namespace"), kv_get=kv_get, version=version, env={})


def adapter_render(expr: str, context: dict, mode: str, fixtures: dict, version: str):
    fx = _functions(context, fixtures, version)
    if mode == "typed":
        return render_typed(expr, context, fx)
    if mode == "property":
        return render_property(expr, context, fx)
    return render(expr, context, fx)


def _params(version: str, only_this_version: bool):
    for case in CASES:
        versions = case.get("versions", ["1.3", "2.0"])
        if version not in versions or (only_this_version and len(versions) > 1):
            continue
        marks = (
            [pytest.mark.xfail(reason=KNOWN_GAPS[case["id"]], strict=True)]
            if case["id"] in KNOWN_GAPS
            else []
        )
        yield pytest.param(case, id=case["id"], marks=marks)


def _run(case: dict, version: str) -> None:
    result = error = None
    try:
        result = adapter_render(
            case["expr"],
            typed_context(case),
            case.get("mode", "string"),
            case.get("fixtures") or {},
            version,
        )
    except Exception as exc:  # noqa: BLE001 - the matcher decides whether an error was expected
        error = exc
    problems = check_expression(case["expect"], result, error)
    assert not problems, f"{case['id']} {case['expr']!r}: {'; '.join(problems)} [{case['source']}]"


@pytest.mark.parametrize("case", list(_params("1.3", only_this_version=False)))
def test_expression_kestra_1_3(case: dict) -> None:
    _run(case, "1.3")


@pytest.mark.parametrize("case", list(_params("2.0", only_this_version=True)))
def test_expression_kestra_2_0_only(case: dict) -> None:
    _run(case, "2.0")


def test_every_case_is_run_or_listed() -> None:
    ids = {c["id"] for c in CASES}
    assert len(CASES) >= 230
    assert set(KNOWN_GAPS) <= ids, f"stale KNOWN_GAPS entries: {set(KNOWN_GAPS) - ids}"
