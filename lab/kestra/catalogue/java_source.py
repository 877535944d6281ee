"""A pragmatic reader of Java source for the plugin catalogue generator (never used at run time).

It does not parse Java; it finds what Kestra's plugin classes declare in a regular shape: the
package and imports, each class/interface/enum (nested ones too) with its annotations, `extends`
and `implements`, its fields with their annotations, type and initializer, its setters and, for
interfaces, its annotated getters; enum constants. Comments and text blocks are dropped first,
and braces inside annotation arguments or initializers are skipped by depth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_DECLARATION = re.compile(
    r"(?:^|[\s;}])((?:(?:public|protected|private|static|abstract|final|sealed|non-sealed|strictfp)\s+)*)"
    r"(class|interface|enum|record|@interface)\s+([A-Za-z_]\w*)"
)
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")


@dataclass(slots=True)
class JavaField:
    """One field, setter or interface getter: the Jackson property it makes."""

    name: str
    type: str
    annotations: str
    modifiers: str
    initializer: str | None = None
    origin: str = "field"  # field, setter, getter


@dataclass(slots=True)
class JavaClass:
    """One class, interface or enum as declared."""

    name: str
    kind: str  # class, interface, enum, record, @interface
    modifiers: str
    annotations: str
    extends: list[str]
    implements: list[str]
    fields: list[JavaField] = field(default_factory=list)
    nested: list["JavaClass"] = field(default_factory=list)
    constants: list[str] = field(default_factory=list)
    outer: "JavaClass | None" = None

    @property
    def abstract(self) -> bool:
        return "abstract" in self.modifiers.split() or self.kind != "class"


@dataclass(slots=True)
class JavaFile:
    package: str
    imports: list[str]
    classes: list[JavaClass]


def strip_comments_and_blocks(text: str) -> str:
    """The source without comments and with text blocks and char literals emptied; string
    literals are kept (annotation values and defaults are read from them)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            out.append(" ")
        elif text.startswith('"""', i):
            j = text.find('"""', i + 3)
            while j > 0 and text[j - 1] == "\\":
                j = text.find('"""', j + 1)
            i = n if j < 0 else j + 3
            out.append('""')
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif c == "'":
            j = i + 1
            while j < n and text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            out.append("' '")
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _skip_string(text: str, i: int) -> int:
    j = i + 1
    while j < len(text) and text[j] != '"':
        j += 2 if text[j] == "\\" else 1
    return j + 1


def _match(text: str, i: int, open_: str, close: str) -> int:
    """Index just past the bracket closing the one at i (strings skipped)."""
    depth, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i = _skip_string(text, i)
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def parse(text: str) -> JavaFile:
    clean = strip_comments_and_blocks(text)
    package = re.search(r"^\s*package\s+([\w.]+)\s*;", clean, re.M)
    imports = re.findall(r"^\s*import\s+(?:static\s+)?([\w.*]+)\s*;", clean, re.M)
    body_start = 0
    last_import = list(re.finditer(r"^\s*(?:package|import)\s[^;]*;", clean, re.M))
    if last_import:
        body_start = last_import[-1].end()
    classes = _members(clean, body_start, len(clean), None)[1]
    return JavaFile(package.group(1) if package else "", imports, classes)


def _split_annotations(member: str) -> tuple[str, str]:
    """(annotations, rest) of a member's text."""
    i, n = 0, len(member)
    annotations: list[str] = []
    while True:
        while i < n and member[i].isspace():
            i += 1
        if i < n and member[i] == "@" and not member.startswith("@interface", i):
            m = re.compile(r"@[\w.]+").match(member, i)
            if not m:
                break
            j = m.end()
            k = j
            while k < n and member[k].isspace():
                k += 1
            if k < n and member[k] == "(":
                j = _match(member, k, "(", ")")
            annotations.append(member[i:j])
            i = j
        else:
            break
    return " ".join(annotations), member[i:]


