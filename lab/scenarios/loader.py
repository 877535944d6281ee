"""Load scenario files (`version: 1`) and expand them into test cases.

Every error names the file, the line and the shape that was expected, so a person can fix the
file without reading this code.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import yaml

from lab import limits, yamlio
from lab.config import kestra_version
from lab.conversation.actions import STEP_KEYS, STEP_SHAPES, Action, from_step
from lab.errors import ConfigError
from lab.kestra.engine.fixtures import FixtureError, parse_fixtures
from lab.kestra.engine.states import ALL as KESTRA_STATES
from lab.phone_numbers import wa_id_of
from lab.redaction import NOTICE
from lab.scenarios.model import (
    LLM_SOURCES,
    Budget,
    Expect,
    LLMSource,
    OutputExpect,
    ReplyExpect,
    Scenario,
    ScenarioContact,
    Step,
    Tolerance,
)
from lab.simulate.step import SIMULATE, simulate_step

TOP_KEYS = {
    "version",
    "name",
    "description",
    "flow",
    "prompt",
    "contacts",
    "llm",
    "clock",
    "policy",
    "budget",
    "tolerance",
    "vars",
    "steps",
    "faults",
    "kestra_version",
    "fixtures",
}
EXPECT_KEYS = {
    "text",
    "contains",
    "matches",
    "replies",
    "buttons",
    "rows",
    "template",
    "state",
    "output",
    "violation",
    "no_reply",
    "budget",
    "judge",
}
REPLY_KEYS = {"text", "contains", "matches", "buttons", "rows", "template", "media", "type"}


class _Source:
    """The file being read: turns a key path into `file:line` for error messages."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text
        self._root: Any = None

    def line(self, keys: list[str | int]) -> int | None:
        """1-based line of a key path (the document is composed once, not once per lookup)."""

        if self._root is None:
            try:
                self._root = yaml.compose(
                    self.text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
                )
            except yaml.YAMLError:
                return None
        node = self._root
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if k.value == key), None)
                if node is None:
                    return None
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(key, int)
                and key < len(node.value)
            ):
                node = node.value[key]
            else:
                break
        return node.start_mark.line + 1 if node is not None else None

    def error(self, keys: list[str | int], what: str, expected: str) -> ConfigError:
        return self.located(keys, ConfigError(what, fix=f"expected {expected}"))

    def located(self, keys: list[str | int], error: ConfigError) -> ConfigError:
        """The error at the key path's line (`file:line`), the path named in the message."""
        line = self.line(keys) or yamlio.line_of(self.text, keys)
        where = f"{self.path}:{line}" if line else str(self.path)
        dotted = ".".join(str(k) for k in keys) or "(top level)"
        return ConfigError(f"{error.what} (at {dotted})", where=where, fix=error.fix)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"scenario file not found: {p}", where=str(p), fix="check the path")
    return parse_scenario(yamlio.read_text(p), p)


def parse_scenario(text: str, path: Path) -> Scenario:
    """Validate scenario YAML text read from `path`."""
    src = _Source(path, text)
    data = yamlio.loads(text, source=str(path))
    if not isinstance(data, dict):
        raise src.error(
            [], "a scenario must be a mapping", "keys version, flow, steps (see README 'Scenarios')"
        )
    if data.get("version") != 1:
        raise src.error(
            ["version"], f"unsupported scenario version {data.get('version')!r}", "`version: 1`"
        )
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise src.error(
            [unknown[0]], f"unknown key {unknown[0]!r}", f"one of {', '.join(sorted(TOP_KEYS))}"
        )
    flow = data.get("flow")
    if not isinstance(flow, str) or "/" not in flow:
        raise src.error(
            ["flow"],
            f"flow must be namespace/id, got {flow!r}",
            "e.g. `flow: company.whatsapp/whatsapp_agent`",
        )
    steps_data = data.get("steps")
    if not isinstance(steps_data, list) or not steps_data:
        raise src.error(
            ["steps"], "steps must be a non-empty list", "a list of steps like `- user: Olá`"
        )
    return Scenario(
        path=path,
        name=str(data.get("name") or _stem(path)),
        description=data.get("description"),
        flow=flow,
        prompt=_opt_str(src, data, "prompt"),
        contacts=_contacts(src, data.get("contacts")),
        llm=_llm(src, data.get("llm"), path),
        clock=None if data.get("clock") is None else str(data["clock"]),
        policy=bool(data.get("policy", True)),
        budget=_budget(
            src,
            ["budget"],
            {k: v for k, v in (data.get("budget") or {}).items() if k != "per_turn"},
        ),
        budget_per_turn=_budget(
            src, ["budget", "per_turn"], (data.get("budget") or {}).get("per_turn")
        ),
        tolerance=_tolerance(src, data.get("tolerance")),
        vars=_vars(src, data.get("vars")),
        faults=_faults(src, data.get("faults")),
        fixtures=_fixtures(src, ["fixtures"], data.get("fixtures")),
        steps=[_step(src, i, s) for i, s in enumerate(steps_data)],
        kestra_version=_kestra_version(src, data.get("kestra_version")),
        personal_data=text.startswith(NOTICE),
    )


