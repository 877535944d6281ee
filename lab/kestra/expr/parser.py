"""Pratt parser: Pebble expression tokens -> a small tuple AST (compiled to closures by `compiler`).

Nodes: ("lit", v) ("name", n) ("attr", obj, key) ("item", obj, keyexpr) ("call", name, args, kwargs)
("filter", obj, name, args, kwargs) ("bin", op, l, r) ("not", x) ("neg", x) ("test", x, name, args, negate)
("tern", cond, a, b) ("list", items) ("map", pairs).
Precedences follow Pebble's CoreExtension, with Kestra's `??`, `???` and `isIn`.
"""

from __future__ import annotations

from typing import Any

from lab.kestra.expr.errors import ExpressionError
from lab.kestra.expr.lexer import Token, interpolation_parts, tokenize

BINARY = {
    "or": 10,
    "and": 15,
    "contains": 20,
    "==": 30,
    "!=": 30,
    "<": 30,
    ">": 30,
    "<=": 30,
    ">=": 30,
    "equals": 30,
    "isIn": 30,
    "in": 30,
    "not in": 30,
    "+": 40,
    "-": 40,
    "*": 60,
    "/": 60,
    "%": 60,
    "is": 100,
    "|": 100,
    "~": 110,
    "..": 120,
    "??": 120,
    "???": 120,
}
LITERALS = {"true": True, "false": False, "null": None, "none": None, "True": True, "False": False}
_END = Token("end", "", -1)


class Parser:
    """Parses one token list (the inside of a `{{ }}` or a tag's arguments)."""

    def __init__(self, tokens: list[Token], template: str) -> None:
        self.tokens = tokens
        self.i = 0
        self.template = template

    # -- token helpers
    def peek(self, ahead: int = 0) -> Token:
        j = self.i + ahead
        return self.tokens[j] if j < len(self.tokens) else _END

    def next(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def at(self, value: str) -> bool:
        tok = self.peek()
        return tok.kind in ("op", "name") and tok.value == value

    def expect(self, value: str) -> Token:
        if not self.at(value):
            self.fail(f"expected {value!r}")
        return self.next()

    def name(self) -> str:
        tok = self.next()
        if tok.kind != "name":
            self.i -= 1
            self.fail("expected a name")
        return tok.value

    def fail(self, what: str) -> None:
        tok = self.peek()
        found = "the end of the expression" if tok.kind == "end" else repr(tok.value)
        raise ExpressionError(
            f"syntax error: {what}, found {found}",
            expression=self.template,
            fix="check the expression against Kestra's Pebble syntax",
        )

    def done(self) -> bool:
        return self.i >= len(self.tokens)

    def finish(self) -> None:
        if not self.done():
            self.fail("unexpected token")

    # -- grammar
    def expression(self) -> tuple:
        cond = self.binary(0)
        if self.at("?"):
            self.next()
            yes = self.expression()
            self.expect(":")
            no = self.expression()
            return ("tern", cond, yes, no)
        return cond

    def binary(self, min_prec: int) -> tuple:
        left = self.unary()
        while True:
            tok = self.peek()
            op = tok.value if tok.kind in ("op", "name") else None
            two_words = op == "not" and self.peek(1).kind == "name" and self.peek(1).value == "in"
            if two_words:
                op = "not in"  # `x not in list` (a binary operator after an operand)
            prec = BINARY.get(op) if op else None
            if prec is None or prec < min_prec:
                return left
            self.next()
            if two_words:
                self.next()
            if op == "is":
                negate = self.at("not")
                if negate:
                    self.next()
                test = self.name()
                args = self.args()[0] if self.at("(") else []
                left = ("test", left, test, args, negate)
            elif op == "|":
                fname = self.name()
                args, kwargs = self.args() if self.at("(") else ([], {})
                left = ("filter", left, fname, args, kwargs)
            else:
                right = self.binary(prec + 1)
                left = ("bin", op, left, right)

    def unary(self) -> tuple:
        if self.at("not"):
            self.next()
            return ("not", self.binary(5))
        if self.at("-"):
            self.next()
            return ("neg", self.binary(500))
        if self.at("+"):
            self.next()
            return self.binary(500)
        return self.postfix(self.primary())

    def primary(self) -> tuple:
        tok = self.next()
        if tok.kind == "num":
            return (
                "lit",
                float(tok.value)
                if "." in tok.value or "e" in tok.value.lower()
                else int(tok.value),
            )
        if tok.kind == "str":
            return ("lit", tok.value)
        if tok.kind == "istr":
            node: tuple = ("lit", "")
            for kind, text in interpolation_parts(tok.value):
                part = (
                    ("lit", text)
                    if kind == "text"
                    else parse_expression(tokenize(text), self.template)
                )
                node = ("bin", "~", node, part)
            return node
        if tok.kind == "name":
            if tok.value in LITERALS:
                return ("lit", LITERALS[tok.value])
            if self.at("("):
                args, kwargs = self.args()
                return ("call", tok.value, args, kwargs)
            return ("name", tok.value)
        if tok.kind == "op":
            if tok.value == "(":
                inner = self.expression()
                self.expect(")")
                return inner
            if tok.value == "[":
                items = []
                while not self.at("]"):
                    items.append(self.expression())
                    if not self.at(","):
                        break
                    self.next()
                self.expect("]")
                return ("list", items)
            if tok.value == "{":
                pairs = []
                while not self.at("}"):
                    key = self.binary(0)
                    self.expect(":")
                    pairs.append((key, self.expression()))
                    if not self.at(","):
                        break
                    self.next()
                self.expect("}")
                return ("map", pairs)
        self.i -= 1
        self.fail("expected a value")
        raise AssertionError  # unreachable

    def postfix(self, node: tuple) -> tuple:
        while True:
            if self.at("."):
                self.next()
                tok = self.next()
                if tok.kind not in ("name", "num"):
                    self.i -= 1
                    self.fail("expected an attribute name after '.'")
                node = ("attr", node, int(tok.value) if tok.kind == "num" else tok.value)
            elif self.at("["):
                self.next()
                key = self.expression()
                self.expect("]")
                node = ("item", node, key)
            else:
                return node

    def args(self) -> tuple[list[tuple], dict[str, tuple]]:
        """`( a, b, name=c )`: positional then named arguments."""
        self.expect("(")
        args: list[tuple] = []
        kwargs: dict[str, tuple] = {}
        while not self.at(")"):
            tok, nxt = self.peek(), self.peek(1)
            if tok.kind == "name" and nxt.kind == "op" and nxt.value == "=":
                self.i += 2
                kwargs[tok.value] = self.expression()
            else:
                if kwargs:
                    self.fail("positional argument after a named one")
                args.append(self.expression())
            if not self.at(","):
                break
            self.next()
        self.expect(")")
        return args, kwargs


def parse_expression(tokens: list[Token], template: str) -> tuple:
    """One whole expression from these tokens."""
    parser = Parser(tokens, template)
    node = parser.expression()
    parser.finish()
    return node


def walk(node: Any):
    """Every AST node under (and including) node."""
    if isinstance(node, tuple) and node and isinstance(node[0], str):
        yield node
        for part in node[1:]:
            yield from walk(part)
    elif isinstance(node, (list, tuple)):
        for part in node:
            yield from walk(part)
    elif isinstance(node, dict):
        for part in node.values():
            yield from walk(part)
