"""Expression AST -> Python closures `f(ctx) -> value`, with Pebble's strict-undefined semantics."""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from lab.kestra.expr import values as V
from lab.kestra.expr.errors import ExpressionError
from lab.kestra.expr.operators import BINARY_OPS
from lab.kestra.expr.values import Undefined

Fn = Callable[[Any], Any]
_MISSING = object()


class Ctx:
    """One rendering: the variables in scope, the engine's functions, and template-level state."""

    __slots__ = ("vars", "fx", "depth", "blocks", "macros")
    outer: "Ctx | None" = None  # set on loop scopes only (see _LoopCtx): keeps the common Ctx cheap
    locals: "set[str] | frozenset[str]" = frozenset()

    def __init__(
        self,
        variables: dict,
        fx: Any,
        depth: int = 0,
        blocks: dict | None = None,
        macros: dict | None = None,
    ) -> None:
        self.vars = variables
        self.fx = fx
        self.depth = depth
        self.blocks = blocks
        self.macros = macros

    def child(self, variables: dict, local_names: frozenset[str] | None = None) -> "Ctx":
        """A nested scope (a loop body): `set` of a name it does not own also updates the outer scope."""
        if local_names is None:
            return Ctx(variables, self.fx, self.depth, self.blocks, self.macros)
        inner = _LoopCtx(variables, self.fx, self.depth, self.blocks, self.macros)
        inner.outer, inner.locals = self, set(local_names)
        return inner

    def assign(self, name: str, value: Any) -> None:
        """`{% set %}` as Pebble's scope chain does it: the scope that owns the name gets the value."""
        if self.outer is not None and name not in self.vars:
            self.locals.add(name)  # a new name belongs to the innermost scope
        scope: Ctx | None = self
        while scope is not None:
            scope.vars[name] = value
            if name in scope.locals:
                return
            scope = scope.outer


class _LoopCtx(Ctx):
    """A loop body's scope: knows its outer scope and the names it owns."""

    __slots__ = ("outer", "locals")


def describe(node: tuple) -> str:
    """Source-like text of an expression node, for error messages."""
    kind = node[0]
    if kind == "name":
        return node[1]
    if kind == "lit":
        return json.dumps(node[1]) if isinstance(node[1], str) else V.to_text(node[1]) or "null"
    if kind == "attr":
        return f"{describe(node[1])}.{node[2]}"
    if kind == "item":
        return f"{describe(node[1])}[{describe(node[2])}]"
    if kind == "call":
        return f"{node[1]}(...)"
    if kind == "filter":
        return f"{describe(node[1])} | {node[2]}"
    return "(expression)"


def get_key(obj: Any, key: Any, where: Callable[[], str]) -> Any:
    """`obj.key` / `obj[key]`: a map entry or list item; anything else is undefined (strict)."""
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        if isinstance(key, (int, float)) and not isinstance(key, bool) and str(key) in obj:
            return obj[str(key)]
        raise Undefined(lambda: f"'{key}' is not defined in {where()} (keys: {_keys(obj)})")
    if isinstance(obj, (list, tuple)):
        idx = key
        if isinstance(key, str) and key.isdigit():
            idx = int(key)
        if isinstance(idx, int) and not isinstance(idx, bool) and 0 <= idx < len(obj):
            return obj[idx]
        raise Undefined(
            lambda: f"index {key!r} is out of range of {where()} (a list of {len(obj)} items)"
        )
    if obj is None:
        raise Undefined(lambda: f"cannot read '{key}' of {where()}: it is null")
    raise Undefined(lambda: f"'{key}' is not defined on {where()} ({V.type_name(obj)})")


def _keys(obj: dict) -> str:
    names = list(obj)[:8]
    more = ", ..." if len(obj) > 8 else ""
    return ", ".join(map(str, names)) + more if names else "none"


