"""The generated plugin catalogue, read on first use (`catalogue()`), never at import time."""

from __future__ import annotations

import difflib
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data") / "catalogue.json"
TASK = "io.kestra.core.models.tasks.Task"
FLOWABLE = "io.kestra.core.models.tasks.FlowableTask"


@dataclass(frozen=True, slots=True)
class Prop:
    """One property of a type as Kestra declares it."""

    name: str
    type: str  # string, integer, number, boolean, object, array, any, array<…>, map<…>, ref:FQN
    required: bool = False
    dynamic: bool = False
    deprecated: bool = False
    default: Any = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """One type a flow can name."""

    name: str
    category: str  # task, trigger, condition, taskRunner, logExporter, pluginObject
    versions: tuple[str, ...]
    deprecated: bool
    repo: str
    commit: str
    output: str | None
    open: bool  # some parents were not readable: properties only partly known


class Catalogue:
    """Types, aliases, properties and outputs, by Kestra version."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.versions: tuple[str, ...] = tuple(data["versions"])
        self.sources: list[dict[str, Any]] = data["sources"]
        self._types: dict[str, dict[str, Any]] = data["types"]
        self._classes: dict[str, dict[str, Any]] = data["classes"]
        self._aliases: dict[str, str] = {}
        for name, entry in self._types.items():
            for alias in entry.get("a", ()):
                self._aliases.setdefault(alias, name)
        self._props: dict[tuple[str, str], dict[str, Prop]] = {}
        self._families: set[str] | None = None  # io.kestra.plugin.<family> names catalogued
        self._bases: set[str] | None = None  # every class some type extends, built on first need

    # -- types ---------------------------------------------------------------------------------
    def canonical(self, name: str) -> str | None:
        """The type's current name (an alias resolved), or None when Kestra has no such type."""
        if name in self._types:
            return name
        return self._aliases.get(name)

    def type(self, name: str) -> TypeInfo | None:
        canonical = self.canonical(name)
        if canonical is None:
            return None
        entry = self._types[canonical]
        source = self.sources[entry["s"]]
        return TypeInfo(
            canonical,
            entry["c"],
            tuple(entry.get("v", self.versions)),
            bool(entry.get("dp")),
            source["repo"],
            source["commit"],
            entry.get("o"),
            bool(entry.get("open")),
        )

    def covers(self, type_name: str) -> bool:
        """True when the type's plugin family (io.kestra.plugin.<family>) was catalogued, so a
        name it lacks does not exist in Kestra; other families' types are not judged."""
        if not type_name.startswith("io.kestra.plugin.") or type_name.startswith(
            "io.kestra.plugin.ee."
        ):
            return True if not type_name.startswith("io.kestra.plugin.ee.") else False
        if self._families is None:
            self._families = {
                n.split(".")[3]
                for n in (*self._types, *self._aliases)
                if n.startswith("io.kestra.plugin.") and n.count(".") > 3
            }
        return type_name.split(".")[3] in self._families

    def names(self) -> list[str]:
        return list(self._types)

    def suggest(self, name: str, category: str | None = None) -> str | None:
        """The closest type name (or alias) to a misspelt one, within a category when given."""
        pool = [n for n, e in self._types.items() if category is None or e["c"] == category]
        pool += [
            a
            for a, n in self._aliases.items()
            if category is None or self._types[n]["c"] == category
        ]
        package, _, simple = name.rpartition(".")
        same_package = {n.rpartition(".")[2]: n for n in pool if n.rpartition(".")[0] == package}
        close = difflib.get_close_matches(simple, list(same_package), n=1, cutoff=0.75)
        if close:
            return same_package[close[0]]
        close = difflib.get_close_matches(name, pool, n=1, cutoff=0.9)
        if close:
            return close[0]
        simple = simple.lower()
        by_simple = [n for n in pool if n.rpartition(".")[2].lower() == simple]
        return by_simple[0] if len(by_simple) == 1 else None

    def is_a(self, name: str, base: str) -> bool:
        """True when the type (or class) `name` has `base` among its parents, or is it."""
        return name == base or base in self.ancestors(name)

    def is_flowable(self, name: str) -> bool:
        return self.is_a(name, FLOWABLE)

    def ancestors(self, fqn: str) -> list[str]:
        seen: list[str] = []
        stack = [fqn]
        while stack:
            for parent in self._classes.get(stack.pop(), {}).get("e", ()):
                if parent not in seen:
                    seen.append(parent)
                    stack.append(parent)
        return seen

    # -- classes -------------------------------------------------------------------------------
    def klass(self, fqn: str) -> dict[str, Any] | None:
        return self._classes.get(fqn)

    def properties(self, fqn: str, version: str) -> dict[str, Prop]:
        """Every property of a class in that Kestra version, inherited ones included."""
        key = (fqn, version)
        if key not in self._props:
            props: dict[str, Prop] = {}
            for cls in reversed([fqn, *self.ancestors(fqn)]):
                for name, raw in self._classes.get(cls, {}).get("p", {}).items():
                    if version not in raw.get("v", self.versions):
                        continue
                    previous = props.get(name)
                    if previous is None:
                        required = bool(raw.get("r")) and "df" not in raw and "hd" not in raw
                        props[name] = Prop(
                            name,
                            raw["t"],
                            required,
                            bool(raw.get("dy")),
                            bool(raw.get("dp")),
                            raw.get("df"),
                            tuple(raw.get("al", ())),
                        )
                        continue
                    # declared twice (a class and an interface it implements): what either says
                    has_default = "df" in raw or "hd" in raw or previous.default is not None
                    props[name] = Prop(
                        name,
                        previous.type if raw.get("g") else raw["t"],
                        (previous.required or bool(raw.get("r"))) and not has_default,
                        previous.dynamic or bool(raw.get("dy")),
                        previous.deprecated or bool(raw.get("dp")),
                        raw.get("df", previous.default),
                        tuple(dict.fromkeys(previous.aliases + tuple(raw.get("al", ())))),
                    )
            self._props[key] = props
        return self._props[key]

    def other_versions(self, fqn: str, prop: str, version: str) -> list[str]:
        """The Kestra versions a property absent from `version` exists in."""
        found = []
        for other in self.versions:
            if other != version and prop in self.properties(fqn, other):
                found.append(other)
        return found

    def outputs(self, name: str) -> dict[str, str]:
        """A type's outputs: name -> JSON type (empty when it has none)."""
        info = self.type(name)
        if info is None or info.output is None:
            return {}
        return {n: p.type for n, p in self.properties(info.output, self.versions[-1]).items()}

    def subtypes(self, fqn: str, version: str | None = None) -> dict[str, str]:
        """`type:` names a polymorphic class accepts (retry, auth, inputs ...), in a version."""
        out: dict[str, str] = {}
        for cls in [fqn, *self.ancestors(fqn)]:
            entry = self._classes.get(cls, {})
            only = entry.get("subv", {})
            for name, sub in entry.get("sub", {}).items():
                if version is None or version in only.get(name, self.versions):
                    out.setdefault(name, sub)
        return out

    def enum(self, fqn: str) -> list[str] | None:
        entry = self._classes.get(fqn)
        return entry.get("en") if entry else None

    def is_plugin_base(self, fqn: str) -> bool:
        """True when a property of this class type holds any plugin type naming it as a parent
        (a provider, a task runner, a condition ...), chosen by `type:`."""
        entry = self._classes.get(fqn)
        if entry is None or not entry.get("ab") or entry.get("sub"):
            return False
        if self._bases is None:
            self._bases = {a for t in self._types for a in self.ancestors(t)}
        return fqn in self._bases


@functools.cache
def catalogue() -> Catalogue:
    """The catalogue, loaded once per process on first use."""
    return Catalogue(json.loads(DATA.read_text(encoding="utf-8")))
