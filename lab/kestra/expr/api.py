"""The public entry points: compile once, render in Kestra's string, typed and property modes."""

from __future__ import annotations

from typing import Any

from lab.kestra.expr import (
    calendar_functions,
    dates,
    filters,
    formats,
    functions,
    list_filters,
    number_filters,
)
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

_FILTERS = {
    **filters.FILTERS,
    **list_filters.FILTERS,
    **number_filters.FILTERS,
    **dates.FILTERS,
    "json": _json_filter,
    "jsonEncode": formats.to_json,
}
SINCE_2 = frozenset(  # names Kestra 2.0 brought: unknown to a flow run as Kestra 1.3
    {
        *calendar_functions.FUNCTIONS,
        "loopOutputs",
        "env",
        "regexMatch",
        "regexReplace",
        "regexExtract",
    }
)


def _since_2(kind: str, name: str, impl: Any) -> Any:
    """The implementation, refusing to run for a flow rendered as Kestra 1.3."""

    def check(ctx: Any) -> None:
        if not getattr(ctx.fx, "version", "1.3").startswith("2"):
            shown = f"{name}()" if kind == "function" else name
            raise ExpressionError(
                f"{kind} '{shown}' arrived in Kestra 2.0; this flow runs as Kestra 1.3",
                fix="set kestra_version: 2.0 (walab.yaml or the scenario), or write it without",
            )

    if kind == "function":

        def function(ctx: Any, *args: Any, **kwargs: Any) -> Any:
            check(ctx)
            return impl(ctx, *args, **kwargs)

        return function

    def filter_(ctx: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
        check(ctx)
        return impl(value, *args, **kwargs)

    filter_.needs_ctx = True  # type: ignore[attr-defined]
    return filter_


_FUNCTIONS = {**functions.FUNCTIONS, **dates.FUNCTIONS, **calendar_functions.FUNCTIONS}
for _name in SINCE_2 & set(_FUNCTIONS):
    _FUNCTIONS[_name] = _since_2("function", _name, _FUNCTIONS[_name])
for _name in SINCE_2 & set(_FILTERS):
    _FILTERS[_name] = _since_2("filter", _name, _FILTERS[_name])
_TESTS = dict(functions.TESTS)

SUPPORTED_FILTERS: frozenset[str] = frozenset(_FILTERS) | {"default"}
SUPPORTED_FUNCTIONS: frozenset[str] = frozenset(_FUNCTIONS)
SUPPORTED_TESTS: frozenset[str] = frozenset(_TESTS) | {"defined"}

_STORAGE = "it reads Kestra's internal storage"
NOT_RUN: dict[
    str, str
] = {  # Kestra's functions and filters the embedded engine leaves out, and why
    "fileURI": _STORAGE,
    "fileSize": _STORAGE,
    "fileExists": _STORAGE,
    "isFileEmpty": _STORAGE,
    "encrypt": "it needs the Kestra server's encryption key",
    "decrypt": "it needs the Kestra server's encryption key",
    "http": "it calls the network from an expression",
    "subflow": "it starts another execution from an expression",
    "fromIon": "Amazon Ion text is not read here (write JSON and use fromJson)",
    "isPublicHoliday": "it needs a public-holiday calendar",
}
_COMPILER = Compiler(_FILTERS, _FUNCTIONS, _TESTS, NOT_RUN)
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
