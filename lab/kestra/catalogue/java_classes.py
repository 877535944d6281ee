"""Classes of a set of Java sources, as catalogue entries: names resolved across files (imports,
packages, nested and inherited member classes), each property's JSON type, required, default,
dynamic and deprecated flags, and the `type:` subtypes a polymorphic class accepts. Used by the
catalogue generator only."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from lab.kestra.catalogue import java_source as J

STRING = {
    "String",
    "CharSequence",
    "Duration",
    "URI",
    "URL",
    "ZonedDateTime",
    "OffsetDateTime",
    "Instant",
    "LocalDate",
    "LocalTime",
    "LocalDateTime",
    "Pattern",
    "ZoneId",
    "Level",
    "Charset",
    "UUID",
    "char",
    "Character",
    "Path",
    "File",
    "TimeZone",
    "Locale",
    "DayOfWeek",
    "ChronoUnit",
    "Date",
    "Timestamp",
    "Period",
    "OffsetTime",
}
INTEGER = {
    "Integer",
    "int",
    "Long",
    "long",
    "Short",
    "short",
    "Byte",
    "byte",
    "BigInteger",
    "AtomicInteger",
}
NUMBER = {"Double", "double", "Float", "float", "BigDecimal", "Number"}
BOOLEAN = {"Boolean", "boolean"}
ANY = {"Object", "JsonNode", "T", "V", "Serializable", "Data"}
LISTS = {
    "List",
    "Set",
    "Collection",
    "Iterable",
    "ArrayList",
    "LinkedHashSet",
    "HashSet",
    "SortedSet",
    "LinkedList",
}
MAPS = {"Map", "HashMap", "LinkedHashMap", "SortedMap", "TreeMap", "ConcurrentHashMap"}


@dataclass(slots=True)
class Declared:
    """A class with what resolving its names needs."""

    fqn: str
    cls: J.JavaClass
    package: str
    imports: list[str]
    source: int  # index into the sources list


class World:
    """Every class of one set of sources (Kestra core of one version, plus plugins), by name."""

    def __init__(self) -> None:
        self.classes: dict[str, Declared] = {}
        self.by_simple: dict[str, list[str]] = {}

    def add(self, parsed: J.JavaFile, source: int) -> None:
        def visit(cls: J.JavaClass, prefix: str) -> None:
            fqn = f"{prefix}.{cls.name}" if prefix else cls.name
            self.classes.setdefault(fqn, Declared(fqn, cls, parsed.package, parsed.imports, source))
            self.by_simple.setdefault(cls.name, []).append(fqn)
            for nested in cls.nested:
                visit(nested, fqn)

        for cls in parsed.classes:
            visit(cls, parsed.package)

    def resolve(self, name: str, where: Declared) -> str | None:
        """The fully qualified name of a class named in `where`'s source, or None (not ours)."""
        name = re.sub(r"<.*", "", name).strip().split(" ")[-1]
        if not name or not name[0].isalpha():
            return None
        head, _, tail = name.partition(".")
        # nested classes of this class and its outer classes
        scope: str | None = where.fqn
        while scope:
            candidate = f"{scope}.{name}"
            if candidate in self.classes:
                return candidate
            scope = scope.rpartition(".")[0] if scope.rpartition(".")[0] != where.package else None
        for imported in where.imports:
            if imported.endswith("." + head):
                candidate = imported + ("." + tail if tail else "")
                return candidate if candidate in self.classes else (imported if not tail else None)
        candidate = f"{where.package}.{name}"
        if candidate in self.classes:
            return candidate
        for imported in where.imports:
            if imported.endswith(".*"):
                candidate = imported[:-1] + name
                if candidate in self.classes:
                    return candidate
        if name in self.classes:
            return name
        if tail:  # a member class inherited from a parent: `AbstractJdbcQuery.Output`
            owner = self.resolve(head, where)
            if owner in self.classes:
                for ancestor in self.ancestors(owner):
                    if f"{ancestor}.{tail}" in self.classes:
                        return f"{ancestor}.{tail}"
        return None

    def parents(self, declared: Declared) -> list[str]:
        out = []
        for name in declared.cls.extends + declared.cls.implements:
            fqn = self.resolve(name, declared)
            if fqn:
                out.append(fqn)
        # Kestra's own classes name io.kestra.core.models.Plugin even when the import is not ours
        return out

    def ancestors(self, fqn: str) -> list[str]:
        seen: list[str] = []
        stack = [fqn]
        while stack:
            current = stack.pop()
            declared = self.classes.get(current)
            if declared is None:
                continue
            for parent in self.parents(declared):
                if parent not in seen:
                    seen.append(parent)
                    stack.append(parent)
        return seen


