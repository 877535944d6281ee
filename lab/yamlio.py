"""Safe YAML for the files people edit: errors name the file, the line and what is expected.

Every YAML the lab reads (flows, scenarios, cassettes, prompt headers, walab.yaml, templates) is
parsed by `parse` within `YamlLimits`: document size, nesting depth, the nodes aliases may add
(a 700-byte "billion laughs" expands to 10^9 nodes; an alias inside its own anchor never ends)
and integer size (Kestra reads flows into Java longs). A file past a limit is refused whole, at
the line where the limit was passed, before anything is built from it.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lab.errors import ConfigError

try:  # the C loader is several times faster; same safe constructor
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


@dataclass(frozen=True, slots=True)
class YamlLimits:
    """What one YAML document may hold; the defaults are far above any real flow or scenario
    (the bundled ones are under 70 kB and 13 levels deep)."""

    max_bytes: int = 16 * 1024 * 1024
    max_depth: int = 64
    max_alias_nodes: int = 100_000
    """How many nodes aliases may add to the document once expanded."""


DEFAULT_LIMITS = YamlLimits()
INT64 = 2**63
_INT_TEXT = 40  # characters: enough for any 64-bit integer in any YAML notation, with underscores


class YamlLimitExceeded(yaml.MarkedYAMLError):
    """The document passes a `YamlLimits` bound (or holds a value the lab cannot keep)."""

    def __init__(self, problem: str, mark: Any, fix: str) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.fix = fix


def _refuse(node: yaml.Node, problem: str, fix: str) -> YamlLimitExceeded:
    return YamlLimitExceeded(problem, node.start_mark, fix)


def _bounded_int(loader: Any, node: yaml.ScalarNode) -> int:
    text = str(node.value)
    if len(text) > _INT_TEXT:
        raise _refuse(
            node,
            f"an integer of {len(text)} characters is larger than the 64-bit integers "
            "Kestra and the lab keep",
            "write a number between -2^63 and 2^63-1, or quote it as text",
        )
    try:
        value = yaml.SafeLoader.construct_yaml_int(loader, node)
    except ValueError as exc:
        raise _refuse(
            node, f"not an integer: {exc}", "write a whole number, or quote it as text"
        ) from None
    if not -INT64 <= value < INT64:
        raise _refuse(
            node,
            f"the integer {text} is outside the 64-bit range Kestra and the lab keep",
            "write a number between -2^63 and 2^63-1, or quote it as text",
        )
    return value


def _checked(constructor: Any, what: str) -> Any:
    def construct(loader: Any, node: yaml.Node) -> Any:
        try:
            return constructor(loader, node)
        except (
            ValueError
        ) as exc:  # e.g. a timestamp 2026-13-45: Python refuses it, YAML's regex did not
            raise _refuse(
                node, f"not a valid {what}: {exc}", f"write a valid {what}, or quote it as text"
            ) from None

    return construct


def _unsupported(tag: str, instead: str) -> Any:
    def construct(loader: Any, node: yaml.Node) -> Any:
        raise _refuse(
            node, f"the tag {tag} makes a value JSON and Kestra have no place for", instead
        )

    return construct


class _BoundedLoader(_Loader):  # type: ignore[misc, valid-type]
    """The safe loader, with integers bounded and the tags JSON cannot carry refused."""


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _bounded_int)
_BoundedLoader.add_constructor(
    "tag:yaml.org,2002:float", _checked(yaml.SafeLoader.construct_yaml_float, "number")
)
_BoundedLoader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    _checked(yaml.SafeLoader.construct_yaml_timestamp, "date or timestamp"),
)
_BoundedLoader.add_constructor(
    "tag:yaml.org,2002:binary", _unsupported("!!binary", "write the data as base64 text")
)
_BoundedLoader.add_constructor("tag:yaml.org,2002:set", _unsupported("!!set", "write a list"))


def parse(text: str, limits: YamlLimits = DEFAULT_LIMITS, *, loader: type | None = None) -> Any:
    """Parse one YAML document within `limits`; raises yaml.YAMLError (YamlLimitExceeded past a limit).
    `loader`: a subclass of the bounded loader with its own construction rules (Kestra's, for flows)."""
    size = len(text)
    if (
        size > limits.max_bytes // 4
        and len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes
    ):
        raise YamlLimitExceeded(
            f"the document is larger than {_megabytes(limits.max_bytes)}",
            None,
            "split it into smaller files",
        )
    try:
        loader = (loader or _BoundedLoader)(text)
    except UnicodeEncodeError as exc:  # the C reader encodes to UTF-8 first
        line = text.count("\n", 0, exc.start)
        column = exc.start - (text.rfind("\n", 0, exc.start) + 1)
        raise YamlLimitExceeded(
            f"{text[exc.start]!r} is a lone UTF-16 surrogate, not a character",
            yaml.Mark("<text>", exc.start, line, column, None, None),
            "remove it, or write the character it was meant to be",
        ) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "&" in text:  # an anchor, so maybe aliases: measure the expansion
            _measure(node, limits)
        else:
            _check_depth(node, 1, limits.max_depth)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n} bytes"


