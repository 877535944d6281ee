"""The public entry points: compile once, render in Kestra's string, typed and property modes."""

from __future__ import annotations

from typing import Any

from lab.kestra.expr import calendar_functions, dates, filters, formats, functions
from lab.kestra.expr.compiler import Compiler
from lab.kestra.expr.errors import ExpressionError
from lab.kestra.expr.functions import Functions
from lab.kestra.expr.template import SUPPORTED_TAGS, Template, cached, names_in, parse_template
from lab.kestra.expr.values import to_text


def _json_filter(ctx: Any, value: Any) -> str:
    if getattr(ctx.fx, "version", "1.3").startswith("2"):
        raise ExpressionError("the json filter was removed in Kestra 2.0", fix="use | toJson")
    return formats.to_json(value)


_json_filter.needs_ctx = True  # type: ignore[attr-defined]

_FILTERS = {**filters.FILTERS, **dates.FILTERS, "json": _json_filter, "jsonEncode": formats.to_json}
_FUNCTIONS = {**functions.FUNCTIONS, **dates.FUNCTIONS, **calendar_functions.FUNCTIONS}
_TESTS = dict(functions.TESTS)

SUPPORTED_FILTERS: frozenset[str] = frozenset(_FILTERS) | {"default"}
SUPPORTED_FUNCTIONS: frozenset[str] = frozenset(_FUNCTIONS)
SUPPORTED_TESTS: frozenset[str] = frozenset(_TESTS) | {"defined"}

_COMPILER = Compiler(_FILTERS, _FUNCTIONS, _TESTS)
_compile = cached(_COMPILER)
_DEFAULT_FUNCTIONS = Functions()


def compile_template(template: str) -> Template:
    """The compiled template (cached by string); raises ExpressionError on syntax or unknown names."""
    return _compile(template)


def render(template: str, variables: dict, functions: Functions | None = None) -> str:
    """Kestra string mode: the text of the rendered template (`null` -> "", maps/lists -> JSON)."""
    return _compile(template).render(variables, functions or _DEFAULT_FUNCTIONS)


def render_typed(template: str, variables: dict, functions: Functions | None = None) -> Any:
    """Kestra typed mode: a lone `{{ expr }}` keeps its native value."""
    return _compile(template).render_typed(variables, functions or _DEFAULT_FUNCTIONS)


def render_property(value: Any, variables: dict, functions: Functions | None = None) -> Any:
    """A task property: strings rendered (a lone expression giving null stays None), maps/lists recursively."""
    fx = functions or _DEFAULT_FUNCTIONS
    if isinstance(value, str):
        compiled = _compile(value)
        if compiled.single is not None:
            result = compiled.evaluate(variables, fx)
            return None if result is None else to_text(result)
        return compiled.render(variables, fx)
    if isinstance(value, dict):
        return {
            render_property(k, variables, fx) if isinstance(k, str) else k: render_property(
                v, variables, fx
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [render_property(v, variables, fx) for v in value]
    return value


def referenced_names(template: str) -> set[str]:
    """Filters, functions and tests a template uses (macros it defines excluded), for validation."""
    found_filters, found_functions, found_tests, macros = names_in(parse_template(template))
    return found_filters | (found_functions - macros) | found_tests


def unsupported_names(template: str) -> set[str]:
    """The names `referenced_names` finds that this engine does not implement."""
    found_filters, found_functions, found_tests, macros = names_in(parse_template(template))
    return (
        (found_filters - SUPPORTED_FILTERS)
        | (found_functions - macros - SUPPORTED_FUNCTIONS)
        | (found_tests - SUPPORTED_TESTS)
    )


__all__ = [
    "render",
    "render_typed",
    "render_property",
    "compile_template",
    "referenced_names",
    "unsupported_names",
    "SUPPORTED_FILTERS",
    "SUPPORTED_FUNCTIONS",
    "SUPPORTED_TESTS",
    "SUPPORTED_TAGS",
]