# -- properties --------------------------------------------------------------------------------


def generic_args(type_text: str) -> tuple[str, list[str]]:
    type_text = re.sub(r"@[\w.]+(\([^)]*\))?", "", type_text).strip()
    if "<" not in type_text:
        return type_text, []
    outer = type_text[: type_text.index("<")]
    inner = type_text[type_text.index("<") + 1 : type_text.rindex(">")]
    return outer, J._type_list(inner)


def describe(type_text: str, world: World, where: Declared, refs: set[str]) -> tuple[str, bool]:
    """(JSON type descriptor, dynamic) of a Java type: string, integer, number, boolean, object,
    array, any, array<…>, map<…>, or ref:FQN for a class the catalogue describes."""
    type_text = type_text.strip()
    if type_text.endswith("[]"):
        inner, _ = describe(type_text[:-2], world, where, refs)
        return ("array" if inner == "any" else f"array<{inner}>"), False
    outer, args = generic_args(type_text)
    simple = outer.split(".")[-1]
    if simple == "Property" and args:
        inner, _ = describe(args[0], world, where, refs)
        return inner, True
    if simple in ("Optional", "AtomicReference") and args:
        return describe(args[0], world, where, refs)
    if simple in LISTS:
        inner = describe(args[0], world, where, refs)[0] if args else "any"
        return ("array" if inner == "any" else f"array<{inner}>"), False
    if simple in MAPS:
        inner = describe(args[-1], world, where, refs)[0] if len(args) == 2 else "any"
        return ("object" if inner == "any" else f"map<{inner}>"), False
    if simple in STRING:
        return "string", False
    if simple in INTEGER:
        return "integer", False
    if simple in NUMBER:
        return "number", False
    if simple in BOOLEAN:
        return "boolean", False
    if simple in ANY or "?" in simple or len(simple) == 1:
        return "any", False
    fqn = world.resolve(outer, where)
    if fqn is None:
        return "any", False
    refs.add(fqn)
    return f"ref:{fqn}", False


_STRINGS = re.compile(r'"((?:[^"\\]|\\.)*)"')


def strings_in(text: str) -> list[str]:
    return [json.loads(f'"{s}"') if "\\u" not in s else s for s in _STRINGS.findall(text)]


def _default(initializer: str | None):
    if not initializer:
        return None
    text = initializer.strip()
    m = re.fullmatch(
        r"(?:Property\.(?:ofValue|of|ofExpression)|new Property<>)\((.*)\)", text, re.S
    )
    if m:
        text = m.group(1).strip()
    if re.fullmatch(r'"(?:[^"\\]|\\.)*"', text):
        return strings_in(text)[0]
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+[lL]?", text):
        return int(text.rstrip("lL"))
    if re.fullmatch(r"-?\d+\.\d*[dDfF]?", text):
        return float(text.rstrip("dDfF"))
    m = re.fullmatch(r"Duration\.of(Millis|Seconds|Minutes|Hours|Days)\((\d+)[lL]?\)", text)
    if m:
        unit, amount = m.group(1), int(m.group(2))
        return {
            "Millis": f"PT{amount / 1000:g}S",
            "Seconds": f"PT{amount}S",
            "Minutes": f"PT{amount}M",
            "Hours": f"PT{amount}H",
            "Days": f"P{amount}D",
        }[unit]
    m = re.fullmatch(r"(?:[A-Z]\w*\.)+([A-Z][A-Z0-9_]*)", text)
    if m:
        return m.group(1)
    return None


