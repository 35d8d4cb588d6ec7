"""Typed expressions, parsed by a small whitelist grammar into a tree of jnp operations: never eval, exec or
Python's compile. Used for the `expression` landscape (variables x, y) and schedule (variables k, T, lr).

Grammar (precedence low to high; ^ is right-associative and binds tighter than a leading minus, -x^2 = -(x^2)):

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := ("+" | "-") unary | power
    power  := atom ("^" unary)?
    atom   := number | name | name "(" expr ("," expr)* ")" | "(" expr ")"

Names are the allowed variables, the constants pi and e, and the functions of FUNCTIONS. Limits (`limits`):
MAX_EXPRESSION_LENGTH characters, MAX_EXPRESSION_DEPTH levels of nesting, MAX_EXPRESSION_OPERATIONS operations,
and constant exponents within ±MAX_EXPONENT. Every error
is an ExpressionError with the 0-based position it points at.

Example:
    >>> import jax.numpy as jnp
    >>> f = parse("sin(x)*cos(y) + 0.1*(x^2+y^2)", ("x", "y"))
    >>> round(float(f({"x": jnp.asarray(1.0), "y": jnp.asarray(0.0)})), 6)
    0.941471
    >>> parse("x.__class__", ("x", "y"))
    Traceback (most recent call last):
    ...
    app.vocabulary.expression.ExpressionError: position 1: unexpected character '.'
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Mapping

import jax
import jax.numpy as jnp

from .limits import MAX_EXPONENT, MAX_EXPRESSION_DEPTH as DEPTH, MAX_EXPRESSION_LENGTH as LENGTH
from .limits import MAX_EXPRESSION_OPERATIONS as NODES

FUNCTIONS: dict[str, tuple[int, Callable]] = {
    "sin": (1, jnp.sin), "cos": (1, jnp.cos), "tan": (1, jnp.tan), "exp": (1, jnp.exp), "log": (1, jnp.log),
    "sqrt": (1, jnp.sqrt), "abs": (1, jnp.abs), "tanh": (1, jnp.tanh), "sigmoid": (1, jax.nn.sigmoid),
    "sinh": (1, jnp.sinh), "cosh": (1, jnp.cosh), "atan": (1, jnp.arctan), "floor": (1, jnp.floor),
    "ceil": (1, jnp.ceil), "min": (2, jnp.minimum), "max": (2, jnp.maximum), "log10": (1, jnp.log10),
}
CONSTANTS = {"pi": math.pi, "e": math.e}
TOKEN = re.compile(r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[-+*/^(),]))")


class ExpressionError(ValueError):
    def __init__(self, position: int, message: str):
        self.position = position
        super().__init__(f"position {position}: {message}")


@dataclass(frozen=True)
class Node:
    kind: str  # number, variable, unary, binary, call
    value: object
    children: tuple = ()
    position: int = 0


def _tokens(text: str) -> list[tuple[str, str, int]]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = TOKEN.match(text, position)
        if not match:
            offset = position + len(text[position:]) - len(text[position:].lstrip())
            raise ExpressionError(offset, f"unexpected character {text[offset]!r}")
        kind = match.lastgroup
        start = match.start(kind)
        tokens.append((kind, match.group(kind), start))
        position = match.end()
    tokens.append(("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str, variables: tuple[str, ...]):
        self.tokens = _tokens(text)
        self.index = 0
        self.variables = variables
        self.nodes = 0
        self.nesting = 0  # parentheses, calls, unary signs and exponents open on the way down

    def enter(self, position: int):
        self.nesting += 1
        if self.nesting > DEPTH:
            raise ExpressionError(position, f"nested too deeply (at most {DEPTH} levels)")

    def leave(self):
        self.nesting -= 1

    def peek(self):
        return self.tokens[self.index]

    def take(self, value: str | None = None):
        token = self.peek()
        if value is not None and token[1] != value:
            found = "the end" if token[0] == "end" else repr(token[1])
            raise ExpressionError(token[2], f"expected {value!r}, found {found}")
        self.index += 1
        return token

    def node(self, kind: str, value, children: tuple, position: int) -> Node:
        self.nodes += 1
        if self.nodes > NODES:
            raise ExpressionError(position, f"too many operations (at most {NODES})")
        return Node(kind, value, children, position)

    def expr(self) -> Node:
        return self.left_associative(("+", "-"), self.term)

    def term(self) -> Node:
        return self.left_associative(("*", "/"), self.unary)

    def left_associative(self, operators: tuple[str, ...], operand) -> Node:
        """operand (op operand)*, grouped from the left: a − b − c is (a − b) − c."""
        left = operand()
        while self.peek()[1] in operators:
            _, op, position = self.take()
            left = self.node("binary", op, (left, operand()), position)
        return left

    def unary(self) -> Node:
        if self.peek()[1] in ("+", "-"):
            _, op, position = self.take()
            self.enter(position)
            operand = self.unary()
            self.leave()
            return self.node("unary", op, (operand,), position)
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.peek()[1] == "^":
            _, _, position = self.take()
            self.enter(position)
            exponent = self.unary()
            self.leave()
            constant = _constant(exponent)
            if constant is not None and not -MAX_EXPONENT <= constant <= MAX_EXPONENT:
                raise ExpressionError(exponent.position, f"exponent {constant:g} is outside ±{MAX_EXPONENT}")
            return self.node("binary", "^", (base, exponent), position)
        return base

    def atom(self) -> Node:
        kind, value, position = self.take()
        if kind == "number":
            number = float(value)
            if not math.isfinite(number):
                raise ExpressionError(position, f"number {value} is too large")
            return self.node("number", number, (), position)
        if kind == "name":
            if self.peek()[1] == "(":
                if value not in FUNCTIONS:
                    raise ExpressionError(position, f"unknown function {value!r}; allowed: {', '.join(FUNCTIONS)}")
                self.take("(")
                self.enter(position)
                args = [self.expr()]
                while self.peek()[1] == ",":
                    self.take(",")
                    args.append(self.expr())
                self.take(")")
                self.leave()
                arity = FUNCTIONS[value][0]
                if len(args) != arity:
                    raise ExpressionError(position, f"{value} takes {arity} argument{'s' * (arity > 1)}, got {len(args)}")
                return self.node("call", value, tuple(args), position)
            if value in self.variables:
                return self.node("variable", value, (), position)
            if value in CONSTANTS:
                return self.node("number", CONSTANTS[value], (), position)
            allowed = ", ".join(self.variables + tuple(CONSTANTS))
            raise ExpressionError(position, f"unknown name {value!r}; allowed: {allowed} and functions")
        if value == "(":
            self.enter(position)
            inner = self.expr()
            self.take(")")
            self.leave()
            return inner
        found = "the end" if kind == "end" else repr(value)
        raise ExpressionError(position, f"expected a number, a name or '(', found {found}")


def _constant(node: Node) -> float | None:
    if node.kind == "number":
        return float(node.value)
    if node.kind == "unary" and node.children[0].kind == "number":
        return -float(node.children[0].value) if node.value == "-" else float(node.children[0].value)
    return None


def _evaluate(node: Node, env: Mapping[str, object]):
    if node.kind == "number":
        return jnp.asarray(node.value, dtype=jnp.float64)
    if node.kind == "variable":
        return env[node.value]
    if node.kind == "unary":
        value = _evaluate(node.children[0], env)
        return -value if node.value == "-" else value
    if node.kind == "call":
        return FUNCTIONS[node.value][1](*(_evaluate(child, env) for child in node.children))
    left, right = (_evaluate(child, env) for child in node.children)
    if node.value == "+":
        return left + right
    if node.value == "-":
        return left - right
    if node.value == "*":
        return left * right
    if node.value == "/":
        return left / right
    return jnp.power(left, right)


@dataclass(frozen=True, eq=False)
class Expression:
    """A parsed expression: its `tree`; called with {variable: value}, it computes the expression in jnp."""

    text: str
    variables: tuple[str, ...]
    tree: Node

    def __call__(self, env: Mapping[str, object]):
        return _evaluate(self.tree, env)


def parse(text: str, variables: tuple[str, ...]) -> Expression:
    """The parsed expression, or an ExpressionError pointing at the problem.

    Cached per distinct (text, variables): validating an expression and then computing with it parses it once."""
    if not isinstance(text, str):
        raise ExpressionError(0, "must be a string")
    return _parse(text, tuple(variables))


@lru_cache(maxsize=256)
def _parse(text: str, variables: tuple[str, ...]) -> Expression:
    if len(text) > LENGTH:
        raise ExpressionError(LENGTH, f"is {len(text)} characters long; at most {LENGTH}")
    parser = _Parser(text, variables)
    tree = parser.expr()
    kind, value, position = parser.peek()
    if kind != "end":
        raise ExpressionError(position, f"unexpected {value!r}")
    return Expression(text, variables, tree)


def check(text: str, variables: tuple[str, ...]) -> Node:
    """The tree of an expression, or an ExpressionError pointing at the problem."""
    return parse(text, variables).tree