def _lookup(name: str) -> Fn:
    def lookup(ctx: Ctx) -> Any:
        value = ctx.vars.get(name, _MISSING)
        if value is _MISSING:
            raise Undefined(f"variable '{name}' is not defined")
        return value

    return lookup


def _path(root: str, keys: tuple) -> Fn:
    """A chain `a.b[0].c` with constant keys, resolved in one loop (the hot path of task properties)."""

    def path(ctx: Ctx) -> Any:
        value = ctx.vars.get(root, _MISSING)
        if value is _MISSING:
            raise Undefined(f"variable '{root}' is not defined")
        for i, key in enumerate(keys):
            if type(value) is dict:
                nxt = value.get(key, _MISSING)
                if nxt is not _MISSING:
                    value = nxt
                    continue
            elif type(value) is list and type(key) is int and 0 <= key < len(value):
                value = value[key]
                continue
            value = get_key(value, key, lambda i=i: _where(root, keys[:i]))
        return value

    return path


def _fast_path(root: str, keys: tuple) -> Fn:
    """The same lookup with plain indexing (2-4x faster); any miss re-walks with `_path` for the exact
    value or the exact error, except a missing map key, the usual miss (`a.b ?? 'x'`), which raises
    `_path`'s Undefined at once. Integer steps check for a list first, because Python would happily
    index a string where Pebble finds nothing."""
    slow = _path(root, keys)
    misses = (IndexError, TypeError, AttributeError)
    if all(isinstance(k, str) for k in keys):

        def path(ctx: Ctx) -> Any:
            value = ctx.vars
            try:
                value = value[root]
                for key in keys:
                    value = value[key]
                return value
            except KeyError:
                if value is not ctx.vars and type(value) is dict and type(key) is str:
                    raise _missing_key(root, keys, ctx.vars[root], value, key) from None
                return slow(ctx)
            except misses:
                return slow(ctx)

        return path
    steps = tuple((key, isinstance(key, int)) for key in keys)

    def indexed_path(ctx: Ctx) -> Any:
        value = ctx.vars
        try:
            value = value[root]
            for key, is_index in steps:
                if is_index and type(value) is not list:
                    return slow(ctx)
                value = value[key]
            return value
        except KeyError:
            if value is not ctx.vars and type(value) is dict and type(key) is str:
                raise _missing_key(root, keys, ctx.vars[root], value, key) from None
            return slow(ctx)
        except misses:
            return slow(ctx)

    return indexed_path


def _missing_key(root: str, keys: tuple, start: Any, obj: dict, key: str) -> Undefined:
    """`get_key`'s Undefined for `key` missing from the map `obj` met on the path; the step it failed
    at is found only if the message is read (`??` and `default` never read it)."""

    def message() -> str:
        value, at = start, len(keys)
        for i, k in enumerate(keys):
            if value is obj and k == key:
                at = i
                break
            value = value[k]
        return f"'{key}' is not defined in {_where(root, keys[:at])} (keys: {_keys(obj)})"

    return Undefined(message)


def _where(root: str, keys: tuple) -> str:
    return root + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys)


def _const_path(node: tuple) -> tuple[str, tuple] | None:
    keys: list = []
    while node[0] in ("attr", "item"):
        key = node[2]
        if node[0] == "item":
            if key[0] != "lit" or not isinstance(key[1], (str, int)) or isinstance(key[1], bool):
                return None
            key = key[1]
        keys.append(key)
        node = node[1]
    if node[0] != "name":
        return None
    return node[1], tuple(reversed(keys))