def _is_enum(descriptor: str, world: World) -> bool:
    declared = world.classes.get(descriptor[4:]) if descriptor.startswith("ref:") else None
    return declared is not None and declared.cls.kind == "enum"


def _property(
    f: J.JavaField, world: World, where: Declared, refs: set[str]
) -> tuple[str, dict] | None:
    annotations = f.annotations
    if {"static", "transient"} & set(f.modifiers.split()) or "@JsonIgnore" in annotations.replace(
        "@JsonIgnoreProperties", ""
    ):
        return None
    name = f.name
    renamed = re.search(r"@JsonProperty\(\s*(?:value\s*=\s*)?\"([^\"]+)\"", annotations)
    if renamed:
        name = renamed.group(1)
    descriptor, dynamic = describe(f.type, world, where, refs)
    if "@JsonDeserialize" in annotations:
        descriptor = (
            "any"  # a custom reader accepts more than the declared type (labels as a map or a list)
        )
    entry: dict = {"t": descriptor}
    default = _default(f.initializer)
    bare_constant = re.fullmatch(
        r"(?:Property\.\w+\(|new Property<>\()?\s*[A-Z][A-Z0-9_]*\s*\)?",
        (f.initializer or "").strip(),
    )
    if default is not None and bare_constant and not _is_enum(descriptor, world):
        default = None  # a constant's name, not its value
    if re.search(r"@(NotNull|NotEmpty|NotBlank)\b", annotations) and f.initializer is None:
        entry["r"] = 1
    if (
        re.search(r"requiredMode\s*=\s*(Schema\.)?RequiredMode\.REQUIRED", annotations)
        and f.initializer is None
    ):
        entry["r"] = 1
    if dynamic or re.search(r"@PluginProperty\([^)]*dynamic\s*=\s*true", annotations):
        entry["dy"] = 1
    if default is not None:
        entry["df"] = default
    elif f.initializer is not None:
        entry["hd"] = 1  # a default Kestra computes: never required of the flow
    if re.search(r"@Deprecated\b", annotations) or re.search(r"deprecated\s*=\s*true", annotations):
        entry["dp"] = 1
    alias = re.search(r"@JsonAlias\(([^)]*)\)", annotations)
    if alias:
        entry["al"] = strings_in(alias.group(1))
    if f.origin == "getter":
        entry["g"] = 1  # declared on an interface: applies where a class implements it
    return name, entry


def class_entry(declared: Declared, world: World, refs: set[str]) -> dict:
    cls = declared.cls
    entry: dict = {}
    parents = world.parents(declared)
    if parents:
        entry["e"] = parents
        refs.update(parents)
    if cls.kind == "enum":
        entry["en"] = cls.constants
    if cls.abstract:
        entry["ab"] = 1
    subtypes = re.search(r"@JsonSubTypes\((.*)", cls.annotations, re.S)
    if subtypes:
        sub = {}
        for value, name in re.findall(
            r"value\s*=\s*([\w.]+)\.class\s*,\s*name\s*=\s*\"([^\"]+)\"", subtypes.group(1)
        ):
            fqn = world.resolve(value, declared)
            if fqn:
                sub[name] = fqn
                refs.add(fqn)
        for name, value in re.findall(
            r"name\s*=\s*\"([^\"]+)\"\s*,\s*value\s*=\s*([\w.]+)\.class", subtypes.group(1)
        ):
            fqn = world.resolve(value, declared)
            if fqn:
                sub[name] = fqn
                refs.add(fqn)
        if sub:
            entry["sub"] = sub
    props: dict[str, dict] = {}
    for f in cls.fields:
        if cls.kind == "interface" and f.origin == "field":
            continue  # an interface's fields are constants
        made = _property(f, world, declared, refs)
        if made is None:
            continue
        name, prop = made
        if name in props:  # a field and its setter: one property, deprecated if either says so
            props[name].update({k: v for k, v in prop.items() if k not in props[name]})
            continue
        props[name] = prop
    if props:
        entry["p"] = props
    if "@Deprecated" in cls.annotations:
        entry["dp"] = 1
    return entry
