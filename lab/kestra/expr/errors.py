"""The error every expression problem surfaces as: what is wrong, in which expression, what to do."""

from __future__ import annotations

from lab.errors import LabError


class ExpressionError(LabError):
    """A Pebble expression could not be compiled or rendered.

    Args:
        what: what is wrong (e.g. "variable 'foo' is not defined").
        expression: the template being rendered, shown as `where`.
        fix: a hint, when one helps.
    """

    def __init__(self, what: str, *, expression: str | None = None, fix: str | None = None) -> None:
        self.expression = expression
        where = f"expression {expression!r}" if expression is not None else None
        super().__init__(what, where=where, fix=fix)

    def with_expression(self, expression: str) -> "ExpressionError":
        """The same error, naming the template it happened in (kept if already named)."""
        if self.expression is not None:
            return self
        return ExpressionError(self.what, expression=expression, fix=self.fix)
