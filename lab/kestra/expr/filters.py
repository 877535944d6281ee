"""Pebble's and Kestra's filters on strings, numbers and collections (JSON, YAML, Ion and jq live in
`formats`, dates in `dates`)."""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import unicodedata
import urllib.parse
from typing import Any

from lab.kestra.expr import values as V
from lab.kestra.expr.errors import ExpressionError
from lab.kestra.expr.formats import jq, to_ion, to_json, to_yaml
from lab.kestra.expr.values import to_text


def _str(fn):
    """A string filter: null passes through as null, other values are converted to text first."""

    @functools.wraps(fn)
    def wrapper(value, *args, **kwargs):
        if value is None:
            return None
        return fn(value if isinstance(value, str) else to_text(value), *args, **kwargs)

    return wrapper


def abbreviate(value: Any, length: Any = None) -> Any:
    """AbbreviateFilter: cut to `length` characters ending in "..." (a text as long as `length` is cut
    too; a text of 3 characters or fewer, never; a length of 3 or less, without the dots)."""
    if value is None:
        return None
    text = value if isinstance(value, str) else to_text(value)
    if not isinstance(length, int) or isinstance(length, bool):
        raise ExpressionError(f"abbreviate needs an integer length, got {V.type_name(length)}")
    if length < 0:
        raise ExpressionError("Invalid argument to abbreviate filter; must be greater than zero")
    if len(text) < length or len(text) <= 3:
        return text
    if length <= 3:
        return text[:length]
    return text[: length - 3] + "..."


def _replace_text(s: str, pairs: dict, regexp: bool) -> str:
    for old, new in pairs.items():
        if regexp:
            s = _regex(to_text(old)).sub(java_replacement(to_text(new)), s)
        else:
            s = s.replace(to_text(old), to_text(new))
    return s


def _replace_in(value: Any, pairs: dict, regexp: bool) -> Any:
    """Strings inside maps and lists are replaced, other values turned to text first (ReplaceFilter)."""
    if isinstance(value, dict):
        return {k: _replace_in(v, pairs, regexp) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_replace_in(v, pairs, regexp) for v in value]
    return _replace_text(value if isinstance(value, str) else to_text(value), pairs, regexp)


def replace(value: Any, replace_pairs: Any = None, regexp: Any = False) -> Any:
    """Kestra's ReplaceFilter (it overrides Pebble's): a map of pairs, optionally regular expressions."""
    if value is None:
        return None
    if replace_pairs is None:
        raise ExpressionError("The argument 'replace_pairs' is required.")
    if not isinstance(replace_pairs, dict):
        raise ExpressionError(
            f"replace: 'replace_pairs' must be a map of text to replace, got "
            f"{V.type_name(replace_pairs)}",
            fix="write it as replace({'old': 'new'})",
        )
    return _replace_in(value, replace_pairs, regexp is True)


def java_replacement(text: str) -> str:
    """Java's `$1` group references -> Python's `\\g<1>`."""
    text = text.replace("\\", "\\\\")
    return re.sub(r"\$(\d+|\{(\w+)\})", lambda m: f"\\g<{m.group(2) or m.group(1)}>", text)


def split(value: Any, delimiter: Any = None, limit: Any = None) -> Any:
    """SplitFilter: Java's String.split, so the delimiter is a regular expression (`.` matches every
    character); without a limit trailing empty parts are dropped, a limit > 0 caps the parts."""
    if value is None:
        return None
    if delimiter is None:
        raise ExpressionError("missing delimiter parameter in split filter")
    text = value if isinstance(value, str) else to_text(value)
    pattern = _regex(to_text(delimiter))
    cap = int(limit) if V.is_number(limit) else 0
    parts: list[str] = []
    start = 0
    for m in pattern.finditer(text):
        if cap > 0 and len(parts) == cap - 1:
            break
        if m.end() == 0:  # a zero-width match at the start never makes an empty first part
            continue
        if m.start() == m.end() and m.start() >= len(text):
            break
        parts.append(text[start : m.start()])
        start = m.end()
    parts.append(text[start:])
    if cap == 0:
        while parts and parts[-1] == "" and len(parts) > 0:
            parts.pop()
        if not parts and not text:
            parts = [""]
    return parts


def slugify(s: str) -> str:
    text = unicodedata.normalize("NFD", s)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def _substring(before: bool, last: bool):
    def cut(s: str, separator: str) -> str:
        idx = s.rfind(separator) if last else s.find(separator)
        if idx < 0:
            return s if before else ""
        return s[:idx] if before else s[idx + len(separator) :]

    return _str(cut)


_ESCAPES = {"single": ("'", "\\'"), "double": ('"', '\\"'), "shell": ("'", "'\\''")}


def escape_char(value: Any, type: Any = None) -> Any:  # noqa: A002 - Pebble's argument name
    """EscapeCharFilter: the type is case-insensitive; strings inside maps and lists are escaped too."""
    if value is None:
        return None
    if type is None:
        raise ExpressionError("The 'escapeChar' filter expects an argument 'type'.")
    pair = _ESCAPES.get(str(type).lower())
    if pair is None:
        raise ExpressionError(
            "The 'escapeChar' filter expects the value of 'type' to be either 'single', 'double', "
            "or 'shell'."
        )
    return _escape_in(value, *pair)


