"""A flow's values checked against the catalogue, at any depth: unknown properties (with a
did-you-mean), required ones missing, wrong static types, deprecated ones (a warning), ones
removed in (or added after) the Kestra version checked, and nested plugin objects (a provider,
a task runner, a retry, HTTP options, a condition ...) by the `type` they name."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lab.kestra.catalogue.reader import TASK, Catalogue, Prop

_EXPRESSION = re.compile(r"\{\{|\{%")
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
_INTEGER = re.compile(r"^\s*[-+]?\d+\s*$")
# Set by Kestra itself or read before the class is chosen: never a finding.
IGNORED = frozenset({"type", "version"})


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # unknown-property, missing-property, invalid, deprecated, unknown-type
    message: str
    path: tuple[Any, ...]
    severity: str = "error"  # or "warning"


TaskHook = Callable[[Any, tuple[Any, ...]], None]


class ValueChecker:
    """Checks values of one flow against one Kestra version of the catalogue."""

    def __init__(
        self,
        catalogue: Catalogue | Callable[[], Catalogue],
        version: str,
        tasks: TaskHook | None = None,
        defaulted: tuple[str, ...] = (),
    ) -> None:
        self._catalogue = catalogue  # or how to load it: loaded on first need
        self.defaulted = defaulted  # types (or prefixes) the flow's pluginDefaults give values to
        self.version = version
        self.tasks = tasks  # called for a nested task list (the flow's own task checks apply)
        self.findings: list[Finding] = []

    @property
    def catalogue(self) -> Catalogue:
        if not isinstance(self._catalogue, Catalogue):
            self._catalogue = self._catalogue()
        return self._catalogue

    def add(self, kind: str, message: str, path: tuple[Any, ...], severity: str = "error") -> None:
        self.findings.append(Finding(kind, message, path, severity))

    # -- objects -------------------------------------------------------------------------------
    def check_object(
        self,
        value: dict[str, Any],
        fqn: str,
        label: str,
        path: tuple[Any, ...],
        *,
        skip: frozenset[str] | set[str] = frozenset(),
        open_: bool = False,
        supplied: dict[str, Any] | None = None,
        require: bool = True,
    ) -> None:
        """Every key of `value` against the properties of class `fqn`. `skip`: keys another check
        owns; `supplied`: the same mapping with plugin defaults merged (required keys may come
        from there); `open_`: some inherited properties are unknown, so unknown keys pass."""
        props = self.catalogue.properties(fqn, self.version)
        by_alias = {alias: p for p in props.values() for alias in p.aliases}
        for key, item in value.items():
            if key in IGNORED or key in skip:
                continue
            prop = props.get(key) or by_alias.get(key)
            if prop is None:
                if not open_:
                    self.unknown(fqn, key, label, path + (key,), props)
                continue
            if prop.deprecated:
                self.add(
                    "deprecated",
                    f"{label}: `{key}` is deprecated in Kestra {self.version}",
                    path + (key,),
                    "warning",
                )
            self.check_value(item, prop, f"{label} `{key}`", path + (key,))
        present = supplied if supplied is not None else value
        for name, prop in props.items() if require else ():
            if (
                prop.required
                and name not in IGNORED
                and name != "id"
                and name not in skip
                and present.get(name) is None
                and not any(present.get(a) is not None for a in prop.aliases)
            ):
                self.add("missing-property", f"{label}: missing required property `{name}`", path)

    def unknown(
        self, fqn: str, key: str, label: str, path: tuple[Any, ...], props: dict[str, Prop]
    ) -> None:
        elsewhere = self.catalogue.other_versions(fqn, key, self.version)
        if elsewhere:
            newer = all(v > self.version for v in elsewhere)
            self.add(
                "unknown-property",
                f"{label}: `{key}` "
                + (
                    f"exists only from Kestra {elsewhere[0]}"
                    if newer
                    else f"was removed in Kestra {self.version} (it exists in {', '.join(elsewhere)})"
                ),
                path,
            )
            return
        close = difflib.get_close_matches(key, list(props), n=1, cutoff=0.6)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        self.add(
            "unknown-property",
            f'{label}: unknown property `{key}` (Kestra: Unrecognized field "{key}")' f"{hint}",
            path,
        )

    # -- values --------------------------------------------------------------------------------
    def check_value(self, value: Any, prop: Prop, label: str, path: tuple[Any, ...]) -> None:
        self.check_type(value, prop.type, prop.dynamic, label, path)

    def check_type(
        self, value: Any, descriptor: str, dynamic: bool, label: str, path: tuple[Any, ...]
    ) -> None:
        if value is None or descriptor == "any":
            return
        if isinstance(value, str) and _EXPRESSION.search(value):
            return  # rendered at run time
        if descriptor.startswith("array"):
            if isinstance(value, list):
                inner = descriptor[6:-1] if descriptor.startswith("array<") else "any"
                for i, item in enumerate(value):
                    self.check_type(item, inner, dynamic, label, path + (i,))
            elif isinstance(value, dict) or not dynamic:
                self.wrong(label, "a list", value, path)
            return
        if descriptor == "object" or descriptor.startswith("map<"):
            if isinstance(value, dict):
                inner = descriptor[4:-1] if descriptor.startswith("map<") else "any"
                for key, item in value.items():
                    self.check_type(item, inner, dynamic, label, path + (key,))
            elif isinstance(value, list) or not (dynamic and isinstance(value, str)):
                self.wrong(label, "a mapping", value, path)
            return
        if descriptor.startswith("ref:"):
            self.check_ref(value, descriptor[4:], dynamic, label, path)
            return
        if isinstance(value, (dict, list)):
            self.wrong(
                label,
                {
                    "string": "a string",
                    "integer": "an integer",
                    "number": "a number",
                    "boolean": "a boolean",
                }.get(descriptor, descriptor),
                value,
                path,
            )
        elif descriptor == "integer" and not (
            isinstance(value, int)
            and not isinstance(value, bool)
            or isinstance(value, float)
            and value.is_integer()
            or isinstance(value, str)
            and _INTEGER.match(value)
        ):
            self.wrong(label, "an integer", value, path)
        elif descriptor == "number" and not (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            or isinstance(value, str)
            and _NUMBER.match(value)
        ):
            self.wrong(label, "a number", value, path)
        elif descriptor == "boolean" and not (
            isinstance(value, bool) or str(value).lower() in ("true", "false")
        ):
            self.wrong(label, "a boolean (true or false)", value, path)

    def wrong(self, label: str, expected: str, value: Any, path: tuple[Any, ...]) -> None:
        shown = (
            "a mapping"
            if isinstance(value, dict)
            else "a list"
            if isinstance(value, list)
            else repr(value)
        )
        self.add("invalid", f"{label} must be {expected}, not {shown}", path)

    def check_ref(
        self, value: Any, fqn: str, dynamic: bool, label: str, path: tuple[Any, ...]
    ) -> None:
        catalogue = self.catalogue
        if fqn == TASK:
            if self.tasks is not None:
                self.tasks([value] if isinstance(value, dict) else value, path)
            return
        constants = catalogue.enum(fqn)
        if constants is not None:
            if isinstance(value, (dict, list)):
                self.wrong(label, f"one of {', '.join(constants)}", value, path)
            elif str(value) not in constants:
                self.add(
                    "invalid", f"{label} must be one of {', '.join(constants)}, not {value!r}", path
                )
            return
        if not isinstance(value, dict):
            if not (dynamic and isinstance(value, str)):
                self.wrong(label, "a mapping", value, path)
            return
        subtypes = catalogue.subtypes(fqn, self.version)
        if subtypes:
            kind = value.get("type")
            chosen = subtypes.get(str(kind)) if kind is not None else None
            if chosen is None and str(kind) in catalogue.subtypes(fqn):
                self.add(
                    "unknown-type",
                    f"{label}: `type` {kind} was removed in Kestra {self.version}; use one of "
                    f"{', '.join(subtypes)}",
                    path + ("type",),
                )
                return
            if chosen is None:
                close = difflib.get_close_matches(str(kind), list(subtypes), n=1)
                self.add(
                    "invalid",
                    f"{label}: `type` must be one of {', '.join(subtypes)}"
                    + (f", not {kind!r}" if kind is not None else "")
                    + (f"; did you mean {close[0]}?" if close else ""),
                    path + ("type",) if kind else path,
                )
                return
            self.check_object(value, chosen, label, path)
            return
        if catalogue.is_plugin_base(fqn):
            self.check_plugin(value, fqn, label, path)
            return
        self.check_object(value, fqn, label, path)

    def check_plugin(
        self, value: dict[str, Any], base: str, label: str, path: tuple[Any, ...]
    ) -> None:
        """A nested plugin object (provider, memory, tool, retriever, task runner, condition ...)."""
        kind = value.get("type")
        if not kind:
            self.add(
                "missing-property", f"{label}: needs a `type` (a {base.rpartition('.')[2]})", path
            )
            return
        info = self.catalogue.type(str(kind))
        if info is None and not self.catalogue.covers(str(kind)):
            self.add(
                "needs-fixture",
                f"{label}: {kind} is from a plugin family outside walab's catalogue: not "
                f"checked here",
                path + ("type",),
                "warning",
            )
            return
        if info is None:
            close = self.catalogue.suggest(str(kind))
            self.add(
                "unknown-type",
                f"{label}: {kind} is unknown to Kestra (Invalid type)"
                + (f"; did you mean {close}?" if close else ""),
                path + ("type",),
            )
            return
        if not self.catalogue.is_a(info.name, base):
            self.add(
                "invalid",
                f"{label}: {kind} is a {info.category}, not a {base.rpartition('.')[2]}",
                path + ("type",),
            )
            return
        if self.version not in info.versions:
            self.add(
                "unknown-type",
                f"{label}: {kind} "
                + (
                    f"exists only from Kestra {info.versions[0]}"
                    if info.versions[0] > self.version
                    else f"was removed in Kestra {self.version}"
                ),
                path + ("type",),
            )
            return
        if info.deprecated:
            self.add("deprecated", f"{label}: {kind} is deprecated", path + ("type",), "warning")
        defaulted = any(str(kind).startswith(d) or info.name.startswith(d) for d in self.defaulted)
        self.check_object(
            value,
            info.name,
            f"{label} ({kind.rpartition('.')[2]})",
            path,
            open_=info.open,
            require=not defaulted,
        )


def skeleton_value(descriptor: str, catalogue: Catalogue | None = None) -> Any:
    """A placeholder for one output in a fixture skeleton, of the output's JSON type."""
    if catalogue is not None and descriptor.startswith("ref:") and catalogue.enum(descriptor[4:]):
        return catalogue.enum(descriptor[4:])[0]
    if descriptor.startswith("array"):
        return []
    if descriptor in ("object", "any") or descriptor.startswith(("map<", "ref:")):
        return {} if descriptor != "any" else ""
    return {"string": "", "integer": 0, "number": 0, "boolean": False}.get(descriptor, "")
