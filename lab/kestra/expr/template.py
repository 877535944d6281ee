"""Templates: tags (`if`, `for`, `set`, `filter`, `macro`, `block`) around expressions, compiled once."""

from __future__ import annotations

import functools
import json
from typing import Any, Callable

from lab.kestra.expr import values as V
from lab.kestra.expr.compiler import Compiler, Ctx
from lab.kestra.expr.errors import ExpressionError
from lab.kestra.expr.lexer import Segment, split
from lab.kestra.expr.parser import Parser, parse_expression, walk
from lab.kestra.expr.values import Undefined

Render = Callable[[Ctx, list], None]
UNDEFINED_HINT = (
    "use `?? 'fallback'`, `| default('fallback')` or `is defined` where the value may be " "missing"
)
BODY_VAR = "\x00body"
SUPPORTED_TAGS = frozenset({"if", "for", "set", "filter", "macro", "block", "raw"})


# ----------------------------------------------------------------------------- tag tree
class _TreeParser:
    """Segments -> a tree: ("text", s) ("print", ast) ("if", [(cond, body)], else) ("for", names, ast,
    body, else) ("set", name, ast) ("filterblock", ast, body) ("macro", name, params, body) ("block", name, body)."""

    def __init__(self, segments: list[Segment], source: str) -> None:
        self.segments = segments
        self.i = 0
        self.source = source

    def body(self, until: tuple[str, ...] = ()) -> tuple[list, str | None, Parser | None]:
        nodes: list = []
        while self.i < len(self.segments):
            seg = self.segments[self.i]
            self.i += 1
            if seg.kind == "text":
                nodes.append(("text", seg.text))
            elif seg.kind == "print":
                nodes.append(("print", parse_expression(seg.tokens, self.source)))
            else:
                parser = Parser(seg.tokens, self.source)
                if parser.done():
                    raise ExpressionError("empty tag '{% %}'", expression=self.source)
                tag = parser.name()
                if tag in until:
                    return nodes, tag, parser
                nodes.append(self.tag(tag, parser))
        if until:
            raise ExpressionError(f"missing '{{% {until[-1]} %}}'", expression=self.source)
        return nodes, None, None

    def tag(self, tag: str, p: Parser) -> tuple:
        if tag == "if":
            branches, other = [], []
            cond = p.expression()
            p.finish()
            while True:
                body, end, q = self.body(("elseif", "else", "endif"))
                branches.append((cond, body))
                if end == "elseif":
                    cond = q.expression()
                    q.finish()
                    continue
                if end == "else":
                    q.finish()
                    other, _, q = self.body(("endif",))
                q.finish()
                return ("if", branches, other)
        if tag == "for":
            names = [p.name()]
            while p.at(","):
                p.next()
                names.append(p.name())
            if not p.at("in"):
                p.fail("expected 'in'")
            p.next()
            iterable = p.expression()
            p.finish()
            body, end, q = self.body(("else", "endfor"))
            other: list = []
            if end == "else":
                other, _, q = self.body(("endfor",))
            q.finish()
            return ("for", names, iterable, body, other)
        if tag == "set":
            name = p.name()
            p.expect("=")
            value = p.expression()
            p.finish()
            return ("set", name, value)
        if tag == "filter":
            chain: tuple = ("name", BODY_VAR)
            while True:
                fname = p.name()
                args, kwargs = p.args() if p.at("(") else ([], {})
                chain = ("filter", chain, fname, args, kwargs)
                if not p.at("|"):
                    break
                p.next()
            p.finish()
            body, _, q = self.body(("endfilter",))
            return ("filterblock", chain, body)
        if tag == "macro":
            name = p.name()
            p.expect("(")
            params: list = []
            while not p.at(")"):
                pname = p.name()
                default = None
                if p.at("="):
                    p.next()
                    default = p.expression()
                params.append((pname, default))
                if not p.at(","):
                    break
                p.next()
            p.expect(")")
            p.finish()
            body, _, q = self.body(("endmacro",))
            return ("macro", name, params, body)
        if tag == "block":
            tok = p.next()
            body, _, q = self.body(("endblock",))
            return ("block", tok.value, body)
        raise ExpressionError(
            f"unsupported tag '{{% {tag} %}}'",
            expression=self.source,
            fix=f"the embedded engine supports {', '.join(sorted(SUPPORTED_TAGS))}; "
            "for others run the flow on a real Kestra",
        )


