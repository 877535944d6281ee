"""Kestra's Pebble expression language for the embedded engine: compiled once, rendered fast, strict.

render(template, variables, functions=None) -> str        string mode
render_typed(template, variables, functions=None) -> Any  a lone {{ expr }} keeps its value
render_property(value, variables, functions=None) -> Any  maps/lists recursively, null stays None
"""

from lab.kestra.expr.api import (
    SUPPORTED_FILTERS,
    SUPPORTED_FUNCTIONS,
    SUPPORTED_TAGS,
    SUPPORTED_TESTS,
    compile_template,
    referenced_names,
    render,
    render_property,
    render_typed,
    unsupported_names,
)
from lab.kestra.expr.errors import ExpressionError
from lab.kestra.expr.functions import Functions

__all__ = [
    "ExpressionError",
    "Functions",
    "SUPPORTED_FILTERS",
    "SUPPORTED_FUNCTIONS",
    "SUPPORTED_TAGS",
    "SUPPORTED_TESTS",
    "compile_template",
    "referenced_names",
    "render",
    "render_property",
    "render_typed",
    "unsupported_names",
]