def _members(
    text: str, start: int, end: int, outer: JavaClass | None
) -> tuple[list[JavaField], list[JavaClass]]:
    """Fields and nested classes of the body text[start:end]."""
    fields: list[JavaField] = []
    classes: list[JavaClass] = []
    i = start
    member_start = i
    while i < end:
        c = text[i]
        if c == '"':
            i = _skip_string(text, i)
            continue
        if c == "(":
            i = _match(text, i, "(", ")")
            continue
        if c == ";":
            _field(text[member_start:i], fields, outer)
            i += 1
            member_start = i
            continue
        if c == "=" and text[i + 1 : i + 2] != "=" and text[i - 1 : i] not in ("!", "<", ">", "="):
            # an initializer: read to the ';' at depth 0 (braces of arrays and lambdas skipped)
            j = i + 1
            while j < end and text[j] != ";":
                if text[j] == '"':
                    j = _skip_string(text, j)
                    continue
                if text[j] in "({":
                    j = _match(text, j, text[j], ")" if text[j] == "(" else "}")
                    continue
                j += 1
            _field(text[member_start:i], fields, outer, initializer=text[i + 1 : j].strip())
            i = j + 1
            member_start = i
            continue
        if c == "{":
            close = _match(text, i, "{", "}")
            header = text[member_start:i]
            annotations, rest = _split_annotations(header)
            decl = _DECLARATION.search(" " + rest)
            if decl and "(" not in rest[: decl.start()]:
                cls = _class(rest, decl, annotations, outer)
                if cls.kind == "enum":
                    cls.constants = _enum_constants(text[i + 1 : close - 1])
                inner_start = i + 1
                if cls.kind == "enum":
                    semi = _top_level_semicolon(text, i + 1, close - 1)
                    inner_start = semi + 1 if semi is not None else close - 1
                cls.fields, cls.nested = _members(text, inner_start, close - 1, cls)
                if cls.kind == "record":
                    cls.fields = _record_components(rest, decl) + cls.fields
                classes.append(cls)
            else:
                _method(header, fields, outer)
            i = close
            member_start = i
            continue
        if c == "}":
            i += 1
            member_start = i
            continue
        i += 1
    return fields, classes


def _record_components(rest: str, decl: re.Match[str]) -> list[JavaField]:
    """A record's components: each is a property."""
    header = (" " + rest)[decl.end() :]
    start = header.find("(")
    if start < 0:
        return []
    inner = header[start + 1 : _match(header, start, "(", ")") - 1]
    out = []
    for component in _split_top_level(inner):
        annotations, typed = _split_annotations(component)
        m = re.match(
            r"^\s*([\w.$]+(?:\s*<.*>)?(?:\s*\[\s*\])*)\s+([A-Za-z_$][\w$]*)\s*$", typed, re.S
        )
        if m:
            out.append(JavaField(m.group(2), re.sub(r"\s", "", m.group(1)), annotations, ""))
    return out


def _split_top_level(text: str) -> list[str]:
    parts, current, i = [], [], 0
    depth = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            j = _skip_string(text, i)
            current.append(text[i:j])
            i = j
            continue
        if c in "(<{":
            depth += 1
        elif c in ")>}":
            depth -= 1
        if c == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    if "".join(current).strip():
        parts.append("".join(current))
    return parts


def _top_level_semicolon(text: str, start: int, end: int) -> int | None:
    i = start
    while i < end:
        c = text[i]
        if c == '"':
            i = _skip_string(text, i)
            continue
        if c in "({":
            i = _match(text, i, c, ")" if c == "(" else "}")
            continue
        if c == ";":
            return i
        i += 1
    return None