class Compiler:
    """Compiles expression nodes; `filters`, `functions`, `tests` map names to implementations."""

    def __init__(
        self, filters: dict, functions: dict, tests: dict, not_run: dict | None = None
    ) -> None:
        self.filters = filters
        self.functions = functions
        self.tests = tests
        self.not_run = not_run or {}  # Kestra's names this engine does not run -> why

    def _unknown(self, kind: str, name: str) -> ExpressionError:
        shown = f"{name}()" if kind == "function" else name
        reason = self.not_run.get(name)
        if reason:
            return ExpressionError(
                f"{kind} '{shown}' exists in Kestra but the embedded engine does not run it: {reason}",
                fix="run this flow on a real Kestra (walab deploy --kestra URL)",
            )
        return ExpressionError(
            f"unknown {kind} '{shown}'",
            fix="check the spelling; if Kestra has it, run the flow on a real Kestra",
        )

    def compile(self, node: tuple) -> Fn:
        return getattr(self, "c_" + node[0])(node)

    def c_lit(self, node: tuple) -> Fn:
        value = node[1]
        return lambda ctx: value

    def c_name(self, node: tuple) -> Fn:
        return _lookup(node[1])

    def c_attr(self, node: tuple) -> Fn:
        const = _const_path(node)
        if const:
            return _fast_path(*const)
        obj, key, text = self.compile(node[1]), node[2], describe(node[1])
        return lambda ctx: get_key(obj(ctx), key, lambda: text)

    def c_item(self, node: tuple) -> Fn:
        const = _const_path(node)
        if const:
            return _fast_path(*const)
        obj, key, text = self.compile(node[1]), self.compile(node[2]), describe(node[1])
        return lambda ctx: get_key(obj(ctx), key(ctx), lambda: text)

    def c_list(self, node: tuple) -> Fn:
        items = [self.compile(n) for n in node[1]]
        return lambda ctx: [item(ctx) for item in items]

    def c_map(self, node: tuple) -> Fn:
        pairs = [
            (
                self.compile(k) if k[0] != "name" else (lambda ctx, k=k: _map_key(ctx, k[1])),
                self.compile(v),
            )
            for k, v in node[1]
        ]
        return lambda ctx: {k(ctx): v(ctx) for k, v in pairs}

    def c_not(self, node: tuple) -> Fn:
        inner = self.compile(node[1])
        return lambda ctx: not V.truthy(inner(ctx))

    def c_neg(self, node: tuple) -> Fn:
        inner = self.compile(node[1])
        return lambda ctx: -V.as_number(inner(ctx), "unary '-'")

    def c_tern(self, node: tuple) -> Fn:
        cond, yes, no = (self.compile(n) for n in node[1:])
        return lambda ctx: yes(ctx) if V.truthy(cond(ctx)) else no(ctx)

    def c_test(self, node: tuple) -> Fn:
        _, subject, name, args, negate = node
        value = self.compile(subject)
        arg_fns = [self.compile(a) for a in args]
        if name == "defined":

            def defined(ctx: Ctx) -> bool:
                try:
                    value(ctx)
                except Undefined:
                    return negate
                return not negate

            return defined
        test = self.tests.get(name)
        if test is None:
            raise ExpressionError(
                f"unknown test 'is {name}'", fix=f"supported tests: {', '.join(sorted(self.tests))}"
            )
        return lambda ctx: test(value(ctx), *[a(ctx) for a in arg_fns]) != negate

    def c_bin(self, node: tuple) -> Fn:
        _, op, lnode, rnode = node
        left, right = self.compile(lnode), self.compile(rnode)
        if op == "??":

            def coalesce(ctx: Ctx) -> Any:
                try:
                    value = left(ctx)
                except Undefined:
                    return right(ctx)
                return right(ctx) if value is None else value

            return coalesce
        if op == "???":

            def undefined_coalesce(ctx: Ctx) -> Any:
                try:
                    return left(ctx)
                except Undefined:
                    return right(ctx)

            return undefined_coalesce
        if op == "and":
            return lambda ctx: V.truthy(left(ctx)) and V.truthy(right(ctx))
        if op == "or":
            return lambda ctx: V.truthy(left(ctx)) or V.truthy(right(ctx))
        if op == "~":  # ConcatenateExpression: toString of each side, a null side left out
            return lambda ctx: _concat_text(left(ctx)) + _concat_text(right(ctx))
        fn = BINARY_OPS[op]
        return lambda ctx: fn(left(ctx), right(ctx))

    def c_filter(self, node: tuple) -> Fn:
        _, subject, name, args, kwargs = node
        value = self.compile(subject)
        arg_fns = [self.compile(a) for a in args]
        kw_fns = {k: self.compile(v) for k, v in kwargs.items()}
        if name == "default":
            fallback = arg_fns[0] if arg_fns else kw_fns.get("default", lambda ctx: None)

            def default(ctx: Ctx) -> Any:
                try:
                    got = value(ctx)
                except Undefined:
                    return fallback(ctx)
                return fallback(ctx) if V.is_empty(got) else got

            return default
        impl = self.filters.get(name)
        if impl is None:
            raise self._unknown("filter", name)
        needs_ctx = getattr(impl, "needs_ctx", False)

        def apply(ctx: Ctx) -> Any:
            got = value(ctx)
            a = [f(ctx) for f in arg_fns]
            kw = {k: f(ctx) for k, f in kw_fns.items()}
            try:
                return impl(ctx, got, *a, **kw) if needs_ctx else impl(got, *a, **kw)
            except (Undefined, ExpressionError):
                raise
            except TypeError as exc:
                raise _argument_error(exc, f"filter '{name}'", got, len(a)) from None
            except Exception as exc:  # noqa: BLE001 - any failure inside a filter is the expression's error
                raise ExpressionError(
                    f"filter '{name}' failed on {V.type_name(got)}: {exc}"
                ) from None

        return apply

    def c_call(self, node: tuple) -> Fn:
        _, name, args, kwargs = node
        arg_fns = [self.compile(a) for a in args]
        kw_fns = {k: self.compile(v) for k, v in kwargs.items()}
        impl = self.functions.get(name)

        def call(ctx: Ctx) -> Any:
            a = [f(ctx) for f in arg_fns]
            kw = {k: f(ctx) for k, f in kw_fns.items()}
            macro = ctx.macros.get(name) if ctx.macros else None
            if macro is not None:
                return macro(ctx, a, kw)
            if impl is None:
                raise self._unknown("function", name)
            try:
                return impl(ctx, *a, **kw)
            except (Undefined, ExpressionError):
                raise
            except TypeError as exc:
                raise _argument_error(exc, f"function '{name}()'", _MISSING, len(a)) from None
            except Exception as exc:  # noqa: BLE001
                raise ExpressionError(f"function '{name}()' failed: {exc}") from None

        return call