def _measure(root: yaml.Node, limits: YamlLimits) -> None:
    """Refuse a node graph whose expansion (aliases followed) is too deep, too big or endless.

    One pass over the distinct nodes, iterative (no recursion limit), each node's expanded size and
    depth kept once: a bomb is measured in microseconds without being expanded.
    """
    measured: dict[int, tuple[int, int]] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if isinstance(node, yaml.ScalarNode):
            measured[key] = (1, 0)
            continue
        children = _children(node)
        if children_done:
            size, depth = 1, 0
            for child in children:
                child_size, child_depth = measured[id(child)]
                size += child_size
                depth = max(depth, child_depth)
            depth += 1
            if (
                size - len(measured) > limits.max_alias_nodes
            ):  # only aliases make a subtree outgrow the nodes seen
                raise _refuse(
                    node,
                    f"aliases expand this collection to {size:,} nodes, more than the "
                    f"{limits.max_alias_nodes:,} they may add (an alias bomb?)",
                    "write the repeated values out, or reuse fewer anchors",
                )
            if depth > limits.max_depth:
                raise _refuse(
                    node,
                    f"nesting deeper than {limits.max_depth} levels starts here",
                    "flatten the structure (the lab reads at most that many levels)",
                )
            measured[key] = (size, depth)
            open_nodes.discard(key)
            continue
        if key in measured:
            continue
        if key in open_nodes:  # reached again from inside itself
            raise _refuse(
                node,
                "an alias refers to the collection that contains it: expanding it never ends",
                "replace that alias with the values it should hold",
            )
        open_nodes.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise _refuse(
                    child,
                    "an alias refers to the collection that contains it: expanding it never "
                    "ends",
                    "replace that alias with the values it should hold",
                )
            if id(child) not in measured:
                stack.append((child, False))


def _check_depth(node: yaml.Node, depth: int, limit: int) -> None:
    """Refuse a tree (no aliases) deeper than `limit`: recursion stops at the limit."""
    if depth > limit:
        raise _refuse(
            node,
            f"nesting deeper than {limit} levels starts here",
            "flatten the structure (the lab reads at most that many levels)",
        )
    if node.__class__ is yaml.SequenceNode:
        for child in node.value:
            if child.__class__ is not yaml.ScalarNode:
                _check_depth(child, depth + 1, limit)
    elif node.__class__ is yaml.MappingNode:
        for key, value in node.value:
            if key.__class__ is not yaml.ScalarNode:
                _check_depth(key, depth + 1, limit)
            if value.__class__ is not yaml.ScalarNode:
                _check_depth(value, depth + 1, limit)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    return [part for pair in node.value for part in pair]


class _BlockDumper(yaml.SafeDumper):
    """SafeDumper that writes multi-line strings as `|` blocks (readable diffs)."""


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_BlockDumper.add_representer(str, _str_representer)