def _enum_constants(body: str) -> list[str]:
    semi = _top_level_semicolon(body, 0, len(body))
    head = body[:semi] if semi is not None else body
    names, current = [], []
    i = 0
    while i < len(head):
        c = head[i]
        if c == '"':
            j = _skip_string(head, i)
            i = j
            continue
        if c in "({":
            i = _match(head, i, c, ")" if c == "(" else "}")
            continue
        if c == ",":
            names.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    names.append("".join(current))
    out = []
    for raw in names:
        _annotations, rest = _split_annotations(raw)
        m = _IDENT.match(rest.strip())
        if m:
            out.append(m.group(0))
    return out


def _type_list(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for c in text:
        if c == "<":
            depth += 1
        elif c == ">":
            depth -= 1
        if c == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(c)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def _class(rest: str, decl: re.Match[str], annotations: str, outer: JavaClass | None) -> JavaClass:
    modifiers, kind, name = decl.group(1), decl.group(2), decl.group(3)
    tail = (" " + rest)[decl.end() :]
    if tail.lstrip().startswith("<"):
        k = tail.index("<")
        depth = 0
        for j in range(k, len(tail)):
            depth += tail[j] == "<"
            depth -= tail[j] == ">"
            if depth == 0:
                tail = tail[j + 1 :]
                break
    if kind == "record" and tail.lstrip().startswith("("):
        tail = tail[_match(tail, tail.index("("), "(", ")") :]
    extends = re.search(r"\bextends\s+(.*?)(?=\bimplements\b|\bpermits\b|$)", tail, re.S)
    implements = re.search(r"\bimplements\s+(.*?)(?=\bpermits\b|$)", tail, re.S)
    return JavaClass(
        name=name,
        kind=kind,
        modifiers=modifiers,
        annotations=annotations,
        extends=_type_list(extends.group(1)) if extends else [],
        implements=_type_list(implements.group(1)) if implements else [],
        outer=outer,
    )


_FIELD = re.compile(
    r"^((?:(?:public|protected|private|static|final|transient|volatile)\s+)*)"
    r"([\w.$]+(?:\s*<.*>)?(?:\s*\[\s*\])*)\s+([A-Za-z_$][\w$]*)\s*$",
    re.S,
)


def _field(
    member: str, fields: list[JavaField], outer: JavaClass | None, initializer: str | None = None
) -> None:
    annotations, rest = _split_annotations(member)
    rest = " ".join(rest.split())
    if not rest or outer is None:
        return
    if "(" in rest:  # an abstract or interface method: `Property<String> getUrl()`
        _method(member, fields, outer)
        return
    m = _FIELD.match(rest)
    if m:
        fields.append(
            JavaField(m.group(3), m.group(2).replace(" ", ""), annotations, m.group(1), initializer)
        )


_GETTER = re.compile(
    r"(?:^|\s)(?:(?:public|abstract|default)\s+)*([\w.$]+(?:<.*>)?(?:\[\])*)\s+(get|is)([A-Z]\w*)\s*\(\s*\)"
)
_SETTER = re.compile(
    r"(?:^|\s)(?:public\s+)?void\s+set([A-Z]\w*)\s*\(\s*(?:@[\w.]+(?:\([^)]*\))?\s+)*([\w.$]+(?:<.*>)?(?:\[\])*)\s+\w+\s*\)"
)


def _method(member: str, fields: list[JavaField], outer: JavaClass | None) -> None:
    if outer is None:
        return
    annotations, rest = _split_annotations(member)
    rest = " ".join(rest.split())
    setter = _SETTER.search(" " + rest)
    if setter and "static" not in rest.split("(")[0].split():
        name = setter.group(1)[0].lower() + setter.group(1)[1:]
        fields.append(
            JavaField(name, setter.group(2).replace(" ", ""), annotations, "", origin="setter")
        )
        return
    if outer.kind == "interface" and annotations:
        getter = _GETTER.search(" " + rest)
        if getter and "static" not in rest.split("(")[0].split():
            name = getter.group(3)[0].lower() + getter.group(3)[1:]
            fields.append(
                JavaField(name, getter.group(1).replace(" ", ""), annotations, "", origin="getter")
            )