def _kestra_version(src: _Source, value: Any) -> str | None:
    if value is None:
        return None
    try:
        return kestra_version(value, "scenario")
    except ConfigError:
        raise src.error(
            ["kestra_version"],
            f"kestra_version {value!r} is not one the embedded engine speaks",
            "`kestra_version: 2.0` (or 1.3)",
        ) from None


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".yaml", ".yml"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _opt_str(src: _Source, data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise src.error([key], f"{key} must be a string", f"`{key}: <text>`")
    return value


def _contacts(src: _Source, value: Any) -> list[ScenarioContact]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise src.error(
            ["contacts"],
            "contacts must be a list",
            "`- {name: Maria Souza, wa_id: '5511987654321'}`",
        )
    out = []
    for i, c in enumerate(value):
        if not isinstance(c, dict) or "name" not in c or "wa_id" not in c:
            raise src.error(
                ["contacts", i],
                "a contact needs name and wa_id",
                "`{name: Maria Souza, wa_id: '5511987654321'}`",
            )
        try:  # the number as people write it: '+55 (11) 98765-4321', 5511987654321
            wa_id = wa_id_of(str(c["wa_id"]))
        except ConfigError as exc:
            raise src.located(["contacts", i, "wa_id"], exc) from None
        out.append(ScenarioContact(name=str(c["name"]), wa_id=wa_id))
    return out


def _llm(src: _Source, value: Any, path: Path) -> LLMSource:
    default_cassette = path.with_name(f"{_stem(path)}.cassette.yaml")
    if value is None:
        return LLMSource(source="cassette", cassette=default_cassette)
    if isinstance(value, str):
        value = {"source": value}
    if not isinstance(value, dict):
        raise src.error(
            ["llm"], "llm must be a mapping", "`llm: {source: cassette|scripted|live, ...}`"
        )
    source = value.get("source", "scripted" if "scripted" in value else "cassette")
    if source not in LLM_SOURCES:
        raise src.error(
            ["llm", "source"], f"unknown LLM source {source!r}", f"one of {', '.join(LLM_SOURCES)}"
        )
    if source == "none":  # a conversation recorded with no model: the gateway answers no call
        return LLMSource(source="none")
    cassette = value.get("cassette")
    scripted = value.get("scripted")
    if source == "scripted" and not isinstance(scripted, (list, dict)):
        raise src.error(
            ["llm", "scripted"],
            "scripted replies missing",
            "a list of replies (one per LLM call) or rules `- {match: <regex>, reply: <text>}`",
        )
    repeat, pass_if = value.get("repeat", 1), value.get("pass_if", value.get("repeat", 1))
    if not isinstance(repeat, int) or not isinstance(pass_if, int) or not 1 <= pass_if <= repeat:
        raise src.error(
            ["llm", "repeat"],
            "repeat and pass_if must be integers with 1 <= pass_if <= repeat",
            "e.g. `repeat: 5, pass_if: 4`",
        )
    _within(
        src, ["llm", "repeat"], lambda: limits.count(repeat, "repeat", limits.MAX_REPEAT, minimum=1)
    )
    return LLMSource(
        source=source,
        cassette=(path.parent / cassette) if cassette else default_cassette,
        scripted=scripted,
        repeat=repeat,
        pass_if=pass_if,
    )


def _budget(src: _Source, keys: list[str | int], value: Any) -> Budget:
    if value is None:
        return Budget()
    if not isinstance(value, dict) or set(value) - {"tokens", "cost_usd", "latency_ms", "per_turn"}:
        raise src.error(
            keys,
            "budget must be a mapping of tokens, cost_usd, latency_ms",
            "`budget: {tokens: 4000, cost_usd: 0.01, latency_ms: 5000, per_turn: {...}}`",
        )
    try:
        return Budget(
            tokens=None if value.get("tokens") is None else int(value["tokens"]),
            cost_usd=None if value.get("cost_usd") is None else float(value["cost_usd"]),
            latency_ms=None if value.get("latency_ms") is None else float(value["latency_ms"]),
        )
    except (TypeError, ValueError):
        raise src.error(
            keys, "budget values must be numbers", "numbers, e.g. `tokens: 4000`"
        ) from None


def _tolerance(src: _Source, value: Any) -> Tolerance:
    if value is None:
        return Tolerance()
    if not isinstance(value, dict) or set(value) - {"tokens", "cost"}:
        raise src.error(
            ["tolerance"],
            "tolerance must be a mapping of tokens and cost",
            "relative tolerances, e.g. `tolerance: {tokens: 0.1, cost: 0.1}`",
        )
    return Tolerance(tokens=float(value.get("tokens", 0.0)), cost=float(value.get("cost", 0.0)))


def _faults(src: _Source, value: Any) -> list[dict[str, Any]]:
    items = value or []
    if not isinstance(items, list):
        raise src.error(["faults"], "faults must be a list of sandbox faults", STEP_SHAPES["fault"])
    for i, fault in enumerate(items):
        _act(src, ["faults", i], "fault", fault)
    return items


def _act(src: _Source, keys: list[str | int], key: str, value: Any) -> Action:
    """The act a step's value describes (`actions.from_step`); a wrong one is an error at its line."""
    try:
        return from_step(key, value)
    except ConfigError as exc:
        raise src.located(keys, exc) from None


def _within(src: _Source, keys: list[str | int], check: Any) -> Any:
    """Run a `lab.limits` check; its refusal becomes an error at the value's line."""
    try:
        return check()
    except ConfigError as exc:
        raise src.error(keys, exc.what, exc.fix or "a smaller value") from None


def _vars(src: _Source, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise src.error(
            ["vars"],
            "vars must be a table (a list of mappings)",
            "`vars: [{plan: Básico}, {plan: Premium}]`",
        )
    return value


def _step(src: _Source, i: int, data: Any) -> Step:
    keys: list[str | int] = ["steps", i]
    if not isinstance(data, dict):
        raise src.error(
            keys,
            "a step must be a mapping",
            f"one action ({', '.join(STEP_KEYS)}) and optionally expect",
        )
    kinds = (*STEP_KEYS, SIMULATE)
    actions = [k for k in data if k in kinds]
    extra = sorted(set(data) - set(kinds) - {"expect", "fixtures"})
    if extra:
        raise src.error(
            [*keys, extra[0]],
            f"unknown step key {extra[0]!r}",
            f"one of {', '.join(kinds)}, expect",
        )
    if len(actions) != 1:
        raise src.error(
            keys,
            f"a step needs exactly one action, found {actions or 'none'}",
            f"one of {', '.join(kinds)}",
        )
    action = actions[0]
    value = data[action]
    if action == SIMULATE:
        try:
            simulate_step(value)
        except ConfigError as exc:
            raise src.located([*keys, action], exc) from None
    else:
        utterances = value if action == "user" and isinstance(value, list) and value else [value]
        for utterance in utterances:  # each listed utterance is a case of its own (`expand`)
            _act(src, [*keys, action], action, utterance)
    expect = (
        _expect(src, [*keys, "expect"], data["expect"]) if data.get("expect") is not None else None
    )
    return Step(
        index=i + 1,
        line=src.line(keys),
        action=action,
        value=value,
        expect=expect,
        fixtures=_fixtures(src, [*keys, "fixtures"], data.get("fixtures")),
    )


def _fixtures(src: _Source, keys: list[str | int], data: Any) -> Any:
    """Kestra's task fixtures (the real plugin tasks the embedded engine stands in for)."""
    if data is None:
        return None
    try:
        return parse_fixtures(data, where=".".join(map(str, keys)))
    except FixtureError as exc:
        raise src.error(
            keys, str(exc), "tasks: [{id, outputs, state, value, description}], inputs, trigger"
        ) from None


def _expect(src: _Source, keys: list[str | int], data: Any) -> Expect:
    if not isinstance(data, dict):
        raise src.error(
            keys, "expect must be a mapping", f"keys among {', '.join(sorted(EXPECT_KEYS))}"
        )
    extra = sorted(set(data) - EXPECT_KEYS)
    if extra:
        raise src.error(
            [*keys, extra[0]],
            f"unknown expectation {extra[0]!r}",
            f"one of {', '.join(sorted(EXPECT_KEYS))}",
        )
    contains = data.get("contains") or []
    replies = data.get("replies")
    if replies is not None and not isinstance(replies, list):
        raise src.error(
            [*keys, "replies"],
            "replies must be a list",
            "`- {text: ..., buttons: [...]}` per reply",
        )
    return Expect(
        text=None if data.get("text") is None else str(data["text"]),
        contains=[contains] if isinstance(contains, str) else [str(c) for c in contains],
        matches=_regex(src, [*keys, "matches"], data.get("matches")),
        replies=None
        if replies is None
        else [_reply(src, [*keys, "replies", i], r) for i, r in enumerate(replies)],
        buttons=_titles(src, [*keys, "buttons"], data.get("buttons")),
        rows=_titles(src, [*keys, "rows"], data.get("rows")),
        template=data.get("template"),
        state=_state(src, [*keys, "state"], data.get("state")),
        outputs=_outputs(src, [*keys, "output"], data.get("output")),
        violation=data.get("violation"),
        no_reply=bool(data.get("no_reply", False)),
        budget=_budget(src, [*keys, "budget"], data.get("budget")),
        judge=_judge(src, [*keys, "judge"], data.get("judge")),
    )


# What `expect: {state: ...}` can be: a Kestra state of the turn's execution (a paused one too), or the lab's
# verdict for a turn that started none (`ok`) or did not finish (`timeout`, `error`).
TURN_STATES = (*sorted(KESTRA_STATES), "ok", "timeout", "error")


def _titles(src: _Source, keys: list[str | int], value: Any) -> list[str] | None:
    """`buttons:` / `rows:` as a list of titles; a lone text is refused (it would be compared letter by letter)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        example = f"[{value}]" if isinstance(value, str) else "[Ver planos, Falar com atendente]"
        raise src.error(
            keys,
            f"{keys[-1]} must be a list of titles, not {type(value).__name__} {value!r}",
            f"a list, e.g. `{keys[-1]}: {example}`",
        )
    return [str(v) for v in value]


def _state(src: _Source, keys: list[str | int], value: Any) -> str | None:
    """`state:` as one of TURN_STATES (a variable `{{ ... }}` is checked once expanded)."""
    if value is None:
        return None
    text = str(value)
    if text not in TURN_STATES and "{{" not in text:
        close = difflib.get_close_matches(text.upper(), TURN_STATES, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise src.error(
            keys, f"unknown execution state {text!r}", f"{hint}one of {', '.join(TURN_STATES)}"
        )
    return text


def _regex(src: _Source, keys: list[str | int], value: Any) -> str | None:
    if value is None:
        return None
    try:
        re.compile(str(value))
    except re.error as exc:
        raise src.error(
            keys, f"not a valid regular expression: {exc}", "a Python regular expression"
        ) from None
    return str(value)


def _reply(src: _Source, keys: list[str | int], data: Any) -> ReplyExpect:
    if isinstance(data, str):
        return ReplyExpect(text=data)
    if not isinstance(data, dict) or set(data) - REPLY_KEYS:
        raise src.error(
            keys,
            "a reply expectation must be text or a mapping",
            f"keys among {', '.join(sorted(REPLY_KEYS))}",
        )
    return ReplyExpect(
        text=data.get("text"),
        contains=data.get("contains"),
        matches=_regex(src, [*keys, "matches"], data.get("matches")),
        buttons=_titles(src, [*keys, "buttons"], data.get("buttons")),
        rows=_titles(src, [*keys, "rows"], data.get("rows")),
        template=data.get("template"),
        media=data.get("media"),
        type=data.get("type"),
    )


def _outputs(src: _Source, keys: list[str | int], value: Any) -> list[OutputExpect]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out = []
    for i, o in enumerate(items):
        k = [*keys, i] if isinstance(value, list) else keys
        if not isinstance(o, dict) or "path" not in o:
            raise src.error(
                k,
                "an output expectation needs a JSONPath",
                "`{task: classify, path: $.intent, equals: lead}` (or contains / matches)",
            )
        # lazy: start-up, jsonpath-ng (with ply) is needed only by JSONPath steps
        from jsonpath_ng.exceptions import JsonPathParserError

        # lazy: start-up, jsonpath-ng (with ply) is needed only by JSONPath steps
        from jsonpath_ng.ext import parse as jsonpath

        try:
            jsonpath(str(o["path"]))
        except (
            JsonPathParserError,
            Exception,
        ) as exc:  # jsonpath-ng raises several types on bad syntax
            raise src.error(
                [*k, "path"],
                f"not a valid JSONPath: {exc}",
                "a JSONPath like $.intent or $.items[0].id",
            ) from None
        out.append(
            OutputExpect(
                task=o.get("task"),
                path=str(o["path"]),
                equals=o.get("equals"),
                contains=o.get("contains"),
                matches=_regex(src, [*k, "matches"], o.get("matches")),
                has_equals="equals" in o,
            )
        )
    return out


def _judge(src: _Source, keys: list[str | int], value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = {"rubric": value}
    if not isinstance(value, dict) or "rubric" not in value:
        raise src.error(
            keys,
            "judge needs a rubric",
            "`judge: {rubric: 'answers in Portuguese, offers the plans'}`",
        )
    return value


# Expansion lives in its own module; importable from here too.
from lab.scenarios.expand import expand, substitute  # noqa: E402,F401