def loads(text: str, *, source: str = "<string>", limits: YamlLimits = DEFAULT_LIMITS) -> Any:
    """Parse YAML text safely within `limits`; a syntax error or a passed limit becomes a
    ConfigError naming source and line."""
    try:
        return parse(text, limits)
    except YamlLimitExceeded as exc:
        line, column, message = explain(exc)
        at = f":{line}:{column}" if line is not None else ""
        raise ConfigError(
            f"{source} is refused: {message}", where=f"{source}{at}", fix=exc.fix
        ) from None
    except yaml.MarkedYAMLError as exc:
        line, column, message = explain(exc)
        at = f":{line}:{column}" if line is not None else ""
        raise ConfigError(
            f"{source} is not valid YAML: {message}",
            where=f"{source}{at}",
            fix="fix the YAML syntax at that line (indentation, quotes, a missing ':')",
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source} is not valid YAML: {exc}", where=source) from None


def explain(exc: yaml.MarkedYAMLError) -> tuple[int | None, int | None, str]:
    """(1-based line, column, message) of a YAML syntax error, at the place a person must fix.

    An unclosed quote or bracket is reported by PyYAML where the text ends (often past the last
    line); the fix belongs where the construct was opened, so that line is named instead.
    """
    problem = exc.problem or str(exc)
    mark, ctx = exc.problem_mark, exc.context_mark
    unclosed = (
        ctx is not None
        and mark is not None
        and ctx.line != mark.line
        and (
            "end of stream" in problem
            or (exc.context or "").startswith(("while scanning a quoted", "while parsing a flow"))
        )
    )
    if unclosed:
        return (
            ctx.line + 1,
            ctx.column + 1,
            (
                f"{problem} ({exc.context} that starts here and is never closed: a missing quote or bracket?)"
            ),
        )
    if mark is None:
        return None, None, problem
    return mark.line + 1, mark.column + 1, problem


def load(path: str | os.PathLike[str], limits: YamlLimits = DEFAULT_LIMITS) -> Any:
    """Read and safely parse a YAML file within `limits`."""
    p = Path(path)
    return loads(read_text(p, limits.max_bytes), source=str(p), limits=limits)


def read_text(path: Path, max_bytes: int = DEFAULT_LIMITS.max_bytes) -> str:
    """A file people edit, as UTF-8 text; a missing, unreadable, oversized or non-UTF-8 file is a
    ConfigError that says where and what to do."""
    try:
        if path.stat().st_size > max_bytes:
            raise ConfigError(
                f"{path} is larger than {_megabytes(max_bytes)}",
                where=str(path),
                fix="split it into smaller files",
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"file not found: {path}", where=str(path), fix="check the path"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"{path} cannot be read: {exc.strerror or exc}",
            where=str(path),
            fix="check that it is a file you can read",
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{path} is not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line}",
            where=f"{path}:{line}",
            fix="save the file as UTF-8",
        ) from None


def line_of(text: str, key_path: list[str | int]) -> int | None:
    """Best-effort 1-based line of a key path inside YAML text (for error messages)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except (yaml.YAMLError, UnicodeEncodeError):
        return None
    return line_in(node, key_path)


def line_in(node: Any, key_path: list[str | int]) -> int | None:
    """The 1-based line of a key path in a composed document (compose once, ask many times)."""
    if node is None:
        return None
    for key in key_path:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == key:
                    node = v
                    break
            else:
                return node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
    return node.start_mark.line + 1 if node is not None else None


def dumps(data: Any) -> str:
    """Dump data as diff-friendly YAML (key order kept, block strings)."""
    return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)


def write_atomic(path: str | os.PathLike[str], text: str, *, durable: bool = True) -> None:
    """Write text to path by atomic replace: a crash leaves the old file or the new one.
    `durable=False` skips the fsync: for files a batch writes again if it is run again."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(p)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        os.fchmod(
            fd, mode
        )  # mkstemp makes 0600: keep the file's own mode, or the umask's for a new file
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(p: Path) -> int:
    """Permission bits the written file should have: the existing file's, else 0666 minus the umask."""
    try:
        return p.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