def parse_template(source: str) -> list:
    """The template's tag tree (no name resolution: usable for validation of unknown names)."""
    return _TreeParser(split(source), source).body()[0]


def names_in(tree: list) -> tuple[set[str], set[str], set[str], set[str]]:
    """(filters, functions, tests, macros) a parsed template uses or defines."""
    filters, functions, tests, macros = set(), set(), set(), set()
    for node in walk(tree):
        kind = node[0]
        if kind == "filter" and len(node) == 5 and isinstance(node[2], str):
            filters.add(node[2])
        elif kind == "call" and len(node) == 4 and isinstance(node[1], str):
            functions.add(node[1])
        elif kind == "test" and len(node) == 5 and isinstance(node[2], str):
            tests.add(node[2])
        elif kind == "macro" and len(node) == 4 and isinstance(node[1], str):
            macros.add(node[1])
    return filters, functions, tests, macros


# ----------------------------------------------------------------------------- compiled template
class Template:
    """A compiled template. `single` is set when the template is one lone `{{ expr }}`."""

    __slots__ = ("source", "run", "single", "plain", "blocks", "macros", "sets")

    def __init__(
        self,
        source: str,
        run: Render,
        single: Callable | None,
        plain: bool,
        blocks: dict,
        macros: dict,
        sets: bool = False,
    ) -> None:
        self.sets = sets  # `{% set %}` writes variables: render on a copy, never the caller's dict
        self.source = source
        self.run = run
        self.single = single
        self.plain = plain
        self.blocks = blocks
        self.macros = macros

    def _ctx(self, variables: dict, fx: Any, depth: int) -> Ctx:
        return Ctx(
            dict(variables) if self.sets else variables,
            fx,
            depth,
            self.blocks or None,
            self.macros or None,
        )

    def _fail(self, exc: Exception) -> ExpressionError:
        if isinstance(exc, Undefined):
            return ExpressionError(str(exc), expression=self.source, fix=UNDEFINED_HINT)
        if isinstance(exc, ExpressionError):
            return exc.with_expression(self.source)
        if isinstance(exc, RecursionError):
            return ExpressionError("expression nests too deeply", expression=self.source)
        return ExpressionError(f"{type(exc).__name__}: {exc}", expression=self.source)

    def evaluate(self, variables: dict, fx: Any, depth: int = 0) -> Any:
        """The native value of a lone `{{ expr }}` template (callers check `single`)."""
        try:
            return self.single(self._ctx(variables, fx, depth))
        except Exception as exc:  # noqa: BLE001 - every failure is reported as the expression's error
            raise self._fail(exc) from None

    def render(self, variables: dict, fx: Any, depth: int = 0) -> str:
        """String mode: null -> "", maps/lists -> compact JSON."""
        if self.plain:
            return self.source
        try:
            ctx = self._ctx(variables, fx, depth)
            if self.single is not None:
                return V.to_text(self.single(ctx))
            out: list[str] = []
            self.run(ctx, out)
            return "".join(out)
        except Exception as exc:  # noqa: BLE001
            raise self._fail(exc) from None

    def render_typed(self, variables: dict, fx: Any, depth: int = 0) -> Any:
        """Typed mode: a lone expression keeps its value; mixed text that is a JSON map/list is parsed."""
        if self.plain:
            return self.source
        if self.single is not None:
            return self.evaluate(variables, fx, depth)
        text = self.render(variables, fx, depth)
        stripped = text.strip()
        if stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]"):
            try:
                return json.loads(stripped)
            except ValueError:
                pass
        return text


