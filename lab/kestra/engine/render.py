"""The engine's one door to Kestra's Pebble (`lab.kestra.expr`): render, typed and property modes.

Strings without an expression are returned untouched, so constant properties cost nothing; the
expression package compiles and caches templates itself.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

_expr: Any = None


def expr() -> Any:
    """The expression package (imported on first use)."""
    global _expr
    if _expr is None:
        _expr = importlib.import_module("lab.kestra.expr")
    return _expr


def has_expression(text: str) -> bool:
    return "{{" in text or "{%" in text


def make_functions(
    *,
    kv: Callable[..., Any],
    secret: Callable[..., Any],
    read: Callable[..., Any],
    now: Callable[[], Any],
) -> Any:
    """The callbacks the expression functions kv(), secret(), read() and now() use."""
    return expr().Functions(kv=kv, secret=secret, read=read, now=now)


def render_str(value: Any, variables: dict[str, Any], functions: Any = None) -> str:
    """String mode: the result is text (null renders as "", maps/lists as JSON)."""
    if isinstance(value, str):
        if not has_expression(value):
            return value
        return expr().render(value, variables, functions)
    if value is None:
        return ""
    if isinstance(
        value, bool
    ):  # a YAML boolean in a String property: Jackson coerces it to "true"/"false"
        return "true" if value else "false"
    return expr().render(
        str(value) if not isinstance(value, (dict, list)) else _json(value), variables, functions
    )


def render_typed(value: Any, variables: dict[str, Any], functions: Any = None) -> Any:
    """Typed mode: a lone `{{ expr }}` keeps its native value; other strings render as text."""
    if isinstance(value, str):
        if not has_expression(value):
            return value
        return expr().render_typed(value, variables, functions)
    return render_property(value, variables, functions)


def render_property(value: Any, variables: dict[str, Any], functions: Any = None) -> Any:
    """Property mode: strings rendered, maps and lists recursively, other values as they are."""
    if isinstance(value, str):
        if not has_expression(value):
            return value
        return expr().render_property(value, variables, functions)
    if isinstance(value, dict):
        return {
            render_str(k, variables, functions) if isinstance(k, str) else k: render_property(
                v, variables, functions
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [render_property(v, variables, functions) for v in value]
    return value


def referenced_names(template: str) -> Any:
    """What a template refers to (variables, filters, functions); raises ExpressionError on bad syntax."""
    return expr().referenced_names(template)


def is_expression_error(exc: BaseException) -> bool:
    try:
        return isinstance(exc, expr().ExpressionError)
    except ImportError:
        return False


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
