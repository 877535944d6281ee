"""Safe YAML for the files people edit: errors name the file, the line and what is expected."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from lab.errors import ConfigError

try:  # the C loader is several times faster; same safe constructor
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


class _BlockDumper(yaml.SafeDumper):
    """SafeDumper that writes multi-line strings as `|` blocks (readable diffs)."""


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_BlockDumper.add_representer(str, _str_representer)


def loads(text: str, *, source: str = "<string>") -> Any:
    """Parse YAML text safely; a syntax error becomes a ConfigError naming source and line."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - safe loader
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
    unclosed = ctx is not None and mark is not None and ctx.line != mark.line and (
        "end of stream" in problem or (exc.context or "").startswith(("while scanning a quoted", "while parsing a flow")))
    if unclosed:
        return ctx.line + 1, ctx.column + 1, (
            f"{problem} ({exc.context} that starts here and is never closed: a missing quote or bracket?)")
    if mark is None:
        return None, None, problem
    return mark.line + 1, mark.column + 1, problem


def load(path: str | os.PathLike[str]) -> Any:
    """Read and safely parse a YAML file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"file not found: {p}", where=str(p), fix="check the path") from None
    return loads(text, source=str(p))


def line_of(text: str, key_path: list[str | int]) -> int | None:
    """Best-effort 1-based line of a key path inside YAML text (for error messages)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
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


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write text to path by atomic replace: a crash leaves the old file or the new one."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(p)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600: keep the file's own mode, or the umask's for a new file
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
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