class _Builder:
    """Compiles a tag tree into one render function."""

    def __init__(self, compiler: Compiler) -> None:
        self.c = compiler
        self.blocks: dict[str, Render] = {}
        self.macros: dict[str, Callable] = {}

    def body(self, nodes: list) -> Render:
        parts = [self.node(n) for n in nodes]
        if len(parts) == 1:
            return parts[0]

        def run(ctx: Ctx, out: list) -> None:
            for part in parts:
                part(ctx, out)

        return run

    def node(self, node: tuple) -> Render:
        kind = node[0]
        if kind == "text":
            text = node[1]
            return lambda ctx, out: out.append(text)
        if kind == "print":
            expr = self.c.compile(node[1])
            to_text = V.to_text
            return lambda ctx, out: out.append(to_text(expr(ctx)))
        if kind == "if":
            branches = [(self.c.compile(cond), self.body(body)) for cond, body in node[1]]
            other = self.body(node[2])

            def run_if(ctx: Ctx, out: list) -> None:
                for cond, body in branches:
                    if V.truthy(cond(ctx)):
                        return body(ctx, out)
                other(ctx, out)

            return run_if
        if kind == "for":
            return self._for(node)
        if kind == "set":
            name, value = node[1], self.c.compile(node[2])

            def run_set(ctx: Ctx, out: list) -> None:
                ctx.assign(name, value(ctx))

            return run_set
        if kind == "filterblock":
            chain, body = self.c.compile(node[1]), self.body(node[2])

            def run_filter(ctx: Ctx, out: list) -> None:
                inner: list[str] = []
                body(ctx, inner)
                out.append(V.to_text(chain(ctx.child({**ctx.vars, BODY_VAR: "".join(inner)}))))

            return run_filter
        if kind == "macro":
            self.macros[node[1]] = self._macro(node)
            return lambda ctx, out: None
        if kind == "block":
            body = self.body(node[2])
            self.blocks[str(node[1])] = body
            return body
        raise AssertionError(kind)

    def _for(self, node: tuple) -> Render:
        names, iterable, body, other = (
            node[1],
            self.c.compile(node[2]),
            self.body(node[3]),
            self.body(node[4]),
        )

        def run_for(ctx: Ctx, out: list) -> None:
            items = iterable(ctx)
            if items is None:
                items = []
            elif isinstance(items, dict):
                items = (
                    [{"key": k, "value": v} for k, v in items.items()]
                    if len(names) == 1
                    else list(items.items())
                )
            elif isinstance(items, str):
                raise ExpressionError(f"cannot loop over a string ({items[:40]!r})")
            elif not isinstance(items, (list, tuple)):
                raise ExpressionError(f"cannot loop over {V.type_name(items)}")
            if not items:
                return other(ctx, out)
            scope = dict(ctx.vars)
            inner = ctx.child(scope, frozenset(names) | {"loop"})
            length = len(items)
            for index, item in enumerate(items):
                if len(names) == 1:
                    scope[names[0]] = item
                else:
                    for name, part in zip(names, item):
                        scope[name] = part
                scope["loop"] = {
                    "index": index,
                    "length": length,
                    "first": index == 0,
                    "last": index == length - 1,
                    "revindex": length - index - 1,
                }
                body(inner, out)

        return run_for

    def _macro(self, node: tuple) -> Callable:
        _, name, params, body_nodes = node
        body = self.body(body_nodes)
        defaults = [(p, self.c.compile(d) if d is not None else None) for p, d in params]

        def call(ctx: Ctx, args: list, kwargs: dict) -> str:
            scope: dict = {}
            for i, (pname, default) in enumerate(defaults):
                if i < len(args):
                    scope[pname] = args[i]
                elif pname in kwargs:
                    scope[pname] = kwargs[pname]
                else:
                    scope[pname] = default(ctx) if default else None
            out: list[str] = []
            body(ctx.child(scope), out)
            return "".join(out)

        return call


def build(source: str, compiler: Compiler) -> Template:
    """Compile a template (errors name the template)."""
    if "{" not in source or ("{{" not in source and "{%" not in source and "{#" not in source):
        return Template(source, lambda ctx, out: out.append(source), None, True, {}, {})
    try:
        tree = parse_template(source)
        builder = _Builder(compiler)
        run = builder.body(tree)
        single = None
        if len(tree) == 1 and tree[0][0] == "print":
            single = compiler.compile(tree[0][1])
    except ExpressionError as exc:
        raise exc.with_expression(source) from None
    except RecursionError:
        raise ExpressionError("expression nests too deeply", expression=source) from None
    sets = any(node[0] == "set" for node in walk(tree))
    return Template(source, run, single, False, builder.blocks, builder.macros, sets)


def cached(compiler: Compiler) -> Callable[[str], Template]:
    """A memoised `build` for this compiler (templates are compiled once per distinct string)."""
    return functools.lru_cache(maxsize=8192)(lambda source: build(source, compiler))


__all__ = ["Template", "build", "cached", "parse_template", "names_in"]
