"""Split a Pebble template into text, `{{ }}` prints and `{% %}` tags, and tokenize expressions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lab.kestra.expr.errors import ExpressionError

_START = re.compile(r"\{\{|\{%|\{#")
_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.S)
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>\d+\.\d+(?:[eE][-+]?\d+)?|\d+)
    | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op>\?\?\?|\?\?|\.\.|==|!=|<=|>=|[-+*/%~<>=|.,:?()\[\]{}!])
    )""",
    re.X,
)
_WS = re.compile(r"\s*")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # num, str, name, op, end
    value: str
    pos: int


@dataclass(slots=True)
class Segment:
    kind: str  # text, print, tag
    text: str = ""
    tokens: list[Token] | None = None
    pos: int = 0


def _unquote(literal: str) -> str:
    """A Pebble string literal's value: only the quote character and backslash are escapes."""
    quote, body = literal[0], literal[1:-1]
    if "\\" not in body:
        return body
    return re.sub(r"\\([\\" + quote + "])", r"\1", body)


def _tokens(template: str, pos: int, closer: str) -> tuple[list[Token], int, bool, bool]:
    """Tokens from pos up to the closing `}}` / `%}`; returns (tokens, end, trim_left, trim_right)."""
    trim_left = template.startswith("-", pos)
    if trim_left:
        pos += 1
    tokens: list[Token] = []
    depth = 0
    n = len(template)
    while True:
        pos = _WS.match(template, pos).end()
        if pos >= n:
            raise ExpressionError(
                f"unclosed '{{{closer[0]}': missing '{closer}'", expression=template
            )
        if depth == 0:
            if template.startswith(closer, pos):
                return tokens, pos + 2, trim_left, False
            if template.startswith("-" + closer, pos):
                return tokens, pos + 3, trim_left, True
        m = _TOKEN.match(template, pos)
        if not m or m.end() == pos:
            raise ExpressionError(
                f"unexpected character {template[pos]!r} at position {pos}", expression=template
            )
        kind = group = m.lastgroup
        value = m.group(kind)
        if kind == "str":
            if value[0] == '"' and "#{" in value:
                kind = "istr"  # Pebble string interpolation: "Hello #{name}"
            value = _unquote(value)
        elif kind == "op":
            if value in "([{":
                depth += 1
            elif value in ")]}":
                depth -= 1
        tokens.append(Token(kind, value, m.start(group)))
        pos = m.end()


def tokenize(expression: str) -> list[Token]:
    """The tokens of a bare expression (used for `#{...}` interpolations)."""
    return _tokens(expression + " }}", 0, "}}")[0]


def interpolation_parts(text: str) -> list[tuple[str, str]]:
    """`a #{x} b` -> [("text", "a "), ("expr", "x"), ("text", " b")], braces balanced."""
    parts: list[tuple[str, str]] = []
    pos = 0
    while True:
        start = text.find("#{", pos)
        if start < 0:
            break
        depth, i = 1, start + 2
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth:
            raise ExpressionError(f"unclosed '#{{' in string {text!r}")
        parts.append(("text", text[pos:start]))
        parts.append(("expr", text[start + 2 : i - 1]))
        pos = i
    parts.append(("text", text[pos:]))
    return [p for p in parts if p[1] or p[0] == "expr"]


def split(template: str) -> list[Segment]:
    """The template's segments, with `{%- raw %}` kept literal and `-` whitespace control applied."""
    out: list[Segment] = []
    pos = 0
    trim_next = False
    n = len(template)
    while pos < n:
        m = _START.search(template, pos)
        end = m.start() if m else n
        text = template[pos:end]
        if trim_next:
            text = text.lstrip()
        trim_next = False
        if m is None:
            if text:
                out.append(Segment("text", text))
            break
        opener = m.group()
        if opener == "{%":
            raw = _RAW.match(template, m.start())
            if raw:
                if text:
                    out.append(Segment("text", text))
                out.append(Segment("text", raw.group(1)))
                pos = raw.end()
                continue
        if opener == "{#":
            close = template.find("#}", m.end())
            if close < 0:
                raise ExpressionError("unclosed comment '{#': missing '#}'", expression=template)
            if text:
                out.append(Segment("text", text))
            pos = close + 2
            continue
        tokens, pos, trim_left, trim_next = _tokens(
            template, m.end(), "}}" if opener == "{{" else "%}"
        )
        if trim_left:
            text = text.rstrip()
        if text:
            out.append(Segment("text", text))
        if opener == "{{" and not tokens:
            raise ExpressionError("empty expression '{{ }}'", expression=template)
        out.append(Segment("print" if opener == "{{" else "tag", tokens=tokens, pos=m.start()))
    return out