def _escape_in(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        return {k: _escape_in(v, old, new) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_escape_in(v, old, new) for v in value]
    return (value if isinstance(value, str) else to_text(value)).replace(old, new)


def _lines_sep(s: str) -> str:
    """AbstractIndent's line separator: the first of CRLF, LFCR, LF, CR the text holds, else LF."""
    for sep in ("\r\n", "\n\r", "\n", "\r"):
        if sep in s:
            return sep
    return "\n"


def _indent(kind: str):
    """indent (every line but the first) and nindent (a new line first, then every line)."""

    def apply(value: Any, amount: Any = None, prefix: Any = " ") -> Any:
        if value is None:
            return None
        s = to_text(value)
        if not s:
            return s
        if amount is None or not isinstance(amount, int) or isinstance(amount, bool):
            raise ExpressionError(f"The '{kind}' filter expects an integer as argument 'amount'.")
        if amount < 0:
            raise ExpressionError(
                f"The '{kind}' filter expects a positive integer >=0 as argument 'amount'."
            )
        sep, pad = _lines_sep(s), to_text(prefix) * amount
        return (s if kind == "indent" else sep + s).replace(sep, sep + pad)

    return apply


indent = _indent("indent")
nindent = _indent("nindent")


def _affix(name: str):
    """startsWith / endsWith: the value and the argument as text (a null value is an error in Kestra)."""
    method = str.startswith if name == "startsWith" else str.endswith

    def test(value: Any, prefix: Any = None) -> bool:
        if value is None or prefix is None:
            raise ExpressionError(
                f"'{name}' needs a value and an argument, got {'null' if value is None else 'no argument'}",
                fix="guard the value: `(x ?? '') | " + name + "('...')`",
            )
        return method(to_text(value), to_text(prefix))

    return test


_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}


def escape(value: Any, strategy: Any = "html") -> Any:
    """Pebble's EscapeFilter (EscaperExtension), html strategy: & < > " ' as entities."""
    if value is None:
        return None
    if to_text(strategy) != "html":
        raise ExpressionError(
            f"escape strategy {strategy!r} is not supported by the embedded engine",
            fix="use the default html strategy",
        )
    text = value if isinstance(value, str) else to_text(value)
    return "".join(_HTML.get(c, c) for c in text)


def _url_encode(s: str) -> str:
    return urllib.parse.quote_plus(s, safe="*").replace("~", "%7E")


def _hash(algo: str):
    """ShaBaseFilter / Md5Filter: a string's hex digest; anything but a string is refused."""

    def digest(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ExpressionError(
                f"Need a string to hash (got {V.type_name(value)})",
                fix="turn the value into text first, e.g. `| toJson` or `| string`",
            )
        return hashlib.new(algo, value.encode()).hexdigest()

    return digest


# ----------------------------------------------------------------------------- base64, regex
def _base64decode(s: str) -> str:
    return base64.b64decode(s).decode("utf-8")


def _regex(pattern: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ExpressionError(f"Invalid regex {pattern!r}: {exc}") from None


def _required(name: str, value: Any) -> str:
    """The regex filters' (and ReplaceFilter's) required argument, as text."""
    if value is None:
        raise ExpressionError(f"The argument '{name}' is required.")
    return to_text(value)


def regex_match(value: Any, regex: Any = None) -> bool:
    """RegexMatchFilter: Matcher.find (anywhere in the text); null is false."""
    if value is None:
        return False
    return _regex(_required("regex", regex)).search(to_text(value)) is not None


def regex_replace(value: Any, regex: Any = None, replacement: Any = None) -> Any:
    """RegexReplaceFilter: every match replaced, `$1` naming a group."""
    if value is None:
        return None
    pattern = _regex(_required("regex", regex))
    return pattern.sub(java_replacement(_required("replacement", replacement)), to_text(value))


def regex_extract(value: Any, regex: Any = None, group: Any = None) -> Any:
    """RegexExtractFilter: the first match (or its `group`), null when nothing matches."""
    if value is None:
        return None
    m = _regex(_required("regex", regex)).search(to_text(value))
    if not m:
        return None
    index = int(group) if V.is_number(group) else 0
    try:
        return m.group(index)
    except IndexError:
        raise ExpressionError(
            f"No group {index}", fix=f"the regex has {m.re.groups} group(s)"
        ) from None


FILTERS: dict[str, Any] = {
    "upper": _str(str.upper),
    "lower": _str(str.lower),
    "trim": _str(str.strip),
    "capitalize": _str(lambda s: s[:1].upper() + s[1:]),
    "title": _str(lambda s: re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).upper(), s)),
    "abbreviate": abbreviate,
    "replace": replace,
    "split": split,
    "slugify": _str(slugify),
    "substringBefore": _substring(True, False),
    "substringBeforeLast": _substring(True, True),
    "substringAfter": _substring(False, False),
    "substringAfterLast": _substring(False, True),
    "startsWith": _affix("startsWith"),
    "endsWith": _affix("endsWith"),
    "escapeChar": escape_char,
    "indent": indent,
    "nindent": nindent,
    "base64encode": _str(lambda s: base64.b64encode(s.encode()).decode()),
    "base64decode": _str(_base64decode),
    "urlencode": _str(_url_encode),
    "urldecode": _str(urllib.parse.unquote_plus),
    "sha256": _hash("sha256"),
    "sha1": _hash("sha1"),
    "sha512": _hash("sha512"),
    "md5": _hash("md5"),
    "string": lambda v: None if v is None else to_text(v),
    "raw": lambda v: v,
    "escape": escape,
    "nl2br": _str(lambda s: s.replace("\n", "<br />")),  # Pebble's Nl2brFilter
    "toJson": to_json,
    "json": to_json,
    "jq": jq,
    "yaml": to_yaml,
    "toIon": to_ion,
    "className": V.java_class,
    "regexMatch": regex_match,
    "regexReplace": regex_replace,
    "regexExtract": regex_extract,
}
