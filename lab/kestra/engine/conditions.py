"""Webhook trigger conditions: `conditions:` (Kestra 1.3) and `when:` (Kestra 2.0), compiled into one test.

Semantics, from Kestra's source:
- 1.3 `WebhookService.newExecution` builds the execution (id, labels, flow variables, trigger
  body/headers/parameters), then `ConditionService.valid`: every condition must hold (allMatch);
  a condition that throws is logged and counts as NOT met. Not met -> no execution, 409 empty body
  (`Webhook.evaluate`). Conditions are checked before the trigger's `inputs` are rendered.
- `Expression`: the expression rendered as a String; not met when blank or "false" (trimmed);
  "0" holds. `Not` = noneMatch, `Or` = anyMatch, both short-circuit and let an error propagate
  to the top-level condition (which then counts as not met).
- `DayWeek`, `Weekend`, `DateTimeBetween`, `TimeBetween` test `date`, by default
  `{{ trigger.date }}`, which a webhook does not define: without an explicit `date` (e.g.
  `{{ now() }}`) they are never met, as in Kestra. Kestra versions differ on DateTimeBetween's
  bounds (excluded, later included: included here, a matter of one instant) and on TimeBetween
  ranges across midnight (never met, later wrapping: refused here).
- 2.0 `when`: rendered; not met when falsy (TruthUtils.isFalsy: "false", "0", "-0", "" trimmed);
  an error counts as not met. Not met -> 204.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from lab.kestra.engine import known_types
from lab.kestra.engine import render as R

C = "io.kestra.plugin.core.condition."
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
TRIGGER_DATE = "{{ trigger.date }}"
# canonical type -> (accepted properties, required properties)
SUPPORTED: dict[str, tuple[set[str], set[str]]] = {
    C + "Expression": ({"expression"}, {"expression"}),
    C + "Not": ({"conditions"}, {"conditions"}),
    C + "Or": ({"conditions"}, {"conditions"}),
    C + "DayWeek": ({"date", "dayOfWeek"}, {"dayOfWeek"}),
    C + "Weekend": ({"date"}, set()),
    C + "DateTimeBetween": ({"date", "after", "before"}, set()),
    C + "TimeBetween": ({"date", "after", "before"}, set()),
}
# Conditions Kestra names but that have no meaning (or no support here) on a webhook.
NOT_FOR_WEBHOOKS = {
    C + "MultipleCondition": "Kestra refuses it on a webhook (invalid webhook: conditions of type "
    "MultipleCondition are not supported)"
}

Check = Callable[[dict[str, Any], Any], bool]  # (variables, functions) -> met; may raise


class ConditionError(Exception):
    """A condition could not be evaluated (Kestra's IllegalConditionEvaluation); counts as not met."""


def canonical(type_name: str) -> str:
    """The current class name of a condition type (legacy aliases resolved)."""
    return known_types.ALIASES.get(type_name, type_name)


# -- deploy-time checks -------------------------------------------------------------------------
def check_trigger_conditions(
    trigger: dict[str, Any], dialect: str
) -> list[tuple[str, str, tuple[Any, ...]]]:
    """Every problem of a webhook trigger's `conditions` / `when`, as (kind, message, sub-path).

    The sub-path is relative to the trigger (e.g. ("conditions", 0, "type")); kinds are the
    validator's (unknown-property, unsupported-type, unknown-type, missing-property, invalid). The
    expressions in them are checked by the validator's expression walker, as any property's are.
    """
    label = f"webhook trigger `{trigger.get('id')}`"
    two = str(dialect).startswith("2")
    out: list[tuple[str, str, tuple[Any, ...]]] = []
    if "conditions" in trigger and two:
        out.append(
            (
                "unknown-property",
                f"{label}: `conditions` was removed in Kestra 2.0, where it is `when`; write "
                'the test as `when: "{{ ... }}"` (not met -> 204, no execution)',
                ("conditions",),
            )
        )
    elif "conditions" in trigger:
        value = trigger["conditions"]
        if value is not None and not isinstance(value, list):
            out.append(
                ("invalid", f"{label}: `conditions` must be a list of conditions", ("conditions",))
            )
        for i, cond in enumerate(value or () if isinstance(value, list) else ()):
            out += _check_condition(cond, label, ("conditions", i))
    if "when" in trigger and not two:
        out.append(
            (
                "unknown-property",
                f"{label}: `when` is the Kestra 2.0 name; on 1.3 write `conditions:` with an "
                f'{C}Expression condition (expression: "{{{{ ... }}}}")',
                ("when",),
            )
        )
    return out


def _check_condition(
    cond: Any, label: str, path: tuple[Any, ...]
) -> list[tuple[str, str, tuple[Any, ...]]]:
    if not isinstance(cond, dict) or not cond.get("type"):
        return [("missing-property", f"{label}: a condition needs a `type`", path)]
    name = str(cond["type"])
    kind = canonical(name)
    where = f"{label}: condition {name}"
    if kind in NOT_FOR_WEBHOOKS:
        return [("invalid", f"{where}: {NOT_FOR_WEBHOOKS[kind]}", path + ("type",))]
    if kind not in SUPPORTED:
        supported = ", ".join(sorted(k[len(C) :] for k in SUPPORTED))
        finding, message = known_types.type_finding(
            name, f" on a webhook (it supports {supported})"
        )
        return [(finding, f"{label}: condition {message}", path + ("type",))]
    accepted, required = SUPPORTED[kind]
    out: list[tuple[str, str, tuple[Any, ...]]] = []
    for key in cond:
        if key != "type" and key not in accepted:
            out.append(
                (
                    "unknown-property",
                    f"{where}: unknown property `{key}`; expected "
                    f"{', '.join(sorted(accepted))}",
                    path + (key,),
                )
            )
    for key in sorted(required):
        if cond.get(key) in (None, "", []):
            out.append(("missing-property", f"{where}: missing required property `{key}`", path))
    if kind in (C + "Not", C + "Or"):
        subs = cond.get("conditions")
        if subs is not None and not isinstance(subs, list):
            out.append(
                (
                    "invalid",
                    f"{where}: `conditions` must be a list of conditions",
                    path + ("conditions",),
                )
            )
        for j, sub in enumerate(subs if isinstance(subs, list) else ()):
            out += _check_condition(sub, label, path + ("conditions", j))
    elif kind != C + "Expression":
        out += _check_dates(kind, cond, where, path)
    return out


def _check_dates(
    kind: str, cond: dict[str, Any], where: str, path: tuple[Any, ...]
) -> list[tuple[str, str, tuple]]:
    out: list[tuple[str, str, tuple[Any, ...]]] = []
    if (
        kind == C + "DayWeek"
        and cond.get("dayOfWeek") is not None
        and str(cond["dayOfWeek"]) not in DAYS
    ):
        out.append(
            (
                "invalid",
                f"{where}: dayOfWeek {cond['dayOfWeek']!r} must be one of {', '.join(DAYS)}",
                path + ("dayOfWeek",),
            )
        )
    if kind in (C + "DateTimeBetween", C + "TimeBetween"):
        if cond.get("after") is None and cond.get("before") is None:
            out.append(
                (
                    "missing-property",
                    f"{where}: needs `after`, `before` or both (Kestra: Invalid condition "
                    "with no before nor after)",
                    path,
                )
            )
        parse = _zoned if kind == C + "DateTimeBetween" else _offset_time
        bounds: dict[str, Any] = {}
        for key in ("after", "before"):
            value = cond.get(key)
            if value is not None and not R.has_expression(str(value)):
                try:
                    bounds[key] = parse(str(value))
                except ValueError:
                    shape = (
                        "an ISO 8601 datetime with a zone (2026-01-01T08:30:00Z)"
                        if parse is _zoned
                        else "an ISO 8601 time with an offset (16:00:00+02:00)"
                    )
                    out.append(
                        ("invalid", f"{where}: `{key}` {value!r} must be {shape}", path + (key,))
                    )
        if (
            kind == C + "TimeBetween"
            and len(bounds) == 2
            and _time_key(bounds["after"]) >= _time_key(bounds["before"])
        ):
            out.append(
                (
                    "unsupported-property",
                    f"{where}: a range across midnight (after {cond['after']}, before "
                    f"{cond['before']}) is never met in some Kestra versions and wraps midnight in newer ones; "
                    "write it as an Or of two TimeBetween conditions",
                    path,
                )
            )
    return out


# -- compiling ----------------------------------------------------------------------------------
def compile_trigger(props: dict[str, Any], dialect: str) -> Check | None:
    """The test a webhook trigger applies before starting an execution (None: no condition)."""
    if str(dialect).startswith("2"):
        when = props.get("when")
        if when is None:
            return None
        return lambda ctx, fx: not _falsy(R.render_str(when, ctx, fx))
    conditions = props.get("conditions") or []
    if not conditions:
        return None
    checks = [_compile(c) for c in conditions]

    def all_met(ctx: dict[str, Any], fx: Any) -> bool:
        for check in checks:  # ConditionService.valid: allMatch, an error is "not met"
            try:
                if not check(ctx, fx):
                    return False
            except Exception:  # noqa: BLE001 - Kestra logs it and counts the condition as not met
                return False
        return True

    return all_met


def _falsy(text: str | None) -> bool:
    return text is not None and text.strip() in ("false", "0", "-0", "")


def _compile(cond: dict[str, Any]) -> Check:
    kind = canonical(str(cond.get("type")))
    if kind == C + "Expression":
        expression = cond.get("expression")

        def expression_met(ctx: dict[str, Any], fx: Any) -> bool:
            text = R.render_str(expression, ctx, fx)
            return not (text.strip() == "" or text.strip() == "false")

        return expression_met
    if kind in (C + "Not", C + "Or"):
        subs = [_compile(c) for c in cond.get("conditions") or []]
        if kind == C + "Or":
            return lambda ctx, fx: any(s(ctx, fx) for s in subs)
        return lambda ctx, fx: not any(s(ctx, fx) for s in subs)
    if kind in SUPPORTED:
        return _compile_date(kind, cond)
    raise ConditionError(f"condition type {cond.get('type')} is not supported on a webhook")


def _compile_date(kind: str, cond: dict[str, Any]) -> Check:
    date = cond.get("date", TRIGGER_DATE)
    if kind in (C + "DayWeek", C + "Weekend"):
        days = {str(cond.get("dayOfWeek"))} if kind == C + "DayWeek" else {"SATURDAY", "SUNDAY"}
        return lambda ctx, fx: DAYS[_local_date(R.render_str(date, ctx, fx)).weekday()] in days
    parse: Callable[[str], Any] = _zoned if kind == C + "DateTimeBetween" else _offset_time
    after, before = cond.get("after"), cond.get("before")

    def between(ctx: dict[str, Any], fx: Any) -> bool:
        current = _zoned(R.render_str(date, ctx, fx).strip())
        low = parse(R.render_str(after, ctx, fx).strip()) if after is not None else None
        high = parse(R.render_str(before, ctx, fx).strip()) if before is not None else None
        if low is None and high is None:
            raise ConditionError("Invalid condition with no before nor after")
        if kind == C + "TimeBetween":  # OffsetTime.isAfter / isBefore: the instant on a common day
            now = _time_key(current.timetz())
            if low is not None and high is not None and _time_key(low) >= _time_key(high):
                raise ConditionError(
                    "a TimeBetween range across midnight (refused at deploy when constant)"
                )
            return (low is None or now > _time_key(low)) and (high is None or now < _time_key(high))
        # DateTimeBetween (1.3): bounds included
        return (low is None or current >= low) and (high is None or current <= high)

    return between


def _zoned(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no zone")
    return value


def _local_date(text: str) -> dt.date:
    text = text.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()


def _offset_time(text: str) -> dt.time:
    value = dt.time.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no offset")
    return value


def _time_key(value: dt.time) -> float:
    offset = value.utcoffset() or dt.timedelta(0)
    return (
        value.hour * 3600
        + value.minute * 60
        + value.second
        + value.microsecond / 1e6
        - offset.total_seconds()
    )
