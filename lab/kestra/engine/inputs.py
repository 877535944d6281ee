"""Flow inputs: coercion and validation with Kestra's messages (FlowInputOutput, models/flows/input)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import urlparse

import yaml

from lab import yamlio
from lab.errors import LabError
from lab.kestra.engine.flow import FlowDef, InputDef
from lab.kestra.engine.store import as_string


class InputError(ValueError):
    """Inputs are invalid; the message is Kestra's. `fields` pairs each input id with its message."""

    def __init__(self, message: str, fields: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or []


def java_duration(text: Any) -> timedelta:
    """Java's Duration.parse: `PnDTnHnMn.nS`, signs allowed; Unparsable with java.time's message."""
    m = _JAVA_DURATION.fullmatch(str(text).strip())
    if m is None or not any(m.group(i) for i in range(2, 6)):
        raise Unparsable("Text cannot be parsed to a Duration")
    days, hours, minutes = (int(m.group(i) or 0) for i in range(2, 5))
    seconds = float(
        f"{m.group(5) or 0}.{m.group(6) or 0}"
    )  # PT-1.5S is minus one and a half seconds
    total = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    return -total if m.group(1) == "-" else total


class Unparsable(ValueError):
    """A value that does not parse as its type, with the message Kestra's parser gives."""


# Java's Duration.parse (what Kestra uses for DURATION inputs): ISO-8601 days to seconds, any case.
_JAVA_DURATION = re.compile(
    r"([-+]?)P(?:([-+]?\d+)D)?(?:T(?=[-+]?\d)(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?"
    r"(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?",
    re.IGNORECASE,
)
# What a value of each type looks like, for the message when one cannot be parsed.
EXPECTED = {
    "INT": "a whole number such as 42",
    "FLOAT": "a number such as 4.2",
    "DATETIME": "an ISO-8601 instant such as 2026-01-31T10:00:00Z",
    "DATE": "an ISO-8601 date such as 2026-01-31",
    "TIME": "an ISO-8601 time such as 10:30:00",
    "JSON": "JSON text",
    "YAML": "YAML text",
    "DURATION": "an ISO-8601 duration such as PT30S, PT5M, PT1H30M or P1D",
}


def java_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return str(value)


def java_time(value: time) -> str:
    """LocalTime.toString(): seconds dropped when zero."""
    if value.second == 0 and value.microsecond == 0:
        return value.strftime("%H:%M")
    return value.isoformat()


def _instant(text: str) -> datetime:
    dt = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def instant_text(dt: datetime) -> str:
    """Instant.toString(): UTC, fraction only when non-zero."""
    text = dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if dt.microsecond:
        text += f".{dt.microsecond:06d}".rstrip("0")
    return text + "Z"


def _time(value: Any) -> time:
    if isinstance(value, int):  # YAML 1.1 reads 01:00:00 as sexagesimal seconds
        return time(value // 3600, value // 60 % 60, value % 60)
    return time.fromisoformat(str(value))


def _parse_scalar(kind: str, value: Any, input_id: str) -> Any:
    if kind in ("STRING", "SECRET", "EMAIL", "ENUM", "SELECT"):
        return as_string(value)
    if kind == "INT":
        if isinstance(value, bool):
            raise InputError(f"Unable to parse `{value}` as INT")
        return int(str(value).strip())
    if kind == "FLOAT":
        return float(str(value).strip())
    if kind in ("BOOL", "BOOLEAN"):
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() == "true"
    if kind == "DATETIME":
        return _instant(value)
    if kind == "DATE":
        return (
            value
            if isinstance(value, date) and not isinstance(value, datetime)
            else date.fromisoformat(str(value))
        )
    if kind == "TIME":
        return _time(value)
    if kind == "DURATION":
        java_duration(value)
        return str(value)
    if kind == "URI":
        parsed = urlparse(str(value))
        if not parsed.scheme:
            raise InputError("Invalid URI format.")
        return str(value)
    if kind == "JSON":
        return json.loads(value) if isinstance(value, str) else value
    if kind == "YAML":
        if not isinstance(value, str):
            return value
        try:
            return yamlio.parse(value)
        except yaml.YAMLError as exc:
            problem = (
                exc.problem if isinstance(exc, yaml.MarkedYAMLError) and exc.problem else str(exc)
            )
            raise InputError(f"not YAML the lab reads: {problem}") from None
    if kind in ("ARRAY", "MULTISELECT"):
        items = json.loads(value) if isinstance(value, str) else value
        if not isinstance(items, list):
            raise InputError(f"`{value}` is not an array")
        return items
    raise InputError(f"inputs of type {kind} are not supported by the embedded engine")


def _check(inp: InputDef, kind: str, value: Any) -> None:
    raw = inp.raw
    if kind == "STRING" and raw.get("validator") and not re.fullmatch(str(raw["validator"]), value):
        raise InputError(f"it must match the pattern `{raw['validator']}`")
    if kind in ("INT", "FLOAT"):
        if raw.get("min") is not None and value < raw["min"]:
            raise InputError(f"it must be more than `{java_number(raw['min'])}`")
        if raw.get("max") is not None and value > raw["max"]:
            raise InputError(f"it must be less than `{java_number(raw['max'])}`")
    if kind == "DURATION":
        d = java_duration(value)
        if raw.get("min") is not None and d < java_duration(raw["min"]):
            raise InputError(f"It must be more than `{raw['min']}`")
        if raw.get("max") is not None and d > java_duration(raw["max"]):
            raise InputError(f"It must be less than `{raw['max']}`")
    if kind == "DATE":
        for bound, cmp in (("after", lambda v, b: v < b), ("before", lambda v, b: v > b)):
            if raw.get(bound) is not None:
                b = (
                    raw[bound]
                    if isinstance(raw[bound], date)
                    else date.fromisoformat(str(raw[bound]))
                )
                if cmp(value, b):
                    raise InputError(f"it must be {bound} `{b.isoformat()}`")
    if kind == "DATETIME":
        for bound, cmp in (("after", lambda v, b: v < b), ("before", lambda v, b: v > b)):
            if raw.get(bound) is not None and cmp(value, _instant(raw[bound])):
                raise InputError(f"it must be {bound} `{instant_text(_instant(raw[bound]))}`")
    if kind == "TIME":
        for bound, cmp in (("after", lambda v, b: v < b), ("before", lambda v, b: v > b)):
            if raw.get(bound) is not None and cmp(value, _time(raw[bound])):
                raise InputError(f"it must be {bound} `{java_time(_time(raw[bound]))}`")
    if (
        kind in ("SELECT", "ENUM")
        and raw.get("values")
        and value not in [str(v) for v in raw["values"]]
    ):
        raise InputError(f"it must match the values `{raw['values']}`")


def _jsonable(kind: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return instant_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    return value


def coerce(inp: InputDef, value: Any) -> Any:
    """One input's typed value (JSON form); InputError with Kestra's message when invalid."""
    kind = {"BOOLEAN": "BOOL"}.get(inp.type, inp.type)
    try:
        typed = _parse_scalar(kind, value, inp.id)
        if kind in ("ARRAY",) and inp.raw.get("itemType"):
            item_type = str(inp.raw["itemType"]).upper()
            items = []
            for element in typed:
                try:
                    items.append(_jsonable(item_type, _parse_scalar(item_type, element, inp.id)))
                except (ValueError, TypeError):
                    raise InputError(
                        f"Unable to parse array element as `{item_type}` on `{element}`"
                    ) from None
            typed = items
        _check(inp, kind, typed)
    except InputError as exc:
        raise InputError(f"Invalid value for input `{inp.id}`. Cause: {exc}") from None
    except (
        ValueError,
        TypeError,
        LabError,
    ) as exc:  # the value does not parse as the declared type
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        # Python's own parse errors ("invalid literal for int()") mean nothing to a flow author
        why = str(exc) if isinstance(exc, Unparsable) or kind not in EXPECTED else ""
        hint = f"; write it as {EXPECTED[kind]}" if kind in EXPECTED else ""
        raise InputError(
            f"Invalid value for input `{inp.id}`. Cause: Expected `{inp.type}` but received "
            f"`{shown}`{': ' + why if why else ''}{hint}"
        ) from None
    return _jsonable(kind, typed)


def put_nested(target: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `value` at the dotted key `a.b.c` of `target`, making the maps on the way (a non-map there is replaced)."""
    parts = dotted.split(".")
    node = target
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = node[part] = {}
        node = nxt
    node[parts[-1]] = value


def has_nested(target: dict[str, Any], dotted: str) -> bool:
    node: Any = target
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def read_inputs(
    flow: FlowDef, given: dict[str, Any] | None, mode: str = "validated"
) -> dict[str, Any]:
    """The execution's inputs. `validated` coerces and checks (InputError lists every problem);
    `raw` keeps the map as given; `none` passes nothing. Declared defaults fill absent inputs."""
    given = dict(given or {})
    out: dict[str, Any] = {}
    if mode != "validated":
        for key, value in given.items() if mode == "raw" else ():
            put_nested(out, key, value)
        for inp in flow.inputs:
            if inp.defaults is not None and not has_nested(out, inp.id):
                put_nested(out, inp.id, _default(inp))
        return out
    problems: list[tuple[str, str]] = []
    for inp in flow.inputs:
        if inp.id in given and given[inp.id] is not None:
            value = given[inp.id]
        elif inp.defaults is not None:
            value = _default(inp)
        elif inp.required:
            problems.append((inp.id, f"Missing required input:{inp.id}"))
            continue
        else:
            put_nested(out, inp.id, None)
            continue
        try:
            put_nested(out, inp.id, coerce(inp, value))
        except InputError as exc:
            problems.append((inp.id, str(exc)))
    if problems:
        raise InputError("\n".join(message for _, message in problems), problems)
    return out


def _default(inp: InputDef) -> Any:
    try:
        return coerce(inp, inp.defaults)
    except InputError:
        return inp.defaults