def _concat_text(value: Any) -> str:
    if type(value) is str:
        return value
    return "" if value is None else V.java_string(value)


def _argument_error(exc: TypeError, what: str, subject: Any, given: int) -> ExpressionError:
    """A filter or function called with arguments it does not take, in Pebble's words (ArgumentsNode)."""
    text = str(exc)
    named = re.search(r"unexpected keyword argument '(\w+)'", text)
    if named:
        return ExpressionError(
            f"The following named argument does not exist: {named.group(1)}",
            fix=f"check the argument names of {what}",
        )
    missing = re.search(
        r"missing \d+ required (?:positional|keyword-only) arguments?: '(\w+)'", text
    )
    if missing:
        return ExpressionError(
            f"{what} expects an argument '{missing.group(1)}'.",
            fix="give it, by position or by name",
        )
    if "positional argument" in text or "takes no arguments" in text:
        return ExpressionError(
            f"{what} does not take {given} positional argument{'s' if given != 1 else ''}",
            fix="check the arguments Kestra's documentation gives it",
        )
    on = "" if subject is _MISSING else f" on {V.type_name(subject)}"
    return ExpressionError(f"{what} failed{on}: {exc}")


def _map_key(ctx: Ctx, name: str) -> Any:
    value = ctx.vars.get(name, _MISSING)
    if value is _MISSING:
        raise Undefined(
            f"variable '{name}' (used as a map key) is not defined; quote the key: '{name}'"
        )
    return value
